import { expect, test } from "@playwright/test";
import { expectNoAxeViolations } from "./a11y";

test.describe("track a dossier", () => {
  test("from the home page, with errors explained and nothing lost", async ({ page }) => {
    await page.goto("/");
    const box = page.getByRole("region", { name: "Tra cứu hồ sơ" });
    await box.getByLabel("Mã hồ sơ").fill("00004-261123-0001");
    await box.getByRole("button", { name: "Tra cứu" }).click();
    await expect(page).toHaveURL(/\/tra-cuu\?ma=00004-261123-0001/);
    await expect(page.getByRole("heading", { level: 1, name: "Tra cứu hồ sơ" })).toBeVisible();
    // The code came along from the home page (as it does from the receipt's QR code).
    await expect(page.getByLabel("Mã hồ sơ")).toHaveValue("00004-261123-0001");

    // Missing suffix: error summary linked to the field, inline message, the code kept.
    await page.getByRole("button", { name: "Tra cứu" }).click();
    const summary = page.getByRole("alert").filter({ hasText: "Có lỗi cần sửa" });
    await expect(summary).toBeFocused();
    await expect(summary.getByRole("link", { name: "Vui lòng nhập thông tin này." })).toBeVisible();
    await expect(page.getByLabel("4 số cuối số định danh cá nhân")).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByLabel("Mã hồ sơ")).toHaveValue("00004-261123-0001");
    await expectNoAxeViolations(page);
    await summary.getByRole("link").click();
    await expect(page.getByLabel("4 số cuối số định danh cá nhân")).toBeFocused();

    // A malformed code and a short suffix: both explained.
    await page.getByLabel("Mã hồ sơ").fill("00004-261340-0001");
    await page.getByLabel("4 số cuối số định danh cá nhân").fill("12");
    await page.getByRole("button", { name: "Tra cứu" }).click();
    await expect(summary.getByRole("link", { name: /không phải ngày có thật/ })).toBeVisible();
    await expect(summary.getByRole("link", { name: "Nhập đúng 4 chữ số." })).toBeVisible();

    // Well-formed but unknown: a plain answer, no hint whether the code or the digits were wrong.
    await page.getByLabel("Mã hồ sơ").fill("00004-261123-0001");
    await page.getByLabel("4 số cuối số định danh cá nhân").fill("1234");
    await page.getByRole("button", { name: "Tra cứu" }).click();
    await expect(page.getByText("Không tìm thấy hồ sơ với mã và số định danh này")).toBeVisible();
    await expect(summary).toHaveCount(0);
    await expectNoAxeViolations(page);
  });

  test("in English", async ({ page }) => {
    await page.goto("/tra-cuu");
    await page.getByRole("button", { name: "Switch to English" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Track a dossier" })).toBeVisible();
    await page.getByRole("button", { name: "Track" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "There is a problem" })).toBeVisible();
    await expectNoAxeViolations(page);
  });
});
