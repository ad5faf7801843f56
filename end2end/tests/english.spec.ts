import { expect, test, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { expectNoAxeViolations } from "./a11y";

// The whole portal in English: every page checked with axe-core, and what the server writes
// (timeline steps, ward names) in English too, not Vietnamese.
const fixtures = new URL("../../tests/fixtures", import.meta.url).pathname;

async function call(page: Page, fn: string, body: unknown): Promise<any> {
  const r = await page.request.post(`/api/${fn}`, { data: body, headers: { "sec-fetch-site": "same-origin" } });
  expect(r.status(), `${fn}: ${await r.text()}`).toBe(200);
  return r.json();
}

async function signIn(page: Page, name: string) {
  await page.getByRole("banner").getByRole("link", { name: "Sign in with VNeID" }).click();
  await expect(page.getByText("MÔI TRƯỜNG THỬ NGHIỆM (SANDBOX)")).toBeVisible();
  await page.getByRole("button", { name: new RegExp(name) }).click();
  await expect(page.getByRole("banner").getByText(name, { exact: true })).toBeVisible();
}

/** A page in English, checked: the document says so, and axe-core finds nothing. */
async function checked(page: Page, path: string, heading: string | RegExp) {
  await page.goto(path);
  await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expectNoAxeViolations(page);
}

test("every page reads in English and passes axe-core", async ({ page, browser }) => {
  await page.goto("/");
  await page.getByRole("button", { name: "Switch to English" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expectNoAxeViolations(page);
  await checked(page, "/thu-tuc", "Administrative procedures");
  await checked(page, "/thu-tuc/dang-ky-khai-sinh", /Birth registration/i);
  await checked(page, "/tra-cuu", "Track a dossier");

  // A resident's pages, with a dossier filed at the counter for them and one filed online.
  await page.goto("/ca-nhan");
  await signIn(page, "Nguyễn Văn An");
  await checked(page, "/ca-nhan", "My account");
  const draft = await call(page, "filing/start", { req: { slug: "dang-ky-khai-sinh", fresh: true } });
  await checked(page, `/thu-tuc/dang-ky-khai-sinh/nop?nhap=${draft.id}`, /.+/);
  const born = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
  const person = (name: string, birth: string, sex: string, id: string) => ({ name, birth_date: birth, sex, id_number: id });
  await call(page, "filing/save", {
    req: {
      id: draft.id,
      answers: {
        ...draft.answers,
        receiving_unit: "00070",
        relationship: "cha",
        residence: { unit: "00070", street: "12 phố Hàng Bạc" },
        child_name: "Nguyễn Minh Khang", child_birth_date: born, child_sex: "male", child_ethnicity: "Kinh",
        child_nationality: "VN", birth_place_kind: "co_so_y_te", birth_facility: "Bệnh viện Phụ sản Hà Nội",
        hometown: "Hà Nội", mother: person("Trần Thị Mai", "1991-03-02", "female", "001191012346"),
        father_known: true, father: draft.answers.applicant, parents_married: true, extract_copies: "0",
        exemption: "none", result_delivery: "counter", declaration: true,
      },
    },
  });
  const bytes = readFileSync(`${fixtures}/giay-chung-sinh.jpg`);
  const up = await call(page, "uploads/start", {
    req: { draft_id: draft.id, slot: "giay_chung_sinh", name: "giay-chung-sinh.jpg", size: bytes.length },
  });
  const put = await page.request.put(`/files/uploads/${up.id}`, { data: bytes, headers: { "upload-offset": "0", "sec-fetch-site": "same-origin" } });
  expect(put.status()).toBe(200);
  const code: string = await call(page, "filing/submit", { req: { draft_id: draft.id, idempotency_key: draft.idempotency_key } });
  await checked(page, "/ho-so", "My applications");
  await checked(page, `/ho-so/${code}`, `Application ${code}`);
  const facts = page.locator("dl.facts").first();
  await expect(facts).toContainText("Hoàn Kiếm Ward");
  await expect(facts).not.toContainText("Phường");
  await checked(page, "/thong-bao", "Notifications");

  // The ward's officer, at a counter PC of their own, in English too: the console, the
  // dossier, counter intake.
  const desk = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "vi-VN" });
  const officer = await desk.newPage();
  await officer.goto("/can-bo");
  await officer.getByRole("button", { name: "Switch to English" }).click();
  await signIn(officer, "Ngô Thị Mai");
  await checked(officer, "/can-bo", "One-stop console");
  await expect(officer.locator("p.lead")).toHaveText("Hoàn Kiếm Ward");
  await checked(officer, `/can-bo/ho-so/${code}?don-vi=00070`, new RegExp(code));
  await checked(officer, "/can-bo/tiep-nhan", "Receive a dossier at the counter");
  await desk.close();
});
