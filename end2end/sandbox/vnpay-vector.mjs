// Records the reference signature the Rust payment module is checked against
// (`signatures_match_the_npm_vnpay_library`), made with the npm `vnpay` library itself.
//   node end2end/sandbox/vnpay-vector.mjs   (writes tests/fixtures/vnpay-vector.{data,hash})
import { writeFileSync } from "node:fs";
import { buildPaymentUrlSearchParams, calculateSecureHash } from "vnpay/utils";

const params = {
  vnp_Amount: 1600000,
  vnp_Command: "pay",
  vnp_CreateDate: "20261123083000",
  vnp_CurrCode: "VND",
  vnp_IpAddr: "127.0.0.1",
  vnp_Locale: "vn",
  vnp_OrderInfo: "Lệ phí hồ sơ 00070-261123-0001 (đăng ký khai sinh)",
  vnp_OrderType: "other",
  vnp_ReturnUrl: "http://127.0.0.1:3000/ho-so/00070-261123-0001?thanh-toan=ve",
  vnp_TmnCode: "DVCHN001",
  vnp_TxnRef: "a1b2c3",
  vnp_Version: "2.1.0",
};
const data = buildPaymentUrlSearchParams(params).toString();
const hash = calculateSecureHash({ secureSecret: "SANDBOXSECRET", data, hashAlgorithm: "SHA512", bufferEncode: "utf-8" });
const dir = new URL("../../tests/fixtures/", import.meta.url);
writeFileSync(new URL("vnpay-vector.data", dir), data + "\n");
writeFileSync(new URL("vnpay-vector.hash", dir), hash + "\n");
console.log(data);
console.log(hash);
