import { expect, test } from "@playwright/test";
import { expectNoAxeViolations } from "./a11y";

test.describe("procedure catalogue", () => {
  test("home → search → procedure → English → offline reload", async ({ page, context }) => {
    await page.goto("/");
    await expect(page).toHaveTitle("Dịch vụ công Hà Nội");
    await expect(page.locator("html")).toHaveAttribute("lang", "vi");
    await expect(page.getByRole("heading", { level: 1, name: "Dịch vụ công Hà Nội" })).toBeVisible();
    // Popular procedures come from the database.
    const popular = page.getByRole("region", { name: "Thủ tục thường dùng" });
    await expect(popular.getByRole("link", { name: "Đăng ký khai sinh" })).toBeVisible();
    await expect(page.getByRole("region", { name: "Tìm theo lĩnh vực" }).getByRole("link").first()).toBeVisible();
    await expectNoAxeViolations(page);

    // Search without diacritics.
    await page.getByRole("searchbox", { name: "Tìm thủ tục hành chính" }).fill("dang ky khai sinh");
    await page.getByRole("button", { name: "Tìm kiếm" }).click();
    await expect(page).toHaveURL(/\/thu-tuc\?q=dang\+ky\+khai\+sinh/);
    await expect(page.getByRole("heading", { level: 1, name: "Thủ tục hành chính" })).toBeVisible();
    await expect(page.getByRole("status").filter({ hasText: /Tìm thấy \d+ thủ tục/ })).toBeVisible();
    const results = page.getByRole("list").filter({ has: page.getByRole("link", { name: "Đăng ký khai sinh" }) });
    await expect(results.getByRole("listitem").first()).toContainText("Đăng ký khai sinh");
    await expectNoAxeViolations(page);

    // Procedure detail.
    await page.getByRole("link", { name: "Đăng ký khai sinh", exact: true }).click();
    await expect(page).toHaveURL(/\/thu-tuc\/dang-ky-khai-sinh$/);
    await expect(page.getByRole("heading", { level: 1, name: "Đăng ký khai sinh" })).toBeVisible();
    await expect(page).toHaveTitle("Đăng ký khai sinh — Dịch vụ công Hà Nội");
    await expect(page.getByRole("heading", { name: "Thành phần hồ sơ" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "Trình tự thực hiện" })).toBeVisible();
    await expect(page.getByRole("table")).toBeVisible();
    await expectNoAxeViolations(page);

    // English, one click away; the choice sticks across a reload.
    await page.getByRole("button", { name: "Switch to English" }).click();
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await expect(page.getByRole("heading", { level: 1, name: "Birth registration" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "Required documents" })).toBeVisible();
    await expectNoAxeViolations(page);
    await page.reload();
    await expect(page.getByRole("heading", { level: 1, name: "Birth registration" })).toBeVisible();
    await page.getByRole("button", { name: "Chuyển sang tiếng Việt" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Đăng ký khai sinh" })).toBeVisible();

    // Offline: the service worker serves the app shell; the page says it is offline.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
    await context.setOffline(true);
    await page.reload();
    await expect(page.getByRole("link", { name: "Dịch vụ công Hà Nội" })).toBeVisible();
    await expect(page.getByRole("status").filter({ hasText: "Bạn đang ngoại tuyến" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Thử lại" })).toBeVisible();
    await expectNoAxeViolations(page);
    await context.setOffline(false);
    await page.getByRole("button", { name: "Thử lại" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Đăng ký khai sinh" })).toBeVisible();
  });

  test("filters by sector and level, and shares them in the URL", async ({ page }) => {
    await page.goto("/thu-tuc");
    await expect(page.getByRole("status").filter({ hasText: /Tìm thấy \d+ thủ tục/ })).toBeVisible();
    await page.getByLabel("Lĩnh vực").selectOption({ label: "Hộ tịch" });
    await page.getByLabel("Cấp thực hiện").selectOption("commune");
    await page.getByRole("button", { name: "Áp dụng" }).click();
    await expect(page).toHaveURL(/linh-vuc=ho-tich/);
    await expect(page).toHaveURL(/cap=commune/);
    await expect(page.getByRole("link", { name: "Đăng ký khai sinh" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Đăng ký thường trú" })).toHaveCount(0);
    await expectNoAxeViolations(page);

    // City-level procedures only.
    await page.goto("/thu-tuc?cap=province");
    await expect(page.getByRole("link", { name: /lý lịch tư pháp/i })).toBeVisible();
    await expect(page.getByRole("link", { name: "Đăng ký khai sinh" })).toHaveCount(0);

    // Nothing found: a clear message and a way back.
    await page.goto("/thu-tuc?q=khong+co+thu+tuc+nay");
    await expect(page.getByText("Không tìm thấy thủ tục phù hợp")).toBeVisible();
    await expect(page.getByRole("link", { name: "Xóa tìm kiếm và bộ lọc" })).toBeVisible();
    await expectNoAxeViolations(page);
  });

  test("sector link on the home page filters the catalogue", async ({ page }) => {
    await page.goto("/");
    await page.getByRole("region", { name: "Tìm theo lĩnh vực" }).getByRole("link", { name: /Hộ tịch/ }).click();
    await expect(page).toHaveURL(/\/thu-tuc\?linh-vuc=ho-tich/);
    await expect(page.getByLabel("Lĩnh vực")).toHaveValue("ho-tich");
  });

  test("unknown pages and procedures show a friendly not-found page", async ({ page }) => {
    const resp = await page.goto("/trang-khong-ton-tai");
    expect(resp?.status()).toBe(404);
    await expect(page.getByRole("heading", { level: 1, name: "Không tìm thấy trang" })).toBeVisible();
    await expectNoAxeViolations(page);
    await page.getByRole("link", { name: "Về trang chủ" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Dịch vụ công Hà Nội" })).toBeVisible();

    await page.goto("/thu-tuc/thu-tuc-khong-co");
    await expect(page.getByRole("heading", { level: 1, name: "Không tìm thấy trang" })).toBeVisible();
  });

  test("keyboard users can skip to the content", async ({ page }) => {
    await page.goto("/");
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await page.keyboard.press("Tab");
    const skip = page.getByRole("link", { name: "Bỏ qua, đến nội dung chính" });
    await expect(skip).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(page.locator("main")).toBeFocused();
  });

  test("the app is installable: manifest and service worker", async ({ page, request }) => {
    await page.goto("/");
    const manifest = await (await request.get("/manifest.webmanifest")).json();
    expect(manifest.lang).toBe("vi");
    expect(manifest.display).toBe("standalone");
    expect(manifest.icons.some((i: { purpose: string }) => i.purpose === "maskable")).toBe(true);
    for (const icon of manifest.icons) {
      expect((await request.get(icon.src)).status(), icon.src).toBe(200);
    }
    await expect.poll(() => page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.active?.state)).toBe("activated");
  });
});
