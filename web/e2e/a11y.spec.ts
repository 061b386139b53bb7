// Accessibility: axe-core finds no serious or critical violation on the main pages of the
// storefront and the console; the main path (sign in, search, product, cart, checkout, order)
// works from the keyboard alone; and the pages fit a phone's screen.
import AxeBuilder from "@axe-core/playwright";
import { type Locator, type Page } from "@playwright/test";
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
} from "./fixtures";

/** axe's serious and critical findings on the page as it is now, one line each. */
async function serious(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

test("the storefront's main pages have no serious accessibility violation", async ({
  browser,
  request,
}) => {
  const { page, problems } = await person(await browser.newContext());
  const found: Record<string, string[]> = {};
  const check = async (name: string, ready: Locator) => {
    await expect(ready).toBeVisible();
    found[name] = await serious(page);
  };
  await page.goto("/");
  await check("catalog", page.locator(".product-link").first());
  const product = await productNamed(request, "Organic Cotton T-Shirt");
  await page.goto(`/products/${product.id}`);
  // The reviews have been read (there may be none yet: the list is then empty, not visible).
  await expect(page.locator("section.reviews[aria-busy=false]")).toBeVisible();
  await check("product", page.getByTestId("rating"));
  await page.goto("/signin?next=%2Fcart");
  await check("sign-in", page.getByRole("heading", { name: "Sign in" }));
  await signIn(page, CUSTOMER);
  await check("cart", page.getByRole("heading", { name: "Your cart" }));
  await page.goto("/account");
  await expect(page.getByTestId("mail-preferences")).toBeVisible();
  await check("account", page.getByTestId("loyalty-summary"));
  await page.goto("/notifications");
  await check("notifications", page.getByRole("heading", { name: "Notifications" }));
  await page.goto("/returns");
  await check("returns", page.getByRole("heading", { name: "My returns" }));
  await page.goto("/wishlist");
  await check("wishlist", page.locator("[data-testid=wishlist], [data-testid=wishlist-empty]").first());
  await page.goto("/subscriptions");
  await check(
    "subscriptions",
    page.locator("[data-testid=subscription], [data-testid=subscriptions-empty]").first(),
  );
  await page.goto("/subscriptions/new");
  await check("subscribe", page.getByRole("heading", { name: "Subscribe to your cart" }));
  await page.goto("/orders");
  await check("orders", page.getByRole("heading", { name: "My orders" }));
  await page.locator(".list a").first().click();
  await check("order", page.getByTestId("timeline"));
  await page.goto("/chat");
  await check("chat", page.getByLabel("Your message"));
  const buyer = await newCustomer(request, "axe");
  await api(request, "PUT", `/cart/items/${product.id}`, buyer.token, { quantity: 1 });
  const other = await person(await browser.newContext());
  await other.page.goto("/signin?next=%2Fcheckout");
  await signIn(other.page, buyer);
  await expect(other.page.getByTestId("points-balance")).toBeVisible();
  found.checkout = await serious(other.page);
  expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
  expect(problems).toEqual([]);
  expect(other.problems).toEqual([]);
});

test("the console's pages have no serious accessibility violation", async ({ browser }) => {
  const { page, problems } = await person(await browser.newContext());
  await page.goto("/console");
  expect(await serious(page)).toEqual([]);
  await signIn(page, ADMIN);
  const found: Record<string, string[]> = {};
  const pages: [string, string, string][] = [
    ["Orders", "/console", "[data-column=PENDING]"],
    ["Alerts", "/console/alerts", "[data-testid=live-state]"],
    ["Health", "/console/health", "[data-testid=dead-letter-count]"],
    ["Analytics", "/console/analytics", "[data-testid=revenue-chart]"],
    ["Catalog", "/console/catalog", "[data-testid=products]"],
    ["Locations", "/console/locations", ".location-list"],
    ["Coupons", "/console/coupons", "[data-testid=coupons]"],
    ["Returns", "/console/returns", "[data-testid=returns-desk], p:has-text('No returns')"],
    ["Reviews", "/console/reviews", "#review-product-search"],
    ["Support", "/console/support", "[data-testid=support-queue] li, [data-testid=queue-empty]"],
    ["Assistant", "/console/assistant", "[data-testid=assistant-figures]"],
  ];
  for (const [name, path, ready] of pages) {
    await page.getByRole("link", { name, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`${path}$`));
    await expect(page.locator(ready).first()).toBeVisible();
    found[name] = await serious(page);
  }
  // A product's reviews as the moderator sees them.
  await page.getByRole("link", { name: "Reviews", exact: true }).click();
  await page.getByLabel("Product").fill("Organic Cotton T-Shirt");
  await page.getByRole("button", { name: "Find products" }).click();
  await page.getByTestId("review-products").getByRole("button").first().click();
  await expect(page.locator("[data-testid=moderation], p:has-text('No visible reviews')").first()).toBeVisible();
  found["Reviews of a product"] = await serious(page);
  pages.push(["Reviews of a product", "", ""]);
  expect(found).toEqual(Object.fromEntries(pages.map(([name]) => [name, []])));
  expect(problems).toEqual([]);
});

/** Presses Tab until `target` has the focus (at most 60 times), as a keyboard user would. */
async function tabTo(page: Page, target: Locator) {
  for (let i = 0; i < 60; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached ${target}`);
}

test("the main path works from the keyboard alone", async ({ browser }) => {
  const { page, problems } = await person(await browser.newContext());
  await page.goto("/signin");
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  await tabTo(page, page.getByLabel("Email"));
  await page.keyboard.type(CUSTOMER.email);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(CUSTOMER.password);
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("who")).toHaveText(CUSTOMER.name);

  await tabTo(page, page.getByLabel("Search"));
  await page.keyboard.type("cotton t-shirt");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/search=cotton/);
  const link = page.getByRole("link", { name: "Organic Cotton T-Shirt" });
  await tabTo(page, link);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Organic Cotton T-Shirt" })).toBeVisible();
  await tabTo(page, page.getByRole("button", { name: "Add to cart" }));
  await page.keyboard.press("Enter");
  await expect(page.getByText("Added 1 to your cart.")).toBeVisible();
  await tabTo(page, page.getByRole("link", { name: "Go to the cart" }));
  await page.keyboard.press("Enter");
  await tabTo(page, page.getByRole("link", { name: "Check out" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  // The saved address and the default card are chosen; the order is placed with Enter.
  await tabTo(page, page.getByRole("button", { name: "Place order" }));
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/orders\/[0-9a-f]{24}$/);
  await expect(page.locator(".timeline li[data-status=PENDING]")).toHaveClass(/done/);
  expect(problems).toEqual([]);
});

test("on a phone the shop fits the screen and the checkout can be completed", async ({
  browser,
  request,
}) => {
  const buyer = await newCustomer(request, "phone");
  const product = await productNamed(request, "Organic Cotton T-Shirt");
  await api(request, "PUT", `/cart/items/${product.id}`, buyer.token, { quantity: 1 });
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const { page, problems } = await person(context);
  const fits = async () =>
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.goto("/");
  await expect(page.locator(".product-link").first()).toBeVisible();
  await fits();
  await shot(page, "phone-catalog");
  await page.goto(`/products/${product.id}`);
  await expect(page.getByTestId("stock")).toBeVisible();
  // The reviews have been read (there may be none yet: the list is then empty, not visible).
  await expect(page.locator("section.reviews[aria-busy=false]")).toBeVisible();
  await fits();
  await page.goto("/signin?next=%2Fcheckout");
  await signIn(page, buyer);
  await expect(page.getByTestId("points-balance")).toBeVisible();
  await fits();
  await page.getByLabel("Street").fill("1 Test Street");
  await page.getByLabel("City").fill("Springfield");
  await page.getByLabel("Postal code").fill("12345");
  await page.getByLabel("Country").fill("US");
  await page.getByLabel("Card number").fill("4242 4242 4242 4242");
  await page.getByLabel("Expiry (MM/YY)").fill("12/30");
  await page.getByLabel("CVC").fill("123");
  await shot(page, "phone-checkout");
  await page.getByRole("button", { name: "Place order" }).tap();
  await expect(page).toHaveURL(/\/orders\/[0-9a-f]{24}$/);
  await expect(page.getByTestId("timeline")).toBeVisible();
  await fits();
  await page.getByRole("link", { name: /^Notifications/ }).tap();
  await expect(page.getByRole("heading", { name: "Notifications" })).toBeVisible();
  await fits();
  await page.goto("/account");
  await expect(page.getByTestId("mail-preferences")).toBeVisible();
  await fits();
  expect(problems).toEqual([]);
});
