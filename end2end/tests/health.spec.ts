import { expect, test, type Page } from "@playwright/test";
import { expectNoAxeViolations } from "./a11y";

// The electronic health record, read from the sandbox FHIR server (end2end/sandbox/ehr.mjs).

const CANARY = "CANARY-EHR-7f3a";

async function signInFromPrompt(page: Page, name: string) {
  await page.getByRole("main").getByRole("link", { name: "Đăng nhập bằng VNeID" }).click();
  await expect(page.getByText("MÔI TRƯỜNG THỬ NGHIỆM (SANDBOX)")).toBeVisible();
  await page.getByRole("button", { name: new RegExp(name) }).click();
}

/** Starts from no consent, whatever an earlier test left (the projects share one server). */
async function withdrawConsent(page: Page) {
  const r = await page.request.post("/api/health/consent", {
    data: { req: { change: "Withdraw" } },
    headers: { "sec-fetch-site": "same-origin" },
  });
  expect(r.status()).toBe(200);
  await page.reload();
}

/** Everything the page's origin keeps: local and session storage, IndexedDB, the caches. */
async function storedText(page: Page): Promise<string> {
  return page.evaluate(async () => {
    let out = JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage });
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      const db: IDBDatabase = await new Promise((resolve, reject) => {
        const open = indexedDB.open(info.name!);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      for (const store of Array.from(db.objectStoreNames)) {
        const all: unknown[] = await new Promise((resolve, reject) => {
          const q = db.transaction(store).objectStore(store).getAll();
          q.onsuccess = () => resolve(q.result);
          q.onerror = () => reject(q.error);
        });
        out += JSON.stringify(all);
      }
      db.close();
    }
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const req of await cache.keys()) {
        const hit = await cache.match(req);
        out += req.url + (hit ? await hit.text() : "");
      }
    }
    return out;
  });
}

test.describe("health record", () => {
  test("signed out, the page explains and asks to sign in", async ({ page }) => {
    const response = await page.goto("/suc-khoe");
    expect(response?.status()).toBe(200);
    await expect(page.getByRole("heading", { level: 1, name: "Sổ sức khỏe điện tử" })).toBeVisible();
    await expect(page.getByText("Đăng nhập bằng VNeID (mức 2) để xem sổ sức khỏe.")).toBeVisible();
    await expectNoAxeViolations(page);
  });

  test("a resident consents, reads a visit, a test over time and the child's vaccinations, shares them; nothing stays behind", async ({ page, browser }) => {
    await page.goto("/");
    await page.getByRole("navigation", { name: "Điều hướng chính" }).getByRole("link", { name: "Sức khỏe" }).click();
    await expect(page).toHaveURL(/\/suc-khoe$/);
    await signInFromPrompt(page, "Nguyễn Văn An");
    await expect(page).toHaveURL(/\/suc-khoe$/);
    await withdrawConsent(page);

    // The notice, and a consent that is not pre-ticked.
    await expect(page.getByRole("heading", { level: 2, name: "Trước khi mở sổ sức khỏe" })).toBeVisible();
    const box = page.getByLabel("Tôi đã đọc và đồng ý với nội dung trên");
    await expect(box).not.toBeChecked();
    await expect(page.getByText(/Phiên bản nội dung: \d{4}-\d{2}-\d{2}/)).toBeVisible();
    await expectNoAxeViolations(page);
    await page.getByRole("button", { name: "Đồng ý và mở sổ sức khỏe" }).click();
    await expect(page.getByText("Đánh dấu ô “Tôi đã đọc và đồng ý” để mở sổ sức khỏe")).toBeVisible();
    await box.check();
    await page.getByRole("button", { name: "Đồng ý và mở sổ sức khỏe" }).click();

    // Overview.
    await expect(page.getByText("001*******45")).toBeVisible();
    await expect(page.getByRole("heading", { level: 2, name: "Dị ứng" })).toBeVisible();
    await expect(page.getByText(/Penicillin/).first()).toBeVisible();
    await expect(page.getByText("E11.9").first()).toBeVisible();
    await expect(page.getByText("1 mục không hiển thị được vì dữ liệu gửi lên chưa đúng định dạng.")).toBeVisible();
    await expectNoAxeViolations(page);
    // Take it along: the whole record and the international summary.
    for (const [name, file] of [
      ["Toàn bộ hồ sơ (FHIR R4, JSON)", "ho-so-suc-khoe.fhir.json"],
      ["Tóm tắt hồ sơ sức khỏe quốc tế (IPS, JSON)", "tom-tat-suc-khoe-ips.fhir.json"],
    ]) {
      const got = page.waitForEvent("download");
      await page.getByRole("link", { name }).click();
      expect((await got).suggestedFilename()).toBe(file);
    }

    // Visits, filtered by year, then the latest visit in full.
    const tabs = page.getByRole("navigation", { name: "Các phần của sổ sức khỏe" });
    await tabs.getByRole("link", { name: "Lần khám" }).click();
    await expect(page.getByText("26 lần khám")).toBeVisible();
    await page.getByLabel("Năm").selectOption("2019");
    await page.getByRole("button", { name: "Lọc" }).click();
    await expect(page).toHaveURL(/nam=2019/);
    await expect(page.getByText("Cấp cứu").first()).toBeVisible();
    await page.getByLabel("Năm").selectOption("2026");
    await page.getByRole("button", { name: "Lọc" }).click();
    await page.locator(".visit a").first().click();
    await expect(page).toHaveURL(/\/suc-khoe\/lan-kham\/enc-an-2026-11$/);
    await expect(page.getByRole("heading", { level: 2, name: /^Lần khám ngày/ })).toBeVisible();
    await expect(page.getByText("đang chờ bác sĩ tư vấn")).toBeVisible();
    await expect(page.getByText("không có khoảng tham chiếu").first()).toBeVisible();
    await expect(page.getByText(CANARY).first()).toBeVisible();
    await expect(page.locator(".dosage").first()).toContainText("_");
    await expectNoAxeViolations(page);

    // The facility's own PDF.
    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: /Tải về \(PDF\)/ }).first().click();
    expect((await download).suggestedFilename()).toMatch(/\.pdf$/);
    // The portal's own summary of the visit.
    const summary = page.waitForEvent("download");
    await page.getByRole("link", { name: "Tải tóm tắt lần khám (PDF)" }).click();
    expect((await summary).suggestedFilename()).toBe("lan-kham-enc-an-2026-11.pdf");

    // One test over time: a chart described in words, with the values in a table.
    await tabs.getByRole("link", { name: "Xét nghiệm" }).click();
    await expect(page.getByRole("img", { name: /^Biểu đồ .+ qua \d+ lần xét nghiệm/ })).toBeVisible();
    await expect(page.locator("table.results tbody tr").first()).toBeVisible();
    await expectNoAxeViolations(page);

    // The daughter's vaccinations.
    await page.getByLabel("Sổ sức khỏe của").selectOption({ label: "Nguyễn Gia Hân (con)" });
    await page.getByRole("button", { name: "Xem", exact: true }).click();
    await expect(page).toHaveURL(/nguoi=c-/);
    await page.getByRole("navigation", { name: "Các phần của sổ sức khỏe" }).getByRole("link", { name: "Tiêm chủng" }).click();
    await expect(page.getByText(/Quá hạn từ/).first()).toBeVisible();
    await expect(page.getByText(/Đến hạn, tiêm trước/).first()).toBeVisible();
    await expectNoAxeViolations(page);

    // Who looked: the father's reads are in her log.
    await page.getByRole("navigation", { name: "Các phần của sổ sức khỏe" }).getByRole("link", { name: "Ai đã xem" }).click();
    await expect(page.getByRole("cell", { name: "Nguyễn Văn An (cha, mẹ)" }).first()).toBeVisible();
    await expect(page.getByRole("cell", { name: "Xem tiêm chủng" }).first()).toBeVisible();
    await expectNoAxeViolations(page);

    // Share the vaccinations with a doctor, who opens the link in another browser.
    await page.getByRole("navigation", { name: "Các phần của sổ sức khỏe" }).getByRole("link", { name: "Chia sẻ" }).click();
    await page.getByLabel("Chỉ thông tin tiêm chủng").check();
    await page.getByLabel("Mã truy cập").fill("246810");
    await page.getByLabel("Tên gợi nhớ (không bắt buộc)").fill("Cho bác sĩ Lan");
    await page.getByRole("button", { name: "Tạo liên kết chia sẻ" }).click();
    const link = await page.getByLabel("Liên kết chia sẻ", { exact: true }).inputValue();
    expect(link).toContain("/chia-se-suc-khoe#shlink:/");
    await expect(page.getByRole("img", { name: "Mã QR của liên kết chia sẻ" })).toBeVisible();
    await expectNoAxeViolations(page);
    const doctor = await browser.newContext();
    const viewer = await doctor.newPage();
    await viewer.goto(link);
    await expect(viewer.getByRole("heading", { level: 1, name: "Sổ sức khỏe được chia sẻ" })).toBeVisible();
    await viewer.getByLabel("Họ tên và nơi làm việc của bạn").fill("BS. Lan, Bệnh viện Bạch Mai");
    await viewer.getByLabel("Mã truy cập").fill("000000");
    await viewer.getByRole("button", { name: "Mở" }).click();
    await expect(viewer.getByText("Mã truy cập chưa đúng. Còn 9 lần thử.")).toBeVisible();
    await viewer.getByLabel("Mã truy cập").fill("246810");
    await viewer.getByRole("button", { name: "Mở" }).click();
    await expect(viewer.getByText("Nguyễn Gia Hân")).toBeVisible();
    await expect(viewer.getByRole("heading", { level: 2, name: "Tiêm chủng" })).toBeVisible();
    await expect(viewer.getByRole("listitem").first()).toBeVisible();
    await expectNoAxeViolations(viewer);
    // The opening is in the child's log, with the doctor's own words.
    await page.getByRole("navigation", { name: "Các phần của sổ sức khỏe" }).getByRole("link", { name: "Ai đã xem" }).click();
    await expect(page.getByRole("cell", { name: "Người nhận liên kết chia sẻ (BS. Lan, Bệnh viện Bạch Mai)" }).first()).toBeVisible();
    // Revoked: the link is gone at once.
    await page.getByRole("navigation", { name: "Các phần của sổ sức khỏe" }).getByRole("link", { name: "Chia sẻ" }).click();
    await page.getByRole("button", { name: /^Thu hồi/ }).first().click();
    await expect(page.getByText("Đã thu hồi").first()).toBeVisible();
    await viewer.reload();
    await viewer.getByLabel("Họ tên và nơi làm việc của bạn").fill("BS. Lan");
    await viewer.getByLabel("Mã truy cập").fill("246810");
    await viewer.getByRole("button", { name: "Mở" }).click();
    await expect(viewer.getByText("Liên kết đã hết hạn, đã bị thu hồi hoặc đã hết lượt thử.")).toBeVisible();
    expect(await storedText(viewer)).not.toContain("Gia Hân");
    await doctor.close();

    // Nothing of the record is kept in the browser.
    const stored = await storedText(page);
    expect(stored).not.toContain(CANARY);
    expect(stored).not.toContain("Penicillin");

    // Withdrawing closes it.
    await page.getByRole("button", { name: "Rút lại sự đồng ý" }).click();
    await expect(page.getByRole("heading", { level: 2, name: "Trước khi mở sổ sức khỏe" })).toBeVisible();
    await expect(page.getByLabel("Tôi đã đọc và đồng ý với nội dung trên")).not.toBeChecked();
  });

  test("the record reads in English", async ({ page }) => {
    await page.goto("/");
    await page.getByRole("button", { name: "Switch to English" }).click();
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await page.goto("/suc-khoe");
    await page.getByRole("main").getByRole("link", { name: "Sign in with VNeID" }).click();
    await expect(page.getByText("MÔI TRƯỜNG THỬ NGHIỆM (SANDBOX)")).toBeVisible();
    await page.getByRole("button", { name: /Nguyễn Văn An/ }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Electronic health record" })).toBeVisible();
    await withdrawConsent(page);
    await page.getByLabel("I have read the above and agree").check();
    await page.getByRole("button", { name: "Agree and open the record" }).click();
    await expect(page.getByRole("heading", { level: 2, name: "Allergies" })).toBeVisible();
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await expectNoAxeViolations(page);
    await page.goto("/suc-khoe/lan-kham/enc-an-2026-11");
    await expect(page.getByText("waiting for your doctor to discuss it")).toBeVisible();
    await expect(page.getByText("no reference range").first()).toBeVisible();
    await expectNoAxeViolations(page);
    await page.goto("/suc-khoe/xet-nghiem");
    await expect(page.getByRole("img", { name: /^Chart of .+ over \d+ tests/ })).toBeVisible();
    await expectNoAxeViolations(page);
    await page.goto("/suc-khoe/nhat-ky");
    await expect(page.getByRole("heading", { level: 2, name: "Who looked at the health record" })).toBeVisible();
    await expectNoAxeViolations(page);
    await page.getByRole("button", { name: "Withdraw consent" }).click();
    await expect(page.getByRole("heading", { level: 2, name: "Before your health record opens" })).toBeVisible();
  });

  test("a level-1 identity is told why and sees no data", async ({ page }) => {
    await page.goto("/suc-khoe");
    await signInFromPrompt(page, "Lê Minh Cường");
    await expect(page.getByText(/Sổ sức khỏe chỉ mở cho tài khoản định danh điện tử mức 2/)).toBeVisible();
    await expect(page.getByLabel("Tôi đã đọc và đồng ý với nội dung trên")).toHaveCount(0);
    await expectNoAxeViolations(page);
  });

  test("ward staff have no health record in the menu or behind it", async ({ page }) => {
    await page.goto("/suc-khoe");
    await signInFromPrompt(page, "Ngô Thị Mai");
    await page.goto("/suc-khoe");
    await expect(page.getByText("Tài khoản cán bộ không có quyền xem sổ sức khỏe.", { exact: false })).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Điều hướng chính" }).getByRole("link", { name: "Sức khỏe" })).toHaveCount(0);
    const refused = await page.request.post("/api/health/overview", {
      data: { req: { subject: "self" } },
      headers: { "sec-fetch-site": "same-origin" },
    });
    expect(refused.status()).toBe(403);
  });
  test("provide once: a mother attaches the birth certificate from her record, and the ward officer sees where it came from", async ({ page, browser }) => {
    test.setTimeout(120_000);
    await page.goto("/ho-so");
    await signInFromPrompt(page, "Trần Thị Bình");
    await expect(page.getByRole("heading", { level: 1, name: "Hồ sơ của tôi" })).toBeVisible();
    await withdrawConsent(page);
    // A birth registration typed up to its documents (the form itself is tested elsewhere).
    const api = async (fn: string, body: unknown) => {
      const r = await page.request.post(`/api/${fn}`, { data: body, headers: { "sec-fetch-site": "same-origin" } });
      expect(r.status(), `${fn}: ${await r.text()}`).toBe(200);
      return r.json();
    };
    const draft = await api("filing/start", { req: { slug: "dang-ky-khai-sinh", fresh: true } });
    const person = (name: string, birth: string, sex: string, id: string) => ({ name, birth_date: birth, sex, id_number: id });
    await api("filing/save", {
      req: {
        id: draft.id,
        answers: {
          receiving_unit: "00070",
          applicant: person("Trần Thị Bình", "1989-11-02", "female", "001189012389"),
          relationship: "me",
          phone: "0987654321",
          residence: { unit: "00070", street: "5 phố Hàng Bạc" },
          child_name: "Lê Bảo Ngọc",
          child_birth_date: "2026-11-21",
          child_sex: "female",
          child_ethnicity: "Kinh",
          child_nationality: "VN",
          birth_place_kind: "co_so_y_te",
          birth_facility: "Bệnh viện Phụ sản Hà Nội",
          hometown: "Hà Nội",
          mother: person("Trần Thị Bình", "1989-11-02", "female", "001189012389"),
          father_known: true,
          father: person("Lê Văn Hùng", "1987-02-10", "male", "001087034567"),
          parents_married: true,
          extract_copies: "0",
          exemption: "none",
          result_delivery: "counter",
          declaration: true,
        },
      },
    });

    // The documents page says the certificate can come from her health record, once she consents.
    await page.goto(`/thu-tuc/dang-ky-khai-sinh/nop?nhap=${draft.id}&buoc=giay-to`);
    await expect(page.getByRole("heading", { level: 1, name: "Tải lên giấy tờ" })).toBeVisible();
    await expect(page.getByText(/giấy chứng sinh điện tử cấp cho người mẹ có thể lấy thẳng từ sổ sức khỏe/)).toBeVisible();
    await expectNoAxeViolations(page);
    await page.getByRole("link", { name: "Mở sổ sức khỏe để đồng ý" }).click();
    await page.getByLabel("Tôi đã đọc và đồng ý với nội dung trên").check();
    await page.getByRole("button", { name: "Đồng ý và mở sổ sức khỏe" }).click();

    // Back on the same page of the same draft, with the certificate offered.
    await expect(page).toHaveURL(new RegExp(`nhap=${draft.id}&buoc=giay-to`));
    const offer = page.getByRole("group", { name: "Lấy từ sổ sức khỏe điện tử" });
    await expect(offer).toContainText("GCS-01-2026-004512");
    await expect(offer).toContainText("bé gái");
    await expect(offer).toContainText("09:40 21/11/2026");
    await expect(offer).toContainText("3100 g");
    await expectNoAxeViolations(page);
    await offer.getByRole("button", { name: "Đính kèm giấy chứng sinh này" }).click();
    await expect(offer.getByText("Đã đính kèm từ sổ sức khỏe điện tử.")).toBeVisible();
    const files = page.getByRole("group", { name: "Giấy chứng sinh", exact: true }).locator(".files");
    await expect(files).toContainText("Từ hệ thống y tế");
    await expect(files).toContainText("Nơi cấp: Bệnh viện Phụ sản Hà Nội");
    await expect(files).toContainText("Ngày cấp: 21/11/2026");
    await expectNoAxeViolations(page);

    await page.getByRole("button", { name: "Tiếp tục" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Kiểm tra lại thông tin trước khi nộp" })).toBeVisible();
    await page.getByRole("button", { name: "Nộp hồ sơ", exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Đã nộp hồ sơ thành công" })).toBeVisible();
    const code = (await page.locator(".panel__code").textContent())!.trim();
    const filed = page.getByRole("region", { name: "Giấy tờ đã nộp" });
    await expect(filed).toContainText("Từ hệ thống y tế");
    await expect(filed).toContainText("GCS-01-2026-004512");
    // Nothing of the record stays in the browser.
    expect(await storedText(page)).not.toContain("GCS-01-2026-004512");

    // The ward officer sees the same marks on the dossier.
    const desk = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "vi-VN", timezoneId: "Asia/Ho_Chi_Minh" });
    const officer = await desk.newPage();
    await officer.goto(`/can-bo/ho-so/${code}?don-vi=00070`);
    await signInFromPrompt(officer, "Ngô Thị Mai");
    await officer.goto(`/can-bo/ho-so/${code}?don-vi=00070`);
    const attached = officer.getByRole("region", { name: "Giấy tờ đính kèm" });
    await expect(attached).toContainText("Từ hệ thống y tế");
    await expect(attached).toContainText("Nơi cấp: Bệnh viện Phụ sản Hà Nội");
    await expect(attached).toContainText("Số: GCS-01-2026-004512");
    await expect(attached).toContainText(/Lấy về lúc: \d{2}:\d{2} \d{2}\/\d{2}\/\d{4}/);
    await expectNoAxeViolations(officer);
    await desk.close();
  });
});
