import { expect, test, type Browser, type Page } from "@playwright/test";
import { expectNoAxeViolations } from "./a11y";

/** Signs in at the sandbox identity provider as the named test person. */
async function signIn(page: Page, name: string) {
  await page.getByRole("banner").getByRole("link", { name: "Đăng nhập bằng VNeID" }).click();
  await expect(page.getByText("MÔI TRƯỜNG THỬ NGHIỆM (SANDBOX)")).toBeVisible();
  await page.getByRole("button", { name: new RegExp(name) }).click();
}

async function signOut(page: Page) {
  await page.getByRole("banner").getByRole("button", { name: "Đăng xuất", exact: true }).click();
  await endedAtProvider(page);
}

/** After the portal's sign-out: the provider asks to confirm the end of its own session, unless
 * its session cookie is gone already (here both run on 127.0.0.1, and the portal's
 * Clear-Site-Data reaches cookies by host, not port), then the browser is back, signed out. */
async function endedAtProvider(page: Page) {
  const signedOut = page.getByRole("banner").getByRole("link", { name: "Đăng nhập bằng VNeID" });
  const confirm = page.getByRole("heading", { name: "Đăng xuất khỏi tài khoản định danh?" });
  await expect(signedOut.or(confirm)).toBeVisible();
  if (await confirm.isVisible()) {
    await page.getByRole("button", { name: "Đăng xuất", exact: true }).click();
  }
  await expect(signedOut).toBeVisible();
}

/** The sandbox identity provider, as the Playwright configuration starts it. */
const idp = `http://127.0.0.1:${Number(process.env.DVC_E2E_IDP_PORT ?? Number(process.env.DVC_E2E_PORT ?? 3100) + 1000)}`;

/** A device of its own (a fresh browser) signed in as `name` on `path`. */
async function device(browser: Browser, path: string, name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 360, height: 800 }, locale: "vi-VN", timezoneId: "Asia/Ho_Chi_Minh" });
  const page = await context.newPage();
  await page.goto(path);
  await signIn(page, name);
  await expect(page.getByRole("banner").getByText(name, { exact: true })).toBeVisible();
  return page;
}

test.describe("sign-in with the national digital identity", () => {
  test("a resident signs in, sees a masked profile, reveals it after a recent level-2 login, signs out", async ({ page, context }) => {
    await page.goto("/thu-tuc?q=khai+sinh");
    await signIn(page, "Nguyễn Văn An");
    // Back where they were, greeted by name.
    await expect(page).toHaveURL(/\/thu-tuc\?q=khai(\+|%20)sinh$/);
    await expect(page.getByText("Nguyễn Văn An", { exact: true })).toBeVisible();
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "__Host-dvc_session");
    expect(session?.httpOnly).toBe(true);
    expect(session?.secure).toBe(true);
    expect(session?.sameSite).toBe("Lax");
    // No token anywhere the page can read.
    expect(await page.evaluate(() => document.cookie)).not.toContain("dvc_session");
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toMatch(/eyJ/);

    await page.getByRole("link", { name: "Tài khoản của tôi" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Tài khoản của tôi" })).toBeVisible();
    await expect(page.getByText("001*******45")).toBeVisible();
    await expect(page.getByText("14/03/1989")).toBeVisible();
    await expect(page.getByText("Mức 2")).toBeVisible();
    // His daughter, under 14, is linked to him by the national identity data.
    const represented = page.getByRole("region", { name: "Người bạn là người đại diện theo pháp luật" });
    await expect(represented).toContainText("Nguyễn Gia Hân");
    await expect(represented).toContainText("001*******77");
    await expectNoAxeViolations(page);
    await page.getByRole("button", { name: "Hiện đầy đủ số định danh" }).click();
    await expect(page.getByText("001089012345")).toBeVisible();

    await signOut(page);
    expect((await context.cookies()).find((c) => c.name === "__Host-dvc_session")).toBeUndefined();
    await page.goto("/ca-nhan");
    await expect(page.getByText("Bạn chưa đăng nhập")).toBeVisible();
    await expectNoAxeViolations(page);
  });

  test("before an idle session ends, the resident is warned and can stay signed in", async ({ page }) => {
    await page.clock.install();
    await page.goto("/tra-cuu");
    await signIn(page, "Trần Thị Bình");
    await expect(page.getByText("Trần Thị Bình", { exact: true })).toBeVisible();
    // Something typed but not sent.
    await page.getByLabel("Mã hồ sơ").fill("00004-261123-0001");
    // 27 minutes without any request: the warning appears (the server allows 30).
    await page.clock.runFor(27 * 60 * 1000 + 30_000);
    const warning = page.getByRole("status").filter({ hasText: "Phiên đăng nhập sẽ hết hạn" });
    await expect(warning).toBeVisible();
    await expectNoAxeViolations(page);
    await warning.getByRole("button", { name: "Tiếp tục phiên" }).click();
    await expect(warning).toHaveCount(0);
    // Nothing typed was lost.
    await expect(page.getByLabel("Mã hồ sơ")).toHaveValue("00004-261123-0001");
    await signOut(page);
  });

  test("a level-1 identity is asked to confirm again before the full ID number is shown", async ({ page }) => {
    await page.goto("/ca-nhan");
    await page.getByRole("link", { name: "Đăng nhập bằng VNeID" }).first().click();
    await page.getByRole("button", { name: /Lê Minh Cường/ }).click();
    await expect(page.getByText("Mức 1")).toBeVisible();
    await page.getByRole("button", { name: "Hiện đầy đủ số định danh" }).click();
    await expect(page.getByText("hãy xác thực lại bằng tài khoản định danh mức 2")).toBeVisible();
    await page.getByRole("link", { name: "Xác thực lại" }).click();
    // The provider asks again (prompt=login); a level-1 account cannot satisfy level 2.
    await page.getByRole("button", { name: /Lê Minh Cường/ }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Đăng nhập không thành công" })).toBeVisible();
    await expect(page.getByText("cần tài khoản định danh điện tử mức 2")).toBeVisible();
    await expectNoAxeViolations(page);
  });

  test("an administrator assigns an officer to a ward; the officer sees only that ward", async ({ page }, info) => {
    // Each browser project uses its own officer: the runs share one database.
    const officer =
      info.project.name === "mobile"
        ? { name: "Phạm Thu Hà", cccd: "001185000111", ward: "Phường Hoàn Kiếm" }
        : { name: "Vũ Thị Lan", cccd: "001190000333", ward: "Phường Ba Đình" };
    // The officer signs in once so the portal knows them; no ward yet.
    await page.goto("/can-bo");
    await signIn(page, officer.name);
    await expect(page.getByText("chưa được phân công về đơn vị nào")).toBeVisible();
    await signOut(page);

    // The administrator (made administrator by configuration) assigns the ward.
    await page.goto("/quan-tri");
    await signIn(page, "Hoàng Văn Minh");
    await expect(page.getByRole("heading", { level: 1, name: "Quản trị cán bộ" })).toBeVisible();
    await page.getByLabel("Số định danh cá nhân của cán bộ").fill(officer.cccd);
    await page.getByLabel("Phường, xã").selectOption({ label: officer.ward });
    await page.getByRole("button", { name: "Phân công" }).click();
    await expect(page.getByText("Đã lưu thay đổi.")).toBeVisible();
    await expect(page.getByRole("listitem").filter({ hasText: officer.name })).toContainText(officer.ward);
    // A bad ID number is explained, nothing changes.
    await page.getByLabel("Số định danh cá nhân của cán bộ").fill("12345");
    await page.getByRole("button", { name: "Phân công" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "Có lỗi cần sửa" })).toBeVisible();
    await expectNoAxeViolations(page);
    await signOut(page);

    // The officer now has the staff area of that ward, and nothing else.
    await page.goto("/can-bo");
    await signIn(page, officer.name);
    await expect(page.getByRole("heading", { level: 1, name: "Bàn làm việc một cửa" })).toBeVisible();
    await expect(page.locator("p.lead")).toHaveText(officer.ward);
    // One ward only: no ward picker.
    await expect(page.getByLabel("Đơn vị làm việc")).toHaveCount(0);
    await expectNoAxeViolations(page);
    await page.goto("/quan-tri");
    await expect(page.getByText("Chỉ quản trị viên mới xem được trang này.")).toBeVisible();
  });

  test("signing out at VNeID or on every device ends the sessions here; a draft typed offline is not lost unsaid", async ({ browser }) => {
    const phone = await device(browser, "/ca-nhan", "Trần Thị Bình");
    const laptop = await device(browser, "/ca-nhan", "Trần Thị Bình");

    // Signed out at VNeID itself (its own page, not the portal's button): the provider tells
    // the portal over the back channel, and the laptop's session here ends with it.
    await laptop.goto(`${idp}/session/end`);
    await laptop.getByRole("button", { name: "Đăng xuất", exact: true }).click();
    await expect(laptop.getByText("Bạn đã đăng xuất.")).toBeVisible();
    await expect(async () => {
      await laptop.goto("/ca-nhan");
      await expect(laptop.getByText("Bạn chưa đăng nhập")).toBeVisible({ timeout: 2_000 });
    }).toPass({ timeout: 15_000 });
    // The phone had its own VNeID session: still signed in.
    await phone.reload();
    await expect(phone.getByRole("heading", { name: "Các thiết bị đang đăng nhập" })).toBeVisible();
    await expectNoAxeViolations(phone);
    await signIn(laptop, "Trần Thị Bình");
    await expect(laptop.getByRole("banner").getByText("Trần Thị Bình", { exact: true })).toBeVisible();

    // On the phone, a draft typed while the connection is down.
    await phone.goto("/thu-tuc/dang-ky-khai-sinh/nop");
    await phone.getByLabel("Xã, phường tiếp nhận").selectOption({ label: "Phường Ba Đình" });
    await phone.getByRole("button", { name: "Tiếp tục" }).click();
    await expect(phone.getByText(/Đã lưu nháp lúc/)).toBeVisible();
    await phone.context().setOffline(true);
    await phone.getByLabel("Số điện thoại").fill("0987 000 111");
    await expect(phone.getByText(/Chưa có kết nối mạng/)).toBeVisible();
    // Signing out now would delete it from the phone: the portal says so and waits.
    await phone.getByRole("banner").getByRole("button", { name: "Đăng xuất", exact: true }).click();
    const warning = phone.getByRole("alert").filter({ hasText: "Có bản nháp chưa được lưu lên máy chủ" });
    await expect(warning).toBeVisible();
    await expect(warning.getByRole("link", { name: /Mở bản nháp "Đăng ký khai sinh" để lưu/ })).toBeVisible();
    await expect(warning.getByRole("heading")).toBeFocused();
    await expectNoAxeViolations(phone);
    await warning.getByRole("button", { name: "Ở lại" }).click();
    await expect(warning).toHaveCount(0);
    await expect(phone.getByRole("banner").getByText("Trần Thị Bình", { exact: true })).toBeVisible();
    // Back online, the draft saves itself; signing out no longer warns.
    await phone.context().setOffline(false);
    await expect(phone.getByText(/Đã lưu nháp lúc/)).toBeVisible({ timeout: 30_000 });

    // Signing out on every device, from the phone's account page.
    await phone.goto("/ca-nhan");
    await phone.getByRole("button", { name: "Đăng xuất trên mọi thiết bị" }).click();
    await endedAtProvider(phone);
    await laptop.reload();
    await expect(laptop.getByText("Bạn chưa đăng nhập")).toBeVisible();
    await phone.context().close();
    await laptop.context().close();
  });
});
