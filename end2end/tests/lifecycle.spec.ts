import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { expectNoAxeViolations } from "./a11y";

// A dossier's whole life, as the people involved see it: a resident on a 360 px phone, the
// one-stop officer and the ward leader on counter PCs, each in their own browser.
const fixtures = new URL("../../tests/fixtures", import.meta.url).pathname;
const phone = { viewport: { width: 360, height: 800 }, isMobile: true, hasTouch: true };
const desk = { viewport: { width: 1280, height: 800 } };

// Each journey opens its own contexts; run them once (in the desktop project).
test.skip(({ isMobile }) => isMobile, "the journeys open their own phone and desktop contexts");

async function signIn(page: Page, name: string) {
  await page.getByRole("main").getByRole("link", { name: "Đăng nhập bằng VNeID" }).click();
  await expect(page.getByText("MÔI TRƯỜNG THỬ NGHIỆM (SANDBOX)")).toBeVisible();
  await page.getByRole("button", { name: new RegExp(name) }).click();
}

async function open(browser: Browser, device: object, path: string, who: string): Promise<[BrowserContext, Page]> {
  const context = await browser.newContext({ ...device, locale: "vi-VN", timezoneId: "Asia/Ho_Chi_Minh" });
  const page = await context.newPage();
  await page.goto(path);
  await signIn(page, who);
  return [context, page];
}

/** Calls a server function as the page's signed-in person (as the app itself does). */
async function call(page: Page, fn: string, body: unknown): Promise<any> {
  const r = await page.request.post(`/api/${fn}`, {
    data: body,
    headers: { "sec-fetch-site": "same-origin" },
  });
  expect(r.status(), `${fn}: ${await r.text()}`).toBe(200);
  return r.json();
}

/** Files a complete birth registration with its birth notice through the portal's own API. */
async function fileBirth(page: Page): Promise<string> {
  const draft = await call(page, "filing/start", { req: { slug: "dang-ky-khai-sinh", fresh: true } });
  const born = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
  const person = (name: string, birth: string, sex: string, id: string) => ({ name, birth_date: birth, sex, id_number: id });
  const answers = {
    receiving_unit: "00070",
    applicant: person("Nguyễn Văn An", "1989-03-14", "male", "001089012345"),
    relationship: "cha",
    phone: "0912345678",
    residence: { unit: "00070", street: "12 phố Hàng Bạc" },
    child_name: "Nguyễn Minh Khang",
    child_birth_date: born,
    child_sex: "male",
    child_ethnicity: "Kinh",
    child_nationality: "VN",
    birth_place_kind: "co_so_y_te",
    birth_facility: "Bệnh viện Phụ sản Hà Nội",
    hometown: "Hà Nội",
    mother: person("Trần Thị Mai", "1991-03-02", "female", "001191012346"),
    father_known: true,
    father: person("Nguyễn Văn An", "1989-03-14", "male", "001089012345"),
    parents_married: true,
    extract_copies: "0",
    exemption: "none",
    result_delivery: "counter",
    declaration: true,
  };
  await call(page, "filing/save", { req: { id: draft.id, answers } });
  const bytes = readFileSync(`${fixtures}/giay-chung-sinh.jpg`);
  const up = await call(page, "uploads/start", {
    req: { draft_id: draft.id, slot: "giay_chung_sinh", name: "giay-chung-sinh.jpg", size: bytes.length },
  });
  const put = await page.request.put(`/files/uploads/${up.id}`, {
    data: bytes,
    headers: { "upload-offset": "0", "sec-fetch-site": "same-origin" },
  });
  expect(put.status()).toBe(200);
  return call(page, "filing/submit", { req: { draft_id: draft.id, idempotency_key: draft.idempotency_key } });
}

async function act(page: Page, name: string) {
  await page.getByRole("button", { name, exact: true }).click();
}

test("submit, accept, supplement, approve, return: resident on a phone, ward staff at the counter", async ({ browser }) => {
  test.setTimeout(180_000);
  const [residentCtx, resident] = await open(browser, phone, "/ho-so", "Nguyễn Văn An");
  await expect(resident.getByRole("heading", { level: 1, name: "Hồ sơ của tôi" })).toBeVisible();
  const code = await fileBirth(resident);

  // The resident follows the dossier on its page (status, countdown computed by the server).
  await resident.goto(`/ho-so/${code}`);
  await expect(resident.getByRole("heading", { level: 1, name: new RegExp(code) })).toBeVisible();
  await expect(resident.getByText("Mới đăng ký").first()).toBeVisible();
  await expect(resident.getByText(/Còn .* làm việc/)).toBeVisible();

  // The officer sees it among the new online dossiers of Phường Hoàn Kiếm.
  const [officerCtx, officer] = await open(browser, desk, "/can-bo", "Ngô Thị Mai");
  await expect(officer.getByRole("heading", { level: 1, name: "Bàn làm việc một cửa" })).toBeVisible();
  await officer.getByRole("link", { name: /Hồ sơ mới trực tuyến/ }).click();
  await expect(officer).toHaveURL(/hang=moi/);
  await expectNoAxeViolations(officer);
  await officer.getByRole("link", { name: code }).click();
  await expect(officer.getByText("Nguyễn Văn An").first()).toBeVisible();
  await expect(officer.getByText("••••••••2345")).toBeVisible();
  await expectNoAxeViolations(officer);
  await act(officer, "Tiếp nhận hồ sơ");
  await expect(officer.getByText("Được tiếp nhận").first()).toBeVisible();
  await act(officer, "Bắt đầu xử lý");
  await expect(officer.getByText("Đang xử lý").first()).toBeVisible();

  // An itemised supplement request: the birth notice is unreadable.
  await act(officer, "Yêu cầu bổ sung");
  await officer.getByRole("checkbox", { name: /Giấy chứng sinh/ }).check();
  await officer.getByLabel(/Yêu cầu cụ thể cho Giấy chứng sinh/).fill("Ảnh chụp bị mờ, chụp lại rõ nét đủ bốn góc");
  await expectNoAxeViolations(officer);
  await officer.getByRole("button", { name: "Xác nhận: Yêu cầu bổ sung" }).click();
  await expect(officer.getByText("Yêu cầu bổ sung giấy tờ").first()).toBeVisible();
  // The supplement slip is offered for printing, and it is a real PDF.
  const slip = officer.waitForEvent("download");
  await officer.getByRole("link", { name: "In Phiếu yêu cầu bổ sung hồ sơ (PDF)" }).click();
  expect(readFileSync((await (await slip).path())!).subarray(0, 5).toString()).toBe("%PDF-");

  // The resident is told at once (live), sees the paused clock and sends only that document.
  await expect(resident.getByText("Yêu cầu bổ sung giấy tờ").first()).toBeVisible({ timeout: 20_000 });
  await expect(resident.getByText("Tạm dừng — chờ Ông/Bà bổ sung giấy tờ")).toBeVisible();
  await expect(resident.getByText("Ảnh chụp bị mờ, chụp lại rõ nét đủ bốn góc")).toBeVisible();
  await expectNoAxeViolations(resident);
  await resident.getByLabel("Giấy chứng sinh").setInputFiles(`${fixtures}/giay-chung-sinh.pdf`);
  await expect(resident.getByText("Đã tải lên: giay-chung-sinh.pdf")).toBeVisible();
  await resident.getByRole("button", { name: "Gửi bổ sung" }).click();
  await expect(resident.getByText("Đã gửi bổ sung. Hồ sơ tiếp tục được giải quyết.")).toBeVisible();
  await expect(resident.getByText(/Còn .* làm việc/)).toBeVisible();

  // Officer forwards; the leader approves in their own browser.
  await officer.reload();
  await expect(officer.getByText(/đã bổ sung lúc/)).toBeVisible();
  await act(officer, "Trình lãnh đạo");
  await officer.getByRole("button", { name: "Xác nhận: Trình lãnh đạo" }).click();
  await expect(officer.getByText("Đang chờ lãnh đạo duyệt").first()).toBeVisible();

  const [leaderCtx, leader] = await open(browser, desk, "/can-bo", "Đỗ Quang Huy");
  await leader.getByRole("link", { name: /Chờ lãnh đạo duyệt/ }).click();
  await leader.getByRole("link", { name: code }).click();
  await act(leader, "Phê duyệt");
  await leader.getByRole("button", { name: "Xác nhận: Phê duyệt" }).click();
  await expect(leader.getByText("Đã xử lý xong").first()).toBeVisible();

  // The officer attaches the electronic result and hands it over.
  await officer.reload();
  await officer.getByLabel("Đính kèm kết quả (tệp PDF)").setInputFiles(`${fixtures}/giay-chung-sinh.pdf`);
  await expect(officer.getByText("Đã đính kèm kết quả.")).toBeVisible();
  await act(officer, "Đã trả kết quả");
  await expect(officer.getByText("Đã trả kết quả").first()).toBeVisible();

  // The resident downloads the result and sees who worked on the dossier (role and ward).
  await resident.reload();
  await expect(resident.getByText("Đã trả kết quả").first()).toBeVisible();
  const download = resident.waitForEvent("download");
  await resident.getByRole("link", { name: /Tải kết quả/ }).click();
  expect((await download).suggestedFilename()).toMatch(/\.pdf$/);
  const access = resident.getByRole("region", { name: "Ai đã truy cập hồ sơ của tôi" });
  await expect(access.getByText("Cán bộ một cửa").first()).toBeVisible();
  await expect(access.getByText("Phường Hoàn Kiếm").first()).toBeVisible();
  await expect(access.getByText("Phê duyệt kết quả")).toBeVisible();
  await expect(resident.getByText("Ngô Thị Mai")).toHaveCount(0);
  await expectNoAxeViolations(resident);

  // Anyone with the receipt looks it up without signing in: status only, no name.
  const anon = await browser.newContext({ ...phone, locale: "vi-VN" });
  const lookup = await anon.newPage();
  await lookup.goto(`/tra-cuu?ma=${code}`);
  await lookup.getByLabel("4 số cuối số định danh cá nhân").fill("2345");
  await lookup.getByRole("button", { name: "Tra cứu" }).click();
  await expect(lookup.getByText("Đã trả kết quả").first()).toBeVisible();
  await expect(lookup.getByText("Nguyễn Văn An")).toHaveCount(0);

  for (const c of [residentCtx, officerCtx, leaderCtx, anon]) await c.close();
});

test("counter intake on a resident's behalf, with consent, and the printed receipt", async ({ browser }) => {
  test.setTimeout(120_000);
  const [ctx, officer] = await open(browser, desk, "/can-bo", "Ngô Thị Mai");
  await officer.getByRole("link", { name: "Tiếp nhận tại quầy" }).click();
  await expect(officer.getByRole("heading", { level: 1, name: "Tiếp nhận hồ sơ tại quầy" })).toBeVisible();
  await officer.getByLabel("Thủ tục", { exact: true }).selectOption({ label: "Chứng thực chữ ký" });
  await officer.getByLabel("Số định danh cá nhân", { exact: true }).first().fill("001189012389");
  await officer.getByLabel("Họ và tên", { exact: true }).first().fill("Trần Thị Bình");
  // The procedure's own form, the same fields as online.
  const applicant = officer.getByRole("group", { name: "Người yêu cầu" });
  await applicant.getByLabel("Họ, chữ đệm và tên").fill("Trần Thị Bình");
  await applicant.getByLabel("Số định danh cá nhân").fill("001189012389");
  await applicant.getByLabel("Ngày, tháng, năm sinh").fill("1989-11-02");
  await applicant.getByRole("radio", { name: "Nữ" }).check();
  await officer.getByLabel("Số điện thoại").fill("0987654321");
  await officer.getByLabel("Tên giấy tờ, văn bản").fill("Giấy ủy quyền nhận lương hưu");
  await officer.getByLabel("Loại giấy tờ").selectOption({ index: 1 });
  await officer.getByLabel("Số giấy tờ, văn bản cần chứng thực chữ ký").fill("1");
  await officer.getByRole("checkbox", { name: /không phải là hợp đồng/ }).check();
  const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  await officer.getByLabel("Ngày đến ký").fill(tomorrow);
  await officer.getByRole("radio", { name: "Buổi sáng" }).check();
  await officer.getByRole("checkbox", { name: /Tôi cam đoan/ }).check();
  // The papers handed in are ticked; the receipt will list them.
  const papers = officer.getByRole("group", { name: "Giấy tờ đã nhận" });
  await papers.getByRole("checkbox").first().check();
  // The resident reads what they agree to; until they confirm, nothing is filed.
  const consent = officer.getByRole("region", { name: "Sự đồng ý của công dân" });
  await expect(consent).toContainText("Tôi đồng ý để cán bộ Bộ phận một cửa");
  await officer.getByRole("button", { name: "Tiếp nhận hồ sơ" }).click();
  const summary = officer.getByRole("alert").filter({ hasText: "Có lỗi cần sửa" });
  await expect(summary).toBeVisible();
  await expect(summary.getByText(/Công dân chưa xác nhận trên điện thoại/)).toBeVisible();
  // A QR code for the resident's own phone.
  await consent.getByRole("button", { name: "Tạo mã QR để công dân xác nhận" }).click();
  await expect(consent.getByRole("img", { name: /Mã QR mở trang xác nhận/ })).toBeVisible();
  await expect(consent.getByText("Đang chờ công dân xác nhận…")).toBeVisible();
  await expectNoAxeViolations(officer);
  const url = (await consent.locator(".consent-qr__url").textContent())!.trim();
  // Bình scans it with her phone, signs in with VNeID as herself, reads and agrees.
  const [phoneCtx, resident] = await open(browser, phone, url, "Trần Thị Bình");
  await expect(resident.getByRole("heading", { level: 1, name: "Xác nhận đồng ý nộp hồ sơ tại quầy" })).toBeVisible();
  await expect(resident.getByText(/Bộ phận một cửa Phường Hoàn Kiếm đề nghị bạn xác nhận/)).toBeVisible();
  await expectNoAxeViolations(resident);
  await resident.getByRole("button", { name: "Tôi đồng ý" }).click();
  await expect(resident.getByText(/Bạn đã xác nhận/)).toBeVisible();
  await phoneCtx.close();
  // The counter sees it at once, and files.
  await expect(consent.getByText("Công dân đã xác nhận trên điện thoại.")).toBeVisible();
  await officer.getByRole("button", { name: "Tiếp nhận hồ sơ" }).click();
  await expect(officer.getByText("Đã tiếp nhận hồ sơ")).toBeVisible();
  const code = (await officer.getByText(/^00070-\d{6}-\d{4}$/).first().textContent())!.trim();
  // The receipt prints as a PDF naming the resident, on channel 1.
  const download = officer.waitForEvent("download");
  await officer.getByRole("link", { name: "In giấy tiếp nhận" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(`giay-tiep-nhan-${code}.pdf`);
  expect(readFileSync((await file.path())!).subarray(0, 5).toString()).toBe("%PDF-");
  await officer.getByRole("link", { name: "Mở hồ sơ trong bàn làm việc một cửa" }).click();
  await expect(officer.getByText("Trực tiếp").first()).toBeVisible();
  await expect(officer.getByText("Mới đăng ký").first()).toBeVisible();
  await ctx.close();
});

test("the leader hands a dossier to a named officer, who is told at once", async ({ browser }) => {
  test.setTimeout(120_000);
  const [residentCtx, resident] = await open(browser, phone, "/ho-so", "Nguyễn Văn An");
  const code = await fileBirth(resident);
  // The officer keeps the notification centre open.
  const [officerCtx, officer] = await open(browser, desk, "/thong-bao", "Ngô Thị Mai");
  await expect(officer.getByRole("heading", { level: 1, name: "Thông báo" })).toBeVisible();

  const [leaderCtx, leader] = await open(browser, desk, "/can-bo", "Đỗ Quang Huy");
  await leader.getByRole("link", { name: /Hồ sơ mới trực tuyến/ }).click();
  await leader.getByRole("link", { name: code }).click();
  await expect(leader.getByText("Chưa có cán bộ nhận xử lý")).toBeVisible();
  await act(leader, "Giao cho cán bộ khác");
  const picker = leader.getByLabel("Giao cho cán bộ");
  // Nobody chosen: the picker says so and nothing is sent.
  await leader.getByRole("button", { name: "Xác nhận: Giao cho cán bộ khác" }).click();
  await expect(picker).toHaveAttribute("aria-invalid", "true");
  await picker.selectOption({ label: "Ngô Thị Mai (cán bộ một cửa)" });
  await expectNoAxeViolations(leader);
  await leader.getByRole("button", { name: "Xác nhận: Giao cho cán bộ khác" }).click();
  await expect(leader.getByText("Đang do Ngô Thị Mai xử lý")).toBeVisible();

  // The officer is told live and opens the dossier, which is now hers.
  const notice = officer.getByRole("listitem").filter({ hasText: `Hồ sơ ${code} được giao cho bạn xử lý` });
  await expect(notice).toBeVisible({ timeout: 20_000 });
  await notice.getByRole("link", { name: `Xem hồ sơ ${code}` }).click();
  await expect(officer.getByText("Bạn đang xử lý hồ sơ này")).toBeVisible();
  await officer.getByRole("link", { name: "Về bàn làm việc một cửa" }).click();
  await officer.getByRole("link", { name: /Tôi đang xử lý/ }).click();
  await expect(officer.getByRole("link", { name: code })).toBeVisible();

  // The resident sees the hand-over in the access log, by role, never by name.
  await resident.goto(`/ho-so/${code}`);
  const access = resident.getByRole("region", { name: "Ai đã truy cập hồ sơ của tôi" });
  await expect(access.getByText("Giao hồ sơ cho cán bộ xử lý")).toBeVisible();
  await expect(access.getByText("Lãnh đạo phường").first()).toBeVisible();
  await expect(resident.getByText("Ngô Thị Mai")).toHaveCount(0);

  for (const c of [residentCtx, officerCtx, leaderCtx]) await c.close();
});
