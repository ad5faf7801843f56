import { defineConfig, devices } from "@playwright/test";

// Drives the real release build and the real server in Debian's Chromium.
// The server gets a fresh SQLite file per run; `scripts/test` builds dist/ and the server first.
const port = Number(process.env.DVC_E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
const root = new URL("..", import.meta.url).pathname;
const serverBin = process.env.DVC_SERVER_BIN ?? `${process.env.CARGO_TARGET_DIR ?? `${root}target`}/debug/server`;
const runDir = process.env.DVC_E2E_VAR ?? `${root}var/e2e-${Date.now()}`;
const idpPort = Number(process.env.DVC_E2E_IDP_PORT ?? port + 1000);
const idp = `http://127.0.0.1:${idpPort}`;
const payPort = Number(process.env.DVC_E2E_PAY_PORT ?? port + 2000);
const pay = `http://127.0.0.1:${payPort}`;
const ehrPort = Number(process.env.DVC_E2E_EHR_PORT ?? port + 3000);
const ehr = `http://127.0.0.1:${ehrPort}`;

const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

export default defineConfig({
  testDir: "./tests",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  timeout: 60_000,
  expect: { timeout: 15_000 },
  use: {
    baseURL,
    locale: "vi-VN",
    timezoneId: "Asia/Ho_Chi_Minh",
    trace: "off",
    launchOptions: chromium,
  },
  projects: [
    {
      name: "mobile",
      use: {
        ...devices["Pixel 7"],
        viewport: { width: 360, height: 800 },
        browserName: "chromium",
        launchOptions: chromium,
      },
    },
    {
      name: "desktop",
      use: { viewport: { width: 1280, height: 800 }, browserName: "chromium", launchOptions: chromium },
    },
  ],
  webServer: [
   {
    // The sandbox identity provider (npm oidc-provider), as `scripts/run` starts it.
    command: "exec node sandbox/idp.mjs",
    url: `${idp}/.well-known/openid-configuration`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      IDP_PORT: String(idpPort),
      IDP_REDIRECT_URIS: `${baseURL}/auth/callback`,
      IDP_POST_LOGOUT_URIS: `${baseURL}/`,
    },
   },
   {
    // The sandbox payment gateway (VNPay protocol, signed with the npm `vnpay` library).
    command: "exec node sandbox/payment.mjs",
    url: `${pay}/healthz`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      PAY_PORT: String(payPort),
      PAY_IPN_URL: `${baseURL}/payments/vnpay/ipn`,
    },
   },
   {
    // The sandbox health-data service: a real FHIR R4 server (npm @medplum/fhir-router).
    command: "exec node sandbox/ehr.mjs",
    url: `${ehr}/healthz`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: "ignore",
    stderr: "pipe",
    env: { EHR_PORT: String(ehrPort), EHR_LARGE_VISITS: "0" },
   },
   {
    command: `mkdir -p ${runDir} && exec ${serverBin}`,
    cwd: root,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      // The sandbox peers' secrets and demo staff are accepted in sandbox mode only.
      DVC_SANDBOX: "true",
      DVC_BIND: `127.0.0.1:${port}`,
      DATABASE_URL: `sqlite://${runDir}/e2e.db`,
      DVC_DIST: `${root}dist`,
      DVC_DATA: `${root}data`,
      DVC_PUBLIC_ORIGIN: baseURL,
      DVC_OIDC_ISSUER: idp,
      DVC_PAYMENT_URL: `${pay}/paymentv2/vpcpay.html`,
      DVC_EHR_FHIR_BASE: `${ehr}/fhir`,
      DVC_BOOTSTRAP_ADMIN_CCCD: "001078000444",
      // Sandbox ward staff for the dossier journeys: Ngô Thị Mai (officer) and Đỗ Quang Huy
      // (leader) at Phường Hoàn Kiếm. Phạm Thu Hà and Vũ Thị Lan are left for the
      // administrator to assign (login.spec.ts).
      DVC_DEMO_STAFF: "001186000555:00070:officer,001080000222:00070:leader",
      DVC_DEADLINE_EVERY: "5",
      // Every browser of the run signs in from 127.0.0.1.
      DVC_ADDRESS_LIMIT_SCALE: "10",
      RUST_LOG: "warn",
    },
   },
  ],
});
