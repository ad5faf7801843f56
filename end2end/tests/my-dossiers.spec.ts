import { expect, test, type Page } from "@playwright/test";
import { expectNoAxeViolations } from "./a11y";

/** Signs in from a page's own sign-in prompt at the sandbox identity provider. */
async function signInFromPrompt(page: Page, name: string) {
  await page.getByRole("main").getByRole("link", { name: "Đăng nhập bằng VNeID" }).click();
  await expect(page.getByText("MÔI TRƯỜNG THỬ NGHIỆM (SANDBOX)")).toBeVisible();
  await page.getByRole("button", { name: new RegExp(name) }).click();
}

test.describe("my dossiers and notifications", () => {
  test("signed out, the list and the notification centre ask to sign in", async ({ page }) => {
    for (const [path, title] of [
      ["/ho-so", "Hồ sơ của tôi"],
      ["/thong-bao", "Thông báo"],
    ]) {
      const response = await page.goto(path);
      expect(response?.status()).toBe(200);
      await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
      await expect(page.getByText("Bạn chưa đăng nhập")).toBeVisible();
      await expectNoAxeViolations(page);
    }
  });

  test("a resident filters the list through the address and opens the notification centre", async ({ page }) => {
    await page.goto("/ho-so");
    await signInFromPrompt(page, "Trần Thị Bình");
    await expect(page).toHaveURL(/\/ho-so$/);
    await expect(page.getByRole("heading", { level: 1, name: "Hồ sơ của tôi" })).toBeVisible();

    // The filters are links in a labelled navigation; the current one is marked.
    const filters = page.getByRole("navigation", { name: "Lọc theo tình trạng hồ sơ" });
    await expect(filters.getByRole("link", { name: "Tất cả" })).toHaveAttribute("aria-current", "page");
    await filters.getByRole("link", { name: "Cần tôi thực hiện" }).click();
    await expect(page).toHaveURL(/\/ho-so\?loc=can-bo-sung$/);
    await expect(filters.getByRole("link", { name: "Cần tôi thực hiện" })).toHaveAttribute("aria-current", "page");
    await expect(page.getByRole("heading", { level: 2, name: /hồ sơ$/ })).toBeVisible();

    // The search keeps the filter.
    await page.getByLabel("Tìm theo mã hồ sơ hoặc tên thủ tục").fill("khai sinh");
    await page.getByRole("button", { name: "Tìm", exact: true }).click();
    await expect(page).toHaveURL(/\/ho-so\?loc=can-bo-sung&q=khai(\+|%20)sinh/);
    await expectNoAxeViolations(page);

    // Header: "Hồ sơ của tôi" and "Thông báo" for a signed-in resident.
    const nav = page.getByRole("navigation", { name: "Điều hướng chính" });
    await expect(nav.getByRole("link", { name: "Hồ sơ của tôi" })).toBeVisible();
    await nav.getByRole("link", { name: /^Thông báo/ }).click();
    await expect(page).toHaveURL(/\/thong-bao$/);
    await expect(page.getByRole("heading", { level: 1, name: "Thông báo" })).toBeVisible();
    // Once the centre is open nothing is left unread.
    await expect(nav.getByRole("link", { name: /thông báo chưa đọc/ })).toHaveCount(0);
    await expectNoAxeViolations(page);

    // The profile page leads to the list as well.
    await page.goto("/ca-nhan");
    await page.getByRole("link", { name: "Xem và theo dõi hồ sơ của tôi" }).click();
    await expect(page).toHaveURL(/\/ho-so$/);
  });
});
