// Sandbox payment gateway for development and tests. It speaks the VNPay protocol (2.1.0)
// and does all its signing and checking with the npm `vnpay` library, so the portal's own
// implementation is cross-checked against it on every payment:
//   - the payment URL the portal signs is verified here by `vnpay` (verifyReturnUrl);
//   - the notice (IPN) and the browser return are signed here by `vnpay` and verified by the portal.
// Its page says plainly that it is a sandbox; no money moves.
//
//   node end2end/sandbox/payment.mjs
//   PAY_PORT=4020 PAY_TMN_CODE=DVCHN001 PAY_SECRET=… PAY_IPN_URL=http://127.0.0.1:3000/payments/vnpay/ipn
import { createServer } from "node:http";
import { VNPay, ignoreLogger } from "vnpay";
import { buildPaymentUrlSearchParams, calculateSecureHash } from "vnpay/utils";

const port = Number(process.env.PAY_PORT ?? 4020);
const tmnCode = process.env.PAY_TMN_CODE ?? "DVCHN001";
const secret = process.env.PAY_SECRET ?? "DVCHN-SANDBOX-SECRET";
const ipnUrl = process.env.PAY_IPN_URL ?? "http://127.0.0.1:3000/payments/vnpay/ipn";
const vnpay = new VNPay({
  tmnCode,
  secureSecret: secret,
  vnpayHost: `http://127.0.0.1:${port}`,
  hashAlgorithm: "SHA512",
  enableLog: false,
  loggerFn: ignoreLogger,
});

let transactionNo = 14_000_000;
// Orders already paid: like the real gateway, an order is paid at most once.
const paidOrders = new Set();
const alreadyPaid = () =>
  page("Đơn hàng đã thanh toán", "<h1>Đơn hàng đã được thanh toán</h1><p>Giao dịch cho đơn hàng này đã thành công trước đó; không thu thêm tiền.</p>");
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const money = (hundredths) => `${(Number(hundredths) / 100).toLocaleString("vi-VN")} ₫`;
const page = (title, body) => `<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:0 auto;padding:1rem;line-height:1.5;color:#1a1a1a}
.sandbox{background:#fff3cd;border:3px solid #b35c00;padding:.75rem 1rem;margin-bottom:1rem}
button{font:inherit;min-height:44px;width:100%;padding:.5rem .75rem;margin:.25rem 0;border:2px solid #1a1a1a;background:#fff;cursor:pointer}
.pay{background:#00703c;color:#fff;border-color:#002d18}
dt{font-weight:600}dd{margin:0 0 .5rem}</style></head>
<body><main><p class="sandbox"><strong>CỔNG THANH TOÁN THỬ NGHIỆM (SANDBOX)</strong> — không có tiền thật được chuyển.
<span lang="en">Sandbox payment gateway: no money moves.</span></p>${body}</main></body></html>`;

// The pairs of a query string, as given.
const pairs = (search) => Object.fromEntries(new URLSearchParams(search));

function signed(params) {
  const data = buildPaymentUrlSearchParams(params).toString();
  const hash = calculateSecureHash({ secureSecret: secret, data, hashAlgorithm: "SHA512", bufferEncode: "utf-8" });
  return { ...params, vnp_SecureHash: hash };
}

function vnpDate(d = new Date()) {
  const t = new Date(d.getTime() + 7 * 3600_000).toISOString();
  return t.slice(0, 19).replace(/[-T:]/g, "");
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  const send = (status, html) => {
    res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(html);
  };
  try {
    if (req.method === "GET" && url.pathname === "/paymentv2/vpcpay.html") {
      const q = pairs(url.search);
      const check = vnpay.verifyReturnUrl({ ...q });
      if (!check.isVerified || q.vnp_TmnCode !== tmnCode) {
        return send(400, page("Sai chữ ký", "<h1>Yêu cầu thanh toán không hợp lệ</h1><p>Chữ ký không đúng (mã 97).</p>"));
      }
      if (paidOrders.has(q.vnp_TxnRef)) return send(409, alreadyPaid());
      const hidden = `<input type="hidden" name="q" value="${esc(url.search.slice(1))}">`;
      return send(200, page("Thanh toán", `<h1>Thanh toán phí, lệ phí</h1>
<dl><dt>Đơn vị nhận</dt><dd>Dịch vụ công Hà Nội (${esc(q.vnp_TmnCode)})</dd>
<dt>Nội dung</dt><dd>${esc(q.vnp_OrderInfo)}</dd><dt>Số tiền</dt><dd>${esc(money(q.vnp_Amount))}</dd>
<dt>Mã đơn hàng</dt><dd>${esc(q.vnp_TxnRef)}</dd></dl>
<form method="post" action="/pay">${hidden}<input type="hidden" name="result" value="00">
<button class="pay" type="submit">Thanh toán (thẻ ATM NCB thử nghiệm)</button></form>
<form method="post" action="/pay">${hidden}<input type="hidden" name="result" value="24">
<button type="submit">Hủy thanh toán</button></form>`));
    }
    if (req.method === "POST" && url.pathname === "/pay") {
      let body = "";
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      const q = pairs(form.get("q") ?? "");
      if (!vnpay.verifyReturnUrl({ ...q }).isVerified) {
        return send(400, page("Sai chữ ký", "<h1>Yêu cầu thanh toán không hợp lệ</h1>"));
      }
      const ok = form.get("result") === "00";
      if (ok && paidOrders.has(q.vnp_TxnRef)) return send(409, alreadyPaid());
      if (ok) paidOrders.add(q.vnp_TxnRef);
      const result = signed({
        vnp_Amount: q.vnp_Amount,
        vnp_BankCode: "NCB",
        vnp_BankTranNo: ok ? `VNP${transactionNo + 1}` : "",
        vnp_CardType: "ATM",
        vnp_OrderInfo: q.vnp_OrderInfo,
        vnp_PayDate: vnpDate(),
        vnp_ResponseCode: ok ? "00" : "24",
        vnp_TmnCode: q.vnp_TmnCode,
        vnp_TransactionNo: ok ? String(++transactionNo) : "0",
        vnp_TransactionStatus: ok ? "00" : "02",
        vnp_TxnRef: q.vnp_TxnRef,
      });
      const query = new URLSearchParams(result).toString();
      // Server to server first, as the real gateway does; the browser return only displays.
      try {
        const r = await fetch(`${ipnUrl}?${query}`);
        const answer = await r.json();
        console.log(`IPN ${q.vnp_TxnRef}: ${answer.RspCode} ${answer.Message}`);
      } catch (e) {
        console.error(`IPN ${q.vnp_TxnRef} failed: ${e}`);
      }
      const back = new URL(q.vnp_ReturnUrl);
      for (const [k, v] of Object.entries(result)) back.searchParams.set(k, v);
      res.writeHead(302, { location: back.toString(), "cache-control": "no-store" });
      return res.end();
    }
    if (url.pathname === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" });
      return res.end("ok");
    }
    send(404, page("Không tìm thấy", "<h1>Không tìm thấy</h1>"));
  } catch (e) {
    console.error(e);
    send(500, page("Lỗi", "<h1>Lỗi cổng thanh toán thử nghiệm</h1>"));
  }
});
server.listen(port, "127.0.0.1", () => console.log(`sandbox payment gateway on http://127.0.0.1:${port}`));
