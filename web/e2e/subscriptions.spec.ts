// Subscriptions, end to end: a customer subscribes to the cart's products every 14 days with a
// saved card and address, finds it in "My subscriptions" with its first order, pauses, resumes
// and cancels it, and the API agrees at each step. Unhappy paths: without a saved card the form
// says what is missing; a subscription cancelled in another tab refuses a pause in words
// (409); a declined card pauses the subscription and the page says why.
import { type APIRequestContext, type Locator } from "@playwright/test";
import { api, expect, newCustomer, person, productNamed, shot, signIn, test } from "./fixtures";

const PRODUCT = "Organic Cotton T-Shirt";
const ADDRESS = { street: "7 Repeat Road", city: "Springfield", zipCode: "12345", country: "US" };

/** A customer with a saved address, a saved card (`number`, unless null) and the product in the cart. */
async function subscriber(request: APIRequestContext, prefix: string, number: string | null) {
  const buyer = await newCustomer(request, prefix);
  const product = await productNamed(request, PRODUCT);
  const address = await api(request, "POST", "/customers/me/addresses", buyer.token, ADDRESS);
  const card = number
    ? await api(request, "POST", "/customers/me/payment-methods", buyer.token, {
        card: { number, expMonth: 12, expYear: 2030, cvc: "123" },
      })
    : null;
  await api(request, "PUT", `/cart/items/${product.id}`, buyer.token, { quantity: 1 });
  return { buyer, product, address, card };
}

/** The first run's order has been paid: the page has stopped reading the list again. */
async function settled(card: Locator) {
  const badge = card.getByTestId("last-run").locator(".badge");
  await expect(badge).toBeVisible();
  await expect(badge).not.toHaveText(/PENDING|REJECTED/);
}

test("a customer subscribes to the cart, sees the first order, pauses, resumes and cancels", async ({
  browser,
  request,
}) => {
  const { buyer } = await subscriber(request, "sub", "4242 4242 4242 4242");
  const { page, problems } = await person(await browser.newContext());
  await page.goto("/signin?next=%2Fcart");
  await signIn(page, buyer);
  await page.getByRole("link", { name: "Subscribe to these" }).click();
  await expect(page.getByRole("heading", { name: "Subscribe to your cart" })).toBeVisible();
  await expect(page.getByTestId("subscribe-items")).toContainText(`1 × ${PRODUCT}`);
  await expect(page.getByLabel("Pay with")).toContainText("ending 4242");
  await expect(page.getByLabel("Ship to")).toContainText(ADDRESS.street);
  await page.getByLabel("Every how many days").fill("14");
  await page.getByRole("button", { name: "Subscribe" }).click();

  await expect(page).toHaveURL(/\/subscriptions\?subscribed=1$/);
  const card = page.getByTestId("subscription");
  await expect(card).toHaveCount(1);
  await expect(card).toHaveAttribute("data-status", "ACTIVE");
  await expect(card).toContainText(`1 × ${PRODUCT}`);
  await expect(card).toContainText("every 14 days");
  const [stored] = await api(request, "GET", "/subscriptions", buyer.token);
  expect(stored).toMatchObject({ status: "ACTIVE", intervalDays: 14 });
  // The first order is placed at once; the next one is due in 14 days.
  await expect(card.getByRole("link", { name: "order" })).toBeVisible();
  await settled(card);
  await expect(card.getByTestId("next-run")).not.toContainText("being placed");
  const placed = (await api(request, "GET", `/subscriptions/${stored.id}`, buyer.token)).runs;
  expect(placed).toHaveLength(1);
  expect(placed[0].orderId).toMatch(/^[0-9a-f]{24}$/);
  await shot(page, "storefront-subscriptions");

  await card.getByRole("button", { name: /^Pause/ }).click();
  await expect(card).toHaveAttribute("data-status", "PAUSED");
  await expect(card.getByTestId("pause-reason")).toHaveText("You paused it.");
  expect((await api(request, "GET", `/subscriptions/${stored.id}`, buyer.token)).status).toBe("PAUSED");

  await card.getByRole("button", { name: /^Resume/ }).click();
  await expect(card).toHaveAttribute("data-status", "ACTIVE");
  expect((await api(request, "GET", `/subscriptions/${stored.id}`, buyer.token)).status).toBe("ACTIVE");

  page.once("dialog", (dialog) => dialog.accept());
  await card.getByRole("button", { name: /^Cancel subscription/ }).click();
  await expect(card).toHaveAttribute("data-status", "CANCELLED");
  await expect(card.getByRole("button")).toHaveCount(0);
  expect((await api(request, "GET", `/subscriptions/${stored.id}`, buyer.token)).status).toBe("CANCELLED");
  // Paused, resumed and cancelled: still the one order of the first run.
  expect((await api(request, "GET", `/subscriptions/${stored.id}`, buyer.token)).runs).toHaveLength(1);
  expect(problems).toEqual([]);
});

test("without a saved card the form says so, and a pause of a subscription cancelled elsewhere is refused in words", async ({
  browser,
  request,
}) => {
  const { buyer, product, address } = await subscriber(request, "sub-refused", null);
  const { page, problems } = await person(await browser.newContext());
  await page.goto("/signin?next=%2Fsubscriptions%2Fnew");
  await signIn(page, buyer);
  await expect(page.getByRole("alert")).toContainText("save a card in My account first");
  await expect(page.getByRole("button", { name: "Subscribe" })).toHaveCount(0);

  const saved = await api(request, "POST", "/customers/me/payment-methods", buyer.token, {
    card: { number: "4242 4242 4242 4242", expMonth: 12, expYear: 2030, cvc: "123" },
  });
  const sub = await api(request, "POST", "/subscriptions", buyer.token, {
    items: [{ productId: product.id, quantity: 1 }],
    intervalDays: 30,
    paymentMethodId: saved.id,
    shippingAddressId: address.id,
  });
  await page.getByRole("link", { name: "Subscriptions" }).click();
  const card = page.getByTestId("subscription");
  await expect(card).toHaveAttribute("data-status", "ACTIVE");
  await settled(card);
  // Another tab cancels it; this one still offers a pause, which the API refuses (409).
  await api(request, "POST", `/subscriptions/${sub.id}/cancel`, buyer.token);
  await card.getByRole("button", { name: /^Pause/ }).click();
  await expect(page.getByRole("alert")).toContainText("a CANCELLED subscription cannot become PAUSED");
  await expect(card).toHaveAttribute("data-status", "CANCELLED");
  expect(problems).toEqual([expect.stringMatching(/^answer 409: POST .*\/subscriptions\/[0-9a-f]{24}\/pause$/)]);
});

test("a declined card pauses the subscription and the page says why", async ({ browser, request }) => {
  const { buyer, product, address, card: declining } = await subscriber(
    request,
    "sub-declined",
    "4000 0000 0000 0002",
  );
  await api(request, "POST", "/subscriptions", buyer.token, {
    items: [{ productId: product.id, quantity: 1 }],
    intervalDays: 7,
    paymentMethodId: declining.id,
    shippingAddressId: address.id,
  });
  const { page, problems } = await person(await browser.newContext());
  await page.goto("/signin?next=%2Fsubscriptions");
  await signIn(page, buyer);
  const card = page.getByTestId("subscription");
  await expect(card).toHaveAttribute("data-status", "PAUSED");
  await expect(card.getByTestId("pause-reason")).toContainText("Your card was declined");
  await expect(card.getByTestId("last-run")).toContainText("REJECTED");
  await expect(card.getByRole("button", { name: /^Resume/ })).toBeVisible();
  expect(problems).toEqual([]);
});
