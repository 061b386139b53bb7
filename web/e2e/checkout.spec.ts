// The checkout as a person fills it in: a coupon refused with its reason, then one applied,
// loyalty points redeemed, a new address and a new test card; the total the page shows is the
// total the order is charged, to the cent. A declined card ends the order REJECTED, and the
// order page says why.
import {
  api,
  expect,
  grantPoints,
  newCustomer,
  person,
  productNamed,
  shot,
  signIn,
  test,
} from "./fixtures";

const PRODUCT = "Organic Cotton T-Shirt";

async function fillAddress(page: import("@playwright/test").Page) {
  await page.getByRole("radio", { name: "A new address" }).check();
  await page.getByLabel("Street").fill("1 Test Street");
  await page.getByLabel("City").fill("Springfield");
  await page.getByLabel("Postal code").fill("12345");
  await page.getByLabel("Country").fill("US");
}

async function fillCard(page: import("@playwright/test").Page, number: string) {
  await page.getByRole("radio", { name: "A new card" }).check();
  await page.getByLabel("Card number").fill(number);
  await page.getByLabel("Expiry (MM/YY)").fill("12/30");
  await page.getByLabel("CVC").fill("123");
}

test("a coupon, points and a new card: the page's total is the order's total to the cent", async ({
  browser,
  request,
}) => {
  const buyer = await newCustomer(request, "checkout");
  await grantPoints(request, buyer.id, 300);
  const product = await productNamed(request, PRODUCT);
  await api(request, "PUT", `/cart/items/${product.id}`, buyer.token, { quantity: 2 });

  const { page, problems } = await person(await browser.newContext());
  await page.goto("/signin?next=%2Fcheckout");
  await signIn(page, buyer);
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await expect(page.getByTestId("points-balance")).toContainText("You have 300 points");
  const before = await page.getByTestId("quote-total").textContent();

  // A coupon the customer's tier cannot use: refused in words, the quote unchanged.
  await page.getByLabel("Coupon code").fill("GOLD20");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("coupon-refusal")).toHaveText(/higher loyalty tier/);
  await expect(page.getByTestId("quote-total")).toHaveText(before!);

  // One it can: the quote shows the coupon's discount.
  await page.getByLabel("Coupon code").fill("welcome10");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("coupon")).toContainText("WELCOME10 applied");
  await expect(page.getByTestId("coupon-refusal")).toHaveCount(0);
  await expect(page.getByTestId("quote")).toContainText("Coupon discount");
  const withCoupon = await page.getByTestId("quote-total").textContent();
  expect(withCoupon).not.toBe(before);

  // 250 points = $2.50 off, after the coupon.
  await page.getByLabel("Points to redeem").fill("250");
  await expect(page.getByTestId("quote").locator("div", { hasText: "Points" })).toContainText("-$2.50");
  await fillAddress(page);
  await fillCard(page, "4242 4242 4242 4242");
  const shown = (await page.getByTestId("quote-total").textContent())!;
  expect(shown).not.toBe(withCoupon);
  await shot(page, "storefront-checkout", true);
  await page.getByRole("button", { name: "Place order" }).click();

  await expect(page).toHaveURL(/\/orders\/[0-9a-f]{24}$/);
  const orderId = page.url().split("/").pop()!;
  const order = await api(request, "GET", `/orders/${orderId}`, buyer.token);
  expect(`$${order.quote.total.toFixed(2)}`).toBe(shown);
  expect(order.quote.pointsDiscount).toBe(2.5);
  expect(order.quote.couponDiscount).toBeGreaterThan(0);
  expect(order.payment.last4).toBe("4242");
  await expect(page.getByTestId("quote-total")).toHaveText(shown);
  await expect(page.locator(".timeline li[data-status=PROCESSING]")).toHaveClass(/done/);

  // The refused coupon's 422 is the only refusal the page met.
  expect(problems).toEqual([expect.stringMatching(/^answer 422: POST .*\/api\/cart\/coupon$/)]);
});

test("a declined card ends the order REJECTED and the order page says so", async ({
  browser,
  request,
}) => {
  const buyer = await newCustomer(request, "declined");
  const product = await productNamed(request, PRODUCT);
  await api(request, "PUT", `/cart/items/${product.id}`, buyer.token, { quantity: 1 });

  const { page, problems } = await person(await browser.newContext());
  await page.goto("/signin?next=%2Fcheckout");
  await signIn(page, buyer);
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await fillAddress(page);
  await fillCard(page, "4000 0000 0000 0002");
  await page.getByRole("button", { name: "Place order" }).click();

  await expect(page).toHaveURL(/\/orders\/[0-9a-f]{24}$/);
  await expect(page.locator(".status.status-rejected").first()).toHaveText("REJECTED");
  await expect(page.getByTestId("rejection")).toContainText("payment was declined");
  await expect(page.getByTestId("rejection")).toContainText("PAYMENT_DECLINED");
  const orderId = page.url().split("/").pop()!;
  const order = await api(request, "GET", `/orders/${orderId}`, buyer.token);
  expect(order.status).toBe("REJECTED");
  expect(order.rejectionReason).toMatch(/^PAYMENT_DECLINED/);
  expect(problems).toEqual([]);
});

test("free shipping stays free when points take the subtotal below the threshold", async ({
  browser,
  request,
}) => {
  const buyer = await newCustomer(request, "freeship");
  await grantPoints(request, buyer.id, 1500);
  const product = await productNamed(request, PRODUCT);
  await api(request, "PUT", `/cart/items/${product.id}`, buyer.token, { quantity: 3 });
  await api(request, "POST", "/cart/coupon", buyer.token, { code: "FREESHIP" });

  const { page, problems } = await person(await browser.newContext());
  await page.goto("/signin?next=%2Fcheckout");
  await signIn(page, buyer);
  await expect(page.getByTestId("coupon")).toContainText("FREESHIP applied");
  await page.getByLabel("Points to redeem").fill("1500");
  await expect(page.getByTestId("quote").locator("div", { hasText: "Points" })).toContainText("-$15.00");
  await expect(page.getByTestId("quote").locator("div", { hasText: "Shipping" })).toContainText("$0.00");
  await fillAddress(page);
  await fillCard(page, "4242 4242 4242 4242");
  const shown = (await page.getByTestId("quote-total").textContent())!;
  await page.getByRole("button", { name: "Place order" }).click();
  await expect(page).toHaveURL(/\/orders\/[0-9a-f]{24}$/);
  const order = await api(request, "GET", `/orders/${page.url().split("/").pop()}`, buyer.token);
  expect([order.quote.shipping, order.quote.pointsDiscount]).toEqual([0, 15]);
  expect(`$${order.quote.total.toFixed(2)}`).toBe(shown);
  expect(problems).toEqual([]);
});
