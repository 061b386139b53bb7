// What every spec shares: the demo logins, signing in through the pages, and a watch on each
// page that fails the test on a console error or a failed request (a CSP refusal is both).
import { type BrowserContext, type Page, expect, test as base } from "@playwright/test";

export const CUSTOMER = { email: "demo@example.com", password: "demo-password", name: "Alex Demo" };
export const ADMIN = {
  email: process.env.ADMIN_EMAIL ?? "admin@example.com",
  password: process.env.ADMIN_PASSWORD ?? "admin-dev-password",
};

/** Problems seen on a page: console errors and failed requests (aborted streams excepted). */
export function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (m) => {
    // A refused request is also logged as "Failed to load resource": it is reported below,
    // with its address.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => {
    // Leaving a page or a reload aborts its open streams: that is not a failure.
    if (r.failure()?.errorText !== "net::ERR_ABORTED") {
      problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
    }
  });
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`answer ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  return problems;
}

export async function signIn(page: Page, who: { email: string; password: string }) {
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** A fresh context (its own sessionStorage) with a watched page. */
export async function person(context: BrowserContext) {
  const page = await context.newPage();
  return { page, problems: watch(page) };
}

export const test = base;
export { expect };

/** Saves a screenshot for the README when `SCREENSHOTS` names a folder (none otherwise). */
export async function shot(page: Page, name: string) {
  const dir = process.env.SCREENSHOTS;
  if (dir) await page.screenshot({ path: `${dir}/${name}.png` });
}
