// Browser tests against a running suite (`BASE_URL`, default the gateway on :5000), in
// Debian's chromium (`CHROMIUM_PATH`, default /usr/bin/chromium): Playwright's own browser
// download is never used. `cargo xtask e2e` starts and seeds the suite, then runs these.
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "e2e",
  // The suite's fulfilment moves an order every 3 to 7 seconds: delivery takes up to ~30 s.
  timeout: 120_000,
  expect: { timeout: 45_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: process.env.BASE_URL ?? "http://127.0.0.1:5000",
    browserName: "chromium",
    headless: true,
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
