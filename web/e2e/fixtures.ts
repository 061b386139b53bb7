// What every spec shares: the demo logins, signing in through the pages, and a watch on each
// page that fails the test on a console error or a failed request (a CSP refusal is both).
import {
  type APIRequestContext,
  type Browser,
  type BrowserContext,
  type Page,
  expect,
  test as base,
} from "@playwright/test";

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
export async function shot(page: Page, name: string, fullPage = false) {
  const dir = process.env.SCREENSHOTS;
  if (!dir) return;
  // From the top of the page, with no field focused: what a person sees on arrival.
  await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    scrollTo(0, 0);
  });
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage });
}

/** The API's envelope, read by the specs' own calls (setting up, and checking what is stored). */
export async function api<T = any>(
  request: APIRequestContext,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const send = () =>
    request.fetch(`/api${path}`, {
      method,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
      data: body,
    });
  let response = await send();
  // A suite started by `up` keeps its sign-in quota (20 a minute from one address): the specs'
  // own sign-ins wait as the 429 asks, a few times, rather than fail on it.
  for (let tries = 0; response.status() === 429 && tries < 3; tries++) {
    const wait = Math.min(Number(response.headers()["retry-after"] ?? "1"), 10);
    await new Promise((done) => setTimeout(done, wait * 1000));
    response = await send();
  }
  const text = await response.text();
  if (!response.ok()) throw new Error(`${method} ${path} answered ${response.status()}: ${text}`);
  return text ? JSON.parse(text).data : (undefined as T);
}

/** Signs in through the API: the access token and the customer. */
export async function tokenOf(request: APIRequestContext, who: { email: string; password: string }) {
  const credentials = { email: who.email, password: who.password };
  const data = await api(request, "POST", "/auth/login", undefined, credentials);
  return { token: data.accessToken as string, id: data.customer.id as string };
}

/** A brand-new customer (so a spec never depends on what earlier runs left on the demo one). */
export async function newCustomer(request: APIRequestContext, prefix: string) {
  const who = {
    name: `E2E ${prefix}`,
    email: `e2e-${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`,
    password: "e2e-password-1",
  };
  const data = await api(request, "POST", "/auth/register", undefined, who);
  return { ...who, token: data.accessToken as string, id: data.customer.id as string };
}

/** Gives a customer loyalty points as the admin, once per key. */
export async function grantPoints(request: APIRequestContext, customerId: string, points: number) {
  const admin = await tokenOf(request, ADMIN);
  await api(request, "POST", `/customers/${customerId}/loyalty/adjustments`, admin.token,
    { points, reason: "e2e welcome points" }, { "Idempotency-Key": `e2e-${customerId}-${points}` });
}

/** A product of the seeded catalog by exact name. */
export async function productNamed(request: APIRequestContext, name: string) {
  const list = await api(request, "GET", `/products?search=${encodeURIComponent(name)}&limit=20`);
  const product = list.find((p: { name: string }) => p.name === name);
  if (!product) throw new Error(`no product named ${name} in the catalog`);
  return product as { id: string; name: string; price: number; stock: number };
}

/**
 * A paid order of `quantity` × each product for `buyer`, placed through the checkout with the
 * test card, and waited for until the suite's fulfilment has delivered it (3 to 7 s a step).
 */
export async function deliveredOrder(
  request: APIRequestContext,
  buyer: { token: string },
  lines: { productId: string; quantity: number }[],
) {
  for (const line of lines) {
    await api(request, "PUT", `/cart/items/${line.productId}`, buyer.token, { quantity: line.quantity });
  }
  const order = await api(request, "POST", "/checkout", buyer.token, {
    shippingAddress: { street: "1 Test Street", city: "Springfield", zipCode: "12345", country: "US" },
    card: { number: "4242 4242 4242 4242", expMonth: 12, expYear: 2030, cvc: "123" },
  }, { "Idempotency-Key": `e2e-${Date.now()}-${Math.random()}` });
  await expect
    .poll(async () => (await api(request, "GET", `/orders/${order.id}`, buyer.token)).status, {
      timeout: 60_000,
    })
    .toBe("DELIVERED");
  return order as { id: string };
}

/** A product made for the spec through the API (in Home & Kitchen, 5 in stock, with `extra`
 * fields), and the admin's console catalog found at its row. */
export async function productInConsole(
  browser: Browser,
  request: APIRequestContext,
  name: string,
  extra: Record<string, unknown> = {},
) {
  const admin = await tokenOf(request, ADMIN);
  const product = await api(request, "POST", "/products", admin.token, {
    name,
    price: 30,
    category: "Home & Kitchen",
    stock: 5,
    ...extra,
  });
  const { page, problems } = await person(await browser.newContext());
  await page.goto("/console/catalog");
  await signIn(page, ADMIN);
  await page.getByLabel("Find products").fill(name);
  await page.getByRole("button", { name: "Find", exact: true }).click();
  const row = page.locator(`tr[data-product-id="${product.id}"]`);
  return { admin, product, page, problems, row };
}
