import { expect, test, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { expectNoAxeViolations } from "./a11y";

const fixtures = new URL("../../tests/fixtures", import.meta.url).pathname;

// The long journeys are for residents on their phones: run them on the mobile project only.
test.skip(({ isMobile }) => !isMobile, "resident journeys run on the phone project");

/** Signs in from a page's own sign-in prompt at the sandbox identity provider. */
async function signInFromPrompt(page: Page, name: string) {
  await page.getByRole("main").getByRole("link", { name: "Đăng nhập bằng VNeID" }).click();
  await expect(page.getByText("MÔI TRƯỜNG THỬ NGHIỆM (SANDBOX)")).toBeVisible();
  await page.getByRole("button", { name: new RegExp(name) }).click();
}

/** A real JPEG photo padded with comment segments to about `size` bytes. */
function bigPhoto(size: number): Buffer {
  const photo = readFileSync(`${fixtures}/giay-chung-sinh.jpg`);
  const parts: Buffer[] = [photo.subarray(0, 2)];
  let total = photo.length;
  while (total < size) {
    const seg = Buffer.alloc(0xea62 + 2, 0x2e);
    seg.writeUInt16BE(0xfffe, 0);
    seg.writeUInt16BE(0xea62, 2);
    parts.push(seg);
    total += seg.length;
  }
  parts.push(photo.subarray(2));
  return Buffer.concat(parts);
}

async function continueTo(page: Page, title: string) {
  await page.getByRole("button", { name: "Tiếp tục" }).click();
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
}

test("a parent registers a birth from the catalogue to the PDF receipt", async ({ page }) => {
  await page.goto("/thu-tuc/dang-ky-khai-sinh");
  // Reading about a procedure does not download the form code; the form page does.
  await expect(page.locator('link[rel="modulepreload"][href^="/forms/"]')).toHaveCount(0);
  await page.getByRole("link", { name: "Nộp hồ sơ trực tuyến" }).click();
  await expect(page).toHaveURL(/\/thu-tuc\/dang-ky-khai-sinh\/nop$/);
  await expect(page.locator('link[rel="modulepreload"][href^="/forms/"]')).toHaveCount(1);
  await signInFromPrompt(page, "Nguyễn Văn An");
  await expect(page).toHaveURL(/\/thu-tuc\/dang-ky-khai-sinh\/nop$/);

  // Step 1: where to file.
  await expect(page.getByRole("heading", { level: 1, name: "Nơi nộp hồ sơ" })).toBeVisible();
  await expect(page.getByText("Bước 1/7")).toBeVisible();
  await page.getByLabel("Xã, phường tiếp nhận").selectOption({ label: "Phường Hoàn Kiếm" });
  await continueTo(page, "Người đi đăng ký");

  // Step 2: the applicant is already filled in from the national identity.
  const applicant = page.getByRole("group", { name: "Người yêu cầu" });
  await expect(applicant.getByLabel("Họ, chữ đệm và tên")).toHaveValue("Nguyễn Văn An");
  await expect(applicant.getByLabel("Số định danh cá nhân")).toHaveValue("001089012345");
  await expect(applicant.getByLabel("Ngày, tháng, năm sinh")).toHaveValue("1989-03-14");
  await expect(applicant.getByRole("radio", { name: "Nam" })).toBeChecked();
  // VNeID's own data is shown, not edited; the contact details and the address it gave are
  // filled in and can be changed.
  await expect(applicant.getByLabel("Họ, chữ đệm và tên")).toHaveAttribute("readonly", "");
  await expect(applicant.getByLabel("Ngày, tháng, năm sinh")).toHaveAttribute("readonly", "");
  await expect(applicant.getByRole("radio", { name: "Nam" })).toBeDisabled();
  await expect(applicant.getByText("Theo dữ liệu định danh điện tử VNeID; không sửa được tại đây.", { exact: false })).toBeVisible();
  await expect(page.getByLabel("Số điện thoại")).toHaveValue("0912345678");
  await expect(page.getByLabel("Số điện thoại")).toHaveAccessibleDescription(/Điền sẵn từ VNeID/);
  const prefilledHome = page.getByRole("group", { name: "Nơi cư trú" });
  await expect(prefilledHome.getByLabel("Số nhà, ngõ, đường phố, thôn, xóm")).toHaveValue("Số 12 phố Hàng Bạc");
  await expect(prefilledHome.getByText("Điền sẵn từ VNeID; bạn có thể sửa nếu cần.")).toBeVisible();
  await expectNoAxeViolations(page);
  // A mistake is explained in a summary and next to the field, and the link leads to it.
  await page.getByRole("radio", { name: "Cha", exact: true }).check();
  await page.getByLabel("Số điện thoại").fill("12345");
  // Changed, the number is the resident's own: no longer marked as from VNeID.
  await expect(page.getByLabel("Số điện thoại")).not.toHaveAccessibleDescription(/Điền sẵn từ VNeID/);
  await page.getByRole("button", { name: "Tiếp tục" }).click();
  const summary = page.getByRole("alert").filter({ hasText: "Có lỗi cần sửa" });
  await expect(summary).toBeVisible();
  await expect(summary.getByRole("link")).toHaveCount(1);
  await summary.getByRole("link", { name: /Số điện thoại gồm 10 hoặc 11 chữ số/ }).click();
  await expect(page.getByLabel("Số điện thoại")).toBeFocused();
  await expect(page.getByLabel("Số điện thoại")).toHaveAttribute("aria-invalid", "true");
  await expectNoAxeViolations(page);
  await page.getByLabel("Số điện thoại").fill("0912 345 678");
  const residence = page.getByRole("group", { name: "Nơi cư trú" });
  await residence.getByLabel("Xã, phường (Hà Nội)").selectOption({ label: "Phường Hoàn Kiếm" });
  await residence.getByLabel("Số nhà, ngõ, đường phố, thôn, xóm").fill("12 phố Hàng Bạc");
  await continueTo(page, "Thông tin của trẻ");

  // Step 3: the child. Text typed decomposed (NFD) is accepted.
  await page.getByLabel("Họ, chữ đệm và tên của trẻ").fill("Nguye\u0302\u0303n Minh Khang");
  const born = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel("Ngày, tháng, năm sinh").fill(born);
  await page.getByRole("radio", { name: "Nam" }).check();
  await page.getByLabel("Dân tộc").fill("Kinh");
  await page.getByLabel("Quốc tịch").selectOption({ label: "Việt Nam" });
  await page.getByRole("radio", { name: "Tại cơ sở y tế" }).check();
  // A field that only applies to this answer appears with it.
  await page.getByLabel("Tên cơ sở y tế").fill("Bệnh viện Phụ sản Hà Nội");
  await page.getByLabel("Quê quán").fill("Hà Nội");
  await continueTo(page, "Thông tin của cha, mẹ");

  // Step 4: the parents; the father's details appear only when ticked.
  const mother = page.getByRole("group", { name: "Mẹ" });
  await mother.getByLabel("Họ, chữ đệm và tên").fill("Trần Thị Mai");
  await mother.getByLabel("Ngày, tháng, năm sinh").fill("1991-03-02");
  await mother.getByRole("radio", { name: "Nữ" }).check();
  await mother.getByLabel("Số định danh cá nhân").fill("001191012346");
  await expect(page.getByRole("group", { name: "Cha", exact: true })).toHaveCount(0);
  await page.getByLabel("Có thông tin về người cha").check();
  const father = page.getByRole("group", { name: "Cha", exact: true });
  await expect(father).toBeVisible();
  await page.getByLabel("Có thông tin về người cha").uncheck();
  await continueTo(page, "Bản sao và lệ phí");

  // Step 5: copies, fee, delivery, declaration.
  await page.getByLabel("Số bản sao trích lục khai sinh đề nghị cấp").fill("1");
  await page.getByRole("radio", { name: "Không thuộc đối tượng miễn" }).check();
  await page.getByRole("radio", { name: "Nhận tại Trung tâm Phục vụ hành chính công" }).check();
  await page.getByLabel(/Tôi cam đoan những nội dung khai trên đây/).check();
  await continueTo(page, "Tải lên giấy tờ");

  // Step 6: documents. Only what these answers need is asked for.
  const notice = page.getByRole("group", { name: "Giấy chứng sinh" });
  await expect(page.getByRole("group", { name: /Văn bản xác nhận của người làm chứng/ })).toHaveCount(0);
  await page.getByRole("button", { name: "Tiếp tục" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Có lỗi cần sửa" })).toBeVisible();
  // A drawing saved as .png is refused by its content, with the reason.
  await notice.getByLabel("Chọn tệp hoặc chụp ảnh").setInputFiles({
    name: "giay-chung-sinh.png",
    mimeType: "image/png",
    buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'),
  });
  await expect(notice.getByText(/không phải loại được nhận/)).toBeVisible();
  // The real photo goes through.
  await notice.getByLabel("Chọn tệp hoặc chụp ảnh").setInputFiles(`${fixtures}/giay-chung-sinh.jpg`);
  await expect(notice.getByText("giay-chung-sinh.jpg")).toBeVisible();
  await expectNoAxeViolations(page);
  await continueTo(page, "Kiểm tra lại thông tin trước khi nộp");

  // Check your answers: everything, composed, with the fee; change links lead back.
  await expect(page.getByText("Nguyễn Minh Khang")).toBeVisible();
  await expect(page.getByText("12 phố Hàng Bạc, Phường Hoàn Kiếm, Hà Nội")).toBeVisible();
  await expect(page.getByText("8.000 ₫").first()).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByRole("link", { name: "Thay đổi Quê quán" }).click();
  await expect(page.getByLabel("Quê quán")).toBeFocused();
  await page.getByLabel("Quê quán").fill("Thường Tín, Hà Nội");
  await continueTo(page, "Thông tin của cha, mẹ");
  await continueTo(page, "Bản sao và lệ phí");
  await continueTo(page, "Tải lên giấy tờ");
  await continueTo(page, "Kiểm tra lại thông tin trước khi nộp");
  await expect(page.getByText("Thường Tín, Hà Nội")).toBeVisible();
  await expect(page.getByText("giay-chung-sinh.jpg")).toBeVisible();

  await page.getByRole("button", { name: "Nộp hồ sơ và thanh toán" }).click();

  // The fee at the payment gateway (the sandbox, which signs with the npm `vnpay` library).
  await expect(page.getByText("CỔNG THANH TOÁN THỬ NGHIỆM (SANDBOX)")).toBeVisible();
  await expect(page.getByText("8.000 ₫")).toBeVisible();
  await page.getByRole("button", { name: /Thanh toán \(thẻ ATM NCB/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Đã nộp hồ sơ thành công" })).toBeVisible();
  // Paid once the gateway's server-to-server notice arrived, with its transaction number.
  await expect(page.getByText(/Đã thanh toán 8\.000 ₫ lúc .* Mã giao dịch: \d+/)).toBeVisible();
  const code = (await page.locator(".panel__code").textContent())!.trim();
  expect(code).toMatch(/^00070-\d{6}-\d{4}$/);
  await expect(page.locator("dd.status")).toHaveText("Mới đăng ký");
  await expect(page.getByRole("region", { name: "Quá trình xử lý" })).toContainText("Công dân");
  await expectNoAxeViolations(page);

  // The receipt is a PDF download.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: /Tải Giấy tiếp nhận hồ sơ và hẹn trả kết quả/ }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`giay-tiep-nhan-${code}.pdf`);
  const path = await download.path();
  const bytes = readFileSync(path);
  expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");

  // The documents filed are listed with their type, size and time, and download again.
  const documents = page.getByRole("region", { name: "Giấy tờ đã nộp" });
  await expect(documents).toContainText("Giấy chứng sinh");
  await expect(documents).toContainText(/JPEG, \d+ KB — .*\d{2}\/\d{2}\/\d{4}/);
  const [photo] = await Promise.all([
    page.waitForEvent("download"),
    documents.getByRole("link", { name: /giay-chung-sinh\.jpg/ }).click(),
  ]);
  expect(photo.suggestedFilename()).toBe("giay-chung-sinh.jpg");
  expect(readFileSync(await photo.path()).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));

  // Anyone with the receipt finds the status with the code and 4 digits.
  await page.goto(`/tra-cuu?ma=${code}`);
  await page.getByLabel("4 số cuối").fill("2345");
  await page.getByRole("button", { name: "Tra cứu" }).click();
  await expect(page.getByRole("region", { name: "Kết quả tra cứu" })).toContainText("Mới đăng ký");

  // The draft is gone from the account once filed.
  await page.goto("/ca-nhan");
  await expect(page.getByText("Bạn không có hồ sơ nào đang soạn.")).toBeVisible();
});

test("typing offline is kept, saved when back online, and carried on from another device", async ({ page, browser }) => {
  await page.goto("/thu-tuc?q=chung+thuc+chu+ky");
  await page.getByRole("link", { name: "Chứng thực chữ ký" }).first().click();
  await page.getByRole("link", { name: "Nộp hồ sơ trực tuyến" }).click();
  await signInFromPrompt(page, "Trần Thị Bình");
  await page.getByLabel("Xã, phường tiếp nhận").selectOption({ label: "Phường Ba Đình" });
  await continueTo(page, "Người yêu cầu chứng thực");
  await page.getByLabel("Số điện thoại").fill("0987654321");
  await expect(page.getByText(/Đã lưu nháp lúc/)).toBeVisible();

  // The connection drops: what is typed stays on the phone, and the page says so.
  await page.context().setOffline(true);
  await page.getByLabel("Thư điện tử").fill("binh@example.vn");
  await expect(page.getByText(/Chưa có kết nối mạng/)).toBeVisible();
  // Kept in the phone's IndexedDB.
  await expect
    .poll(() =>
      page.evaluate(
        () =>
          new Promise<string>((resolve) => {
            const open = indexedDB.open("dichvucong");
            open.onsuccess = () => {
              const all = open.result.transaction("drafts").objectStore("drafts").getAll();
              all.onsuccess = () => resolve(JSON.stringify(all.result));
            };
          }),
      ),
    )
    .toContain("binh@example.vn");
  // Back online: saved without the resident doing anything.
  await page.context().setOffline(false);
  await expect(page.getByText(/Đã lưu nháp lúc/)).toBeVisible({ timeout: 30_000 });

  // On another device (a fresh browser), the draft is listed and resumes with everything.
  const other = await browser.newContext({ viewport: { width: 360, height: 800 }, locale: "vi-VN" });
  const second = await other.newPage();
  await second.goto("/ca-nhan");
  await signInFromPrompt(second, "Trần Thị Bình");
  const drafts = second.getByRole("region", { name: "Hồ sơ đang soạn" });
  await expect(drafts).toContainText("Chứng thực chữ ký");
  await expectNoAxeViolations(second);
  await drafts.getByRole("link", { name: /Tiếp tục soạn/ }).click();
  await expect(second.getByText(/Bạn đang tiếp tục hồ sơ soạn dở/)).toBeVisible();
  await expect(second.getByLabel("Xã, phường tiếp nhận")).toHaveValue("00004");
  await continueTo(second, "Người yêu cầu chứng thực");
  await expect(second.getByLabel("Thư điện tử")).toHaveValue("binh@example.vn");
  await expect(second.getByLabel("Số điện thoại")).toHaveValue("0987654321");

  // Finish there: a repeatable group (someone signing too) and a conditional address.
  await continueTo(second, "Giấy tờ sẽ ký");
  await second.getByLabel("Tên giấy tờ, văn bản").fill("Giấy ủy quyền nhận lương hưu");
  await second.getByLabel("Loại giấy tờ").selectOption({ index: 1 });
  await second.getByLabel("Số giấy tờ, văn bản cần chứng thực chữ ký").fill("2");
  await second.getByRole("button", { name: /Thêm người cùng ký/i }).click();
  const coSigner = second.getByRole("group", { name: "Người cùng ký trên giấy tờ" });
  await expect(coSigner.getByLabel("Họ, chữ đệm và tên")).toBeFocused();
  await coSigner.getByLabel("Họ, chữ đệm và tên").fill("Lê Văn Tám");
  await coSigner.getByLabel("Số định danh cá nhân").fill("001080000222");
  await second.getByRole("checkbox", { name: /không phải là hợp đồng/ }).check();
  await continueTo(second, "Lịch hẹn");
  const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  await second.getByLabel("Ngày đến ký").fill(tomorrow);
  await second.getByRole("radio", { name: "Buổi sáng" }).check();
  await second.getByLabel("Đề nghị chứng thực ngoài trụ sở").check();
  await second.getByLabel("Lý do").fill("Người ký đang nằm viện, không đi lại được.");
  const where = second.getByRole("group", { name: "Địa chỉ nơi thực hiện chứng thực" });
  await where.getByLabel("Xã, phường (Hà Nội)").selectOption({ label: "Phường Ba Đình" });
  await where.getByLabel("Số nhà, ngõ, đường phố, thôn, xóm").fill("Bệnh viện Xanh Pôn, 12 Chu Văn An");
  await second.getByRole("checkbox", { name: /Tôi cam đoan/ }).check();
  await continueTo(second, "Tải lên giấy tờ");
  await second.getByLabel("Chọn tệp hoặc chụp ảnh").setInputFiles(`${fixtures}/giay-chung-sinh.pdf`);
  await expect(second.getByText("giay-chung-sinh.pdf")).toBeVisible();
  await continueTo(second, "Kiểm tra lại thông tin trước khi nộp");
  await expect(second.getByText("20.000 ₫").first()).toBeVisible();
  await second.getByRole("button", { name: "Nộp hồ sơ và thanh toán" }).click();
  // She cancels at the gateway: the dossier is filed, the fee still due, and she can pay again.
  await second.getByRole("button", { name: "Hủy thanh toán" }).click();
  await expect(second.getByRole("heading", { level: 1, name: "Đã nộp hồ sơ thành công" })).toBeVisible();
  await expect(second.getByText(/chưa thành công hoặc đã bị hủy/)).toBeVisible();
  await expectNoAxeViolations(second);
  await second.getByRole("button", { name: "Thanh toán 20.000 ₫ trực tuyến" }).click();
  await second.getByRole("button", { name: /Thanh toán \(thẻ ATM NCB/ }).click();
  await expect(second.getByText(/Đã thanh toán 20\.000 ₫/)).toBeVisible();
  const [receipt] = await Promise.all([
    second.waitForEvent("download"),
    second.getByRole("link", { name: /Tải Giấy tiếp nhận hồ sơ/ }).click(),
  ]);
  expect(readFileSync(await receipt.path()).subarray(0, 5).toString()).toBe("%PDF-");
  await expect(second.locator(".panel__code")).toHaveText(/^00004-\d{6}-\d{4}$/);
  await other.close();
});

test("a tenant registers temporary residence with a household member, a document and the fee", async ({ page }) => {
  await page.goto("/thu-tuc/dang-ky-tam-tru");
  await page.getByRole("link", { name: "Nộp hồ sơ trực tuyến" }).click();
  await signInFromPrompt(page, "Trần Thị Bình");
  await page.getByLabel("Xã, phường tiếp nhận").selectOption({ label: "Phường Ba Đình" });
  await continueTo(page, "Người kê khai");
  await expect(page.getByRole("group", { name: "Người đề nghị đăng ký tạm trú" }).getByLabel("Họ, chữ đệm và tên")).toHaveValue("Trần Thị Bình");
  await page.getByLabel("Số điện thoại").fill("0987 654 321");
  await page.getByRole("radio", { name: "Cá nhân, hộ gia đình" }).check();
  await continueTo(page, "Nơi đề nghị đăng ký tạm trú");

  const where = page.getByRole("group", { name: "Địa chỉ chỗ ở đề nghị đăng ký tạm trú" });
  await where.getByLabel("Xã, phường (Hà Nội)").selectOption({ label: "Phường Ba Đình" });
  await where.getByLabel("Số nhà, ngõ, đường phố, thôn, xóm").fill("Số 5 ngõ 12 phố Đội Cấn");
  await page.getByLabel("Chỗ ở", { exact: true }).selectOption({ label: "Thuê, mượn, ở nhờ" });
  await page.getByLabel("Họ, chữ đệm và tên chủ sở hữu chỗ ở").fill("Phạm Văn Chủ");
  await page.getByLabel("Số điện thoại của chủ sở hữu").fill("0904 111 222");
  await page.getByRole("radio", { name: /Đứng tên chủ hộ/ }).check();
  const nextYear = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel("Tạm trú đến ngày").fill(nextYear);
  await page.getByLabel("Mục đích tạm trú").selectOption({ label: "Lao động, làm việc" });
  await continueTo(page, "Thành viên cùng đăng ký");

  // A repeatable group: her daughter registers with her.
  await page.getByRole("button", { name: "Thêm thành viên" }).click();
  const member = page.locator(".group-entry").first();
  await expect(member.getByRole("heading", { name: "Thành viên 1" })).toBeVisible();
  await member.getByLabel("Họ, chữ đệm và tên").fill("Nguyễn Gia Hân");
  await member.getByLabel("Ngày, tháng, năm sinh").fill("2015-06-01");
  await member.getByRole("radio", { name: "Nữ" }).check();
  // A mistyped number is caught on this page, next to the entry it belongs to.
  await member.getByLabel("Số định danh cá nhân").fill("00131500077");
  await member.getByLabel("Mối quan hệ với chủ hộ").fill("Con");
  await page.getByRole("button", { name: "Tiếp tục" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Có lỗi cần sửa" })).toContainText("Số định danh cá nhân gồm đúng 12 chữ số.");
  await expect(member.getByText("Số định danh cá nhân gồm đúng 12 chữ số.")).toBeVisible();
  await member.getByLabel("Số định danh cá nhân").fill("001315000777");
  await page.getByLabel("Ghi chú").fill("Hai mẹ con thuê nhà để đi làm và đi học.\nLiên hệ buổi tối.");
  await continueTo(page, "Lệ phí và nhận kết quả");
  await page.getByRole("radio", { name: "Không thuộc đối tượng miễn" }).check();
  await page.getByRole("radio", { name: /Thông báo điện tử trên VNeID/ }).check();
  await page.getByRole("checkbox", { name: /Tôi cam đoan/ }).check();
  await continueTo(page, "Tải lên giấy tờ");
  await page
    .getByRole("group", { name: /Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp/ })
    .getByLabel("Chọn tệp hoặc chụp ảnh")
    .setInputFiles(`${fixtures}/van-ban.png`);
  await expect(page.getByText("van-ban.png")).toBeVisible();
  // A 3 MB phone photo is scaled down on the phone before it is sent.
  const proof = page.getByRole("group", { name: /Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp/ });
  await proof.getByLabel("Chọn tệp hoặc chụp ảnh").setInputFiles({ name: "hop-dong-thue.jpg", mimeType: "image/jpeg", buffer: bigPhoto(3 * 1024 * 1024) });
  const sent = proof.locator(".file").filter({ hasText: "hop-dong-thue.jpg" });
  await expect(sent).toBeVisible();
  await expect(sent).toContainText(/\d+ KB/);
  await continueTo(page, "Kiểm tra lại thông tin trước khi nộp");
  await expect(page.getByText(/1\. Nguyễn Gia Hân/)).toBeVisible();
  await expect(page.getByText("7.000 ₫").first()).toBeVisible();
  await expectNoAxeViolations(page);

  await page.getByRole("button", { name: "Nộp hồ sơ và thanh toán" }).click();
  await page.getByRole("button", { name: /Thanh toán \(thẻ ATM NCB/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Đã nộp hồ sơ thành công" })).toBeVisible();
  await expect(page.getByText(/Đã thanh toán 7\.000 ₫/)).toBeVisible();
  const code = (await page.locator(".panel__code").textContent())!.trim();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: /Tải Giấy tiếp nhận hồ sơ/ }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`giay-tiep-nhan-${code}.pdf`);
});
