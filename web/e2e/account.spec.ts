// "My account": saved addresses and cards are listed, added, made default and deleted through
// the page (and the API stores exactly that), and the loyalty panel shows points, tier and
// the history of a fresh customer who was given points.
import { api, expect, grantPoints, newCustomer, person, shot, signIn, test } from "./fixtures";

test("a customer manages saved addresses and cards and sees their loyalty points", async ({
  browser,
  request,
}) => {
  const me = await newCustomer(request, "account");
  await grantPoints(request, me.id, 120);
  const { page, problems } = await person(await browser.newContext());
  await page.goto("/signin?next=%2Faccount");
  await signIn(page, me);
  await expect(page.getByRole("heading", { name: "My account" })).toBeVisible();

  // Loyalty: the points given, the tier, the history line.
  await expect(page.getByTestId("loyalty-summary")).toContainText("120 points");
  await expect(page.getByTestId("loyalty-summary")).toContainText("Bronze");
  await expect(page.getByTestId("loyalty-history")).toContainText("+120");

  // Two addresses: the first saved is the default; the second is made default, the first deleted.
  const addresses = page.getByTestId("addresses");
  for (const [street, label] of [["1 First Street", "Home"], ["2 Second Street", "Work"]]) {
    await page.getByLabel("Label (optional)").fill(label);
    await page.getByLabel("Street").fill(street);
    await page.getByLabel("City").fill("Springfield");
    await page.getByLabel("Postal code").fill("12345");
    await page.getByLabel("Country").fill("US");
    await page.getByRole("button", { name: "Save address" }).click();
    await expect(addresses).toContainText(street);
  }
  await expect(addresses.locator("li", { hasText: "1 First Street" })).toContainText("Default");
  await page.getByRole("button", { name: "Make default 2 Second Street" }).click();
  await expect(addresses.locator("li", { hasText: "2 Second Street" })).toContainText("Default");
  await page.getByRole("button", { name: "Delete 1 First Street" }).click();
  await expect(addresses.locator("li")).toHaveCount(1);
  const stored = await api(request, "GET", "/customers/me/addresses", me.token);
  expect(stored.map((a: any) => [a.street, a.isDefault])).toEqual([["2 Second Street", true]]);

  // Two cards, the same way.
  const cards = page.getByTestId("cards");
  for (const number of ["4242 4242 4242 4242", "5555 5555 5555 4444"]) {
    await page.getByLabel("Card number").fill(number);
    await page.getByLabel("Expiry (MM/YY)").fill("11/31");
    await page.getByLabel("CVC").fill("321");
    await page.getByRole("button", { name: "Save card" }).click();
    await expect(cards).toContainText(`ending ${number.slice(-4)}`);
  }
  await expect(cards.locator("li", { hasText: "ending 4242" })).toContainText("Default");
  await page.getByRole("button", { name: "Make default card ending 4444" }).click();
  await expect(cards.locator("li", { hasText: "ending 4444" })).toContainText("Default");
  await page.getByRole("button", { name: "Delete card ending 4242" }).click();
  await expect(cards.locator("li")).toHaveCount(1);
  const wallet = await api(request, "GET", "/customers/me/payment-methods", me.token);
  expect(wallet.map((c: any) => [c.last4, c.isDefault])).toEqual([["4444", true]]);
  await shot(page, "storefront-account");

  // A card the API refuses is refused in words, and nothing is saved.
  await page.getByLabel("Card number").fill("1234");
  await page.getByLabel("Expiry (MM/YY)").fill("11/31");
  await page.getByLabel("CVC").fill("321");
  await page.getByRole("button", { name: "Save card" }).click();
  await expect(page.getByRole("alert")).toContainText("card.number");
  await expect(cards.locator("li")).toHaveCount(1);
  expect(problems).toEqual([expect.stringMatching(/^answer 400: POST .*payment-methods$/)]);
});
