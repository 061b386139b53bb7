// The order page's stream resumes after a reload and after a lost connection: every status
// change reaches the page once and in order (the page lists each change it was sent, by its
// history index, without removing repeats, so a repeat or a gap shows).
import { type Page } from "@playwright/test";
import { api, expect, newCustomer, person, productNamed, signIn, test } from "./fixtures";

const STEPS = ["PENDING", "PROCESSING", "SHIPPED", "DELIVERED"];

/** The changes the page was sent, as `[index, status]`. */
async function updates(page: Page): Promise<[number, string][]> {
  return page
    .getByTestId("updates")
    .locator("[data-index]")
    .evaluateAll((spans) =>
      spans.map((s) => [Number(s.getAttribute("data-index")), s.textContent!.replace("→", "").trim()]),
    );
}

/** Each change once, in order, with no gap, ending DELIVERED; and every step on the timeline. */
async function expectEveryStepOnce(page: Page) {
  await expect(page.locator(".timeline li[data-status=DELIVERED]")).toHaveClass(/done/);
  await expect(page.getByTestId("updates")).toContainText("DELIVERED");
  const seen = await updates(page);
  expect(seen.length).toBeGreaterThan(0);
  seen.forEach(([index, status], i) => {
    expect(STEPS[index]).toBe(status);
    if (i > 0) expect(index).toBe(seen[i - 1][0] + 1);
  });
  expect(seen[seen.length - 1]).toEqual([3, "DELIVERED"]);
  for (const step of STEPS) {
    await expect(page.locator(`.timeline li[data-status=${step}]`)).toHaveClass(/done/);
  }
  return seen;
}

/** A fresh customer signed in on a watched page, and a new order of theirs opened on it. */
async function orderOpen(browser: import("@playwright/test").Browser, request: any, name: string) {
  const buyer = await newCustomer(request, name);
  const product = await productNamed(request, "Organic Cotton T-Shirt");
  const context = await browser.newContext();
  const { page, problems } = await person(context);
  await page.goto("/signin?next=%2Forders");
  await signIn(page, buyer);
  await expect(page.getByRole("heading", { name: "My orders" })).toBeVisible();
  const order = await api(request, "POST", "/orders", buyer.token, {
    items: [{ productId: product.id, quantity: 1 }],
    shippingAddress: { street: "1 Test Street", city: "Springfield", zipCode: "12345", country: "US" },
  });
  await page.goto(`/orders/${order.id}`);
  await expect(page.getByTestId("live-state")).toHaveText("Live");
  // The first change sent live: from here the order is mid-fulfilment.
  await expect(page.getByTestId("updates").locator("[data-index]").first()).toBeAttached();
  return { page, problems, context, buyer, orderId: order.id as string };
}

test("a reload mid-fulfilment resumes the timeline: every status once, in order", async ({
  browser,
  request,
}) => {
  const { page, problems, buyer, orderId } = await orderOpen(browser, request, "reload");
  const before = await updates(page);
  const last = before[before.length - 1][0];
  expect(before[before.length - 1][1]).not.toBe("DELIVERED");
  // The reloaded page's stream is held until the order has moved on, so that change can
  // only reach the page by resuming from the last id it saw.
  await page.route("**/api/orders/*/stream", async (route) => {
    await expect
      .poll(async () => (await api(request, "GET", `/orders/${orderId}`, buyer.token)).version, {
        timeout: 30_000,
      })
      .toBeGreaterThan(last);
    await route.continue();
  });
  await page.reload();
  const seen = await expectEveryStepOnce(page);
  expect(seen.map(([index]) => index)).toContain(last + 1);
  expect(seen.slice(0, before.length)).toEqual(before);
  expect(problems).toEqual([]);
});

test("a lost connection resumes the timeline: every status once, in order", async ({
  browser,
  request,
}) => {
  const { page, problems, context, buyer, orderId } = await orderOpen(browser, request, "offline");
  const before = await updates(page);
  const last = before[before.length - 1][0];
  await context.setOffline(true);
  await expect(page.getByTestId("live-state")).toHaveText("Reconnecting…");
  // The order moves on while the page cannot hear it.
  await expect
    .poll(async () => (await api(request, "GET", `/orders/${orderId}`, buyer.token)).version, {
      timeout: 30_000,
    })
    .toBeGreaterThan(last);
  await context.setOffline(false);
  const seen = await expectEveryStepOnce(page);
  // What happened during the outage arrived after it, by the resume.
  expect(seen.map(([index]) => index)).toContain(last + 1);
  expect(seen.slice(0, before.length)).toEqual(before);
  // Requests refused while offline are the outage itself, not a fault of the page.
  expect(problems.filter((p) => !p.includes("ERR_INTERNET_DISCONNECTED"))).toEqual([]);
});
