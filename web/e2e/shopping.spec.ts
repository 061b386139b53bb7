// A person's whole path, in a real browser against the real suite: sign in as the demo
// customer, search, add to the cart, check out with a saved address, and watch the order's
// timeline move to DELIVERED live (reloading midway misses no step), while an admin's console,
// open in a second browser context, shows the same order arrive and move on the live board.
import { ADMIN, CUSTOMER, expect, person, shot, signIn, test } from "./fixtures";

const PRODUCT = "Organic Cotton T-Shirt";

test("a customer orders and follows the order live while the admin's board shows it", async ({
  browser,
}) => {
  const admin = await person(await browser.newContext());
  await admin.page.goto("/console");
  await expect(admin.page.getByRole("heading", { name: "Sign in to the ops console" })).toBeVisible();
  await signIn(admin.page, ADMIN);
  await expect(admin.page.getByRole("heading", { name: /Orders/ })).toBeVisible();
  await expect(admin.page.getByTestId("live-state")).toHaveText("Live");

  const { page, problems } = await person(await browser.newContext());
  await page.goto("/");
  await page.getByRole("link", { name: "Sign in" }).click();
  await signIn(page, CUSTOMER);
  await expect(page.getByTestId("who")).toHaveText(CUSTOMER.name);

  // Search, then open the product from the results.
  await page.getByLabel("Search").fill("cotton t-shirt");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/search=cotton/);
  await shot(page, "storefront-search");
  await page.getByRole("link", { name: PRODUCT }).click();
  await expect(page.getByRole("heading", { name: PRODUCT })).toBeVisible();
  await expect(page.getByTestId("stock")).toContainText("in stock");
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page.getByText("Added 1 to your cart.")).toBeVisible();

  // The cart: keep only the T-shirt (the seed may have left other lines), read the quote.
  await page.getByRole("link", { name: "Go to the cart" }).click();
  const lines = page.getByTestId("cart-line");
  await expect(lines.filter({ hasText: PRODUCT })).toHaveCount(1);
  const others = lines.filter({ hasNotText: PRODUCT });
  for (let left = await others.count(); left > 0; left--) {
    await others.first().getByRole("button", { name: /Remove/ }).click();
    await expect(others).toHaveCount(left - 1);
  }
  const total = await page.getByTestId("quote-total").textContent();
  expect(total).toMatch(/^\$\d+\.\d\d$/);

  // Checkout with the saved address chosen for us; the same total as the cart's quote.
  await page.getByRole("link", { name: "Check out" }).click();
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  const saved = page.getByRole("radio").first();
  await expect(saved).toBeChecked();
  await expect(page.getByTestId("quote-total")).toHaveText(total!);
  // The demo customer's default saved card is chosen for us.
  await expect(page.getByRole("radio", { name: /ending \d{4}/ }).first()).toBeChecked();
  await page.getByRole("button", { name: "Place order" }).click();
  await expect(page).toHaveURL(/\/orders\/[0-9a-f]{24}$/);
  const orderId = page.url().split("/").pop()!;

  // The timeline moves by itself; a reload midway resumes the stream without a gap.
  const step = (status: string) => page.locator(`.timeline li[data-status=${status}]`);
  await expect(page.getByTestId("live-state")).toHaveText("Live");
  await expect(step("PROCESSING")).toHaveClass(/done/);
  await page.reload();
  await expect(step("PENDING")).toHaveClass(/done/);
  await expect(step("PROCESSING")).toHaveClass(/done/);
  await expect(step("SHIPPED")).toHaveClass(/done/);
  await expect(step("DELIVERED")).toHaveClass(/done/);
  await expect(page.getByText("DELIVERED").first()).toBeVisible();
  await shot(page, "storefront-timeline");

  // The admin's board saw it arrive and reach DELIVERED without a reload.
  const card = admin.page.locator(`[data-order-id="${orderId}"]`);
  await expect(card).toBeVisible();
  await expect(admin.page.locator(`[data-column=DELIVERED] [data-order-id="${orderId}"]`)).toBeVisible();
  await shot(admin.page, "console-board");

  // My orders lists it as delivered.
  await page.getByRole("link", { name: "My orders" }).click();
  await expect(page.getByRole("link", { name: `Order ${orderId.slice(-8)}` })).toBeVisible();

  expect(problems).toEqual([]);
  expect(admin.problems).toEqual([]);
});
