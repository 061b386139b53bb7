// The console's management pages and live figures: coupons (create, see uses, pause, delete),
// the catalog (add, change price and stock, delete: the storefront sees each change, and an open
// product page sees the delete), the analytics figures and chart moving over /ws/analytics
// without a reload, the assistant's statistics and the dead-letter count.
import {
  ADMIN,
  CUSTOMER,
  api,
  expect,
  newCustomer,
  person,
  productNamed,
  shot,
  signIn,
  test,
  tokenOf,
} from "./fixtures";

async function admin(browser: import("@playwright/test").Browser, path: string) {
  const who = await person(await browser.newContext());
  await who.page.goto(path);
  await signIn(who.page, ADMIN);
  return who;
}

test("an admin creates a coupon, sees its uses, pauses it and deletes it", async ({
  browser,
  request,
}) => {
  const { page, problems } = await admin(browser, "/console/coupons");
  const code = `E2E${Date.now().toString(36).toUpperCase()}`;
  await page.getByLabel("Code").fill(code);
  await page.getByLabel("Kind").selectOption("fixed");
  await page.getByLabel("Amount").fill("3.50");
  await page.getByLabel("Usage limit (optional)").fill("5");
  await page.getByRole("button", { name: "Create coupon" }).click();
  const row = page.locator(`[data-coupon="${code}"]`);
  await expect(row).toContainText("$3.50 off");
  await expect(row.getByTestId("coupon-used")).toHaveText("0 of 5");
  await expect(row).toContainText("active");

  // A customer's cart can use it while it is active, not once it is paused.
  const customer = await newCustomer(request, "coupon");
  const product = await productNamed(request, "Organic Cotton T-Shirt");
  await api(request, "PUT", `/cart/items/${product.id}`, customer.token, { quantity: 1 });
  const cart = await api(request, "POST", "/cart/coupon", customer.token, { code });
  expect(cart.coupon.applies).toBe(true);
  // A checkout with it counts one use, which the list shows when read again.
  await api(request, "POST", "/checkout", customer.token, {
    shippingAddress: { street: "1 Test Street", city: "Springfield", zipCode: "12345", country: "US" },
    card: { number: "4242 4242 4242 4242", expMonth: 12, expYear: 2030, cvc: "123" },
  });
  await page.reload();
  await expect(row.getByTestId("coupon-used")).toHaveText("1 of 5");
  await api(request, "PUT", `/cart/items/${product.id}`, customer.token, { quantity: 1 });
  await api(request, "POST", "/cart/coupon", customer.token, { code });
  await page.getByRole("button", { name: `Pause ${code}` }).click();
  await expect(row).toContainText("paused");
  const paused = await api(request, "GET", "/cart", customer.token);
  expect(paused.coupon.applies).toBe(false);
  await shot(page, "console-coupons");

  await page.getByRole("button", { name: `Delete ${code}` }).click();
  await expect(row).toHaveCount(0);
  const all = await api(request, "GET", "/coupons", (await tokenOf(request, ADMIN)).token);
  expect(all.map((c: any) => c.code)).not.toContain(code);
  expect(problems).toEqual([]);
});

test("an admin adds a product, changes its price and stock, and deletes it", async ({
  browser,
  request,
}) => {
  const { page, problems } = await admin(browser, "/console/catalog");
  const name = `E2E Lamp ${Date.now()}`;
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Category").fill("Home & Kitchen");
  await page.getByLabel("Price", { exact: true }).fill("19.99");
  await page.getByLabel("Stock", { exact: true }).fill("7");
  await page.getByRole("button", { name: "Add product" }).click();
  const row = page.locator("tr", { hasText: name });
  await expect(row).toContainText("now $19.99, 7 in stock");
  const id = await row.getAttribute("data-product-id");

  await row.getByLabel(`Price of ${name}`).fill("24.50");
  await row.getByLabel(`Stock of ${name}`).fill("3");
  await row.getByRole("button", { name: `Save ${name}` }).click();
  await expect(row).toContainText("now $24.50, 3 in stock");
  const stored = await api(request, "GET", `/products/${id}`);
  expect([stored.price, stored.stock, stored.category]).toEqual([24.5, 3, "Home & Kitchen"]);

  // The storefront shows the new price and stock. The page's reviews and locations are read
  // before the delete: read after it, they would be 404s (CI once met one so).
  const shopper = await person(await browser.newContext());
  const settled = Promise.all(
    ["/reviews?", "/inventory"].map((part) =>
      shopper.page.waitForResponse((r) => r.url().includes(`/api/products/${id}${part}`)),
    ),
  );
  await shopper.page.goto(`/products/${id}`);
  await expect(shopper.page.getByText("$24.50")).toBeVisible();
  await expect(shopper.page.getByTestId("stock")).toHaveText("3 in stock");
  await settled;
  await shot(page, "console-catalog");

  // Deleted, it leaves the console, and the open product page says so live: no more for sale.
  await row.getByRole("button", { name: `Delete ${name}` }).click();
  await expect(page.locator("tr", { hasText: name })).toHaveCount(0);
  const gone = await request.get(`/api/products/${id}`);
  expect(gone.status()).toBe(404);
  await expect(shopper.page.getByTestId("gone")).toHaveText("This product is no longer sold.");
  await expect(shopper.page.getByRole("button", { name: "Add to cart" })).toBeDisabled();
  expect(problems).toEqual([]);
  expect(shopper.problems).toEqual([]);
});

test("the analytics figures and chart move live when an order is placed", async ({
  browser,
  request,
}) => {
  const { page, problems } = await admin(browser, "/console/analytics");
  await expect(page.getByTestId("live-state")).toHaveText("Live");
  const orders = page.getByTestId("total-orders");
  await expect(orders).toHaveText(/^\d+$/);
  const before = Number(await orders.textContent());
  const revenueBefore = await page.getByTestId("revenue-chart").getAttribute("data-today");
  // Marks this document: a reload would lose it.
  await page.evaluate(() => ((window as any).e2eSameDocument = true));

  const customer = await tokenOf(request, CUSTOMER);
  const product = await productNamed(request, "Organic Cotton T-Shirt");
  await api(request, "POST", "/orders", customer.token, {
    items: [{ productId: product.id, quantity: 1 }],
  });
  await expect(orders).toHaveText(String(before + 1));
  await expect(page.getByTestId("revenue-chart")).not.toHaveAttribute("data-today", revenueBefore!);
  expect(await page.evaluate(() => (window as any).e2eSameDocument)).toBe(true);
  await shot(page, "console-analytics");
  expect(problems).toEqual([]);
});

test("the console shows the assistant's statistics and the dead-letter count", async ({
  browser,
}) => {
  const { page, problems } = await admin(browser, "/console/assistant");
  await expect(page.getByRole("heading", { name: "Assistant" })).toBeVisible();
  await expect(page.getByTestId("assistant-replies")).toHaveText(/^\d+$/);
  await page.getByRole("link", { name: "Health" }).click();
  await expect(page.getByTestId("dead-letter-count")).toHaveText(/^\d+$/);
  expect(problems).toEqual([]);
});
