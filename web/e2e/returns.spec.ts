// Returns, end to end: a customer returns part of a delivered order from its page (the form
// offers no more than is left to return), the admin approves it and marks the parcel received
// in the console, and both pages show REFUNDED once the refund is written, without a reload;
// the stock is put back and "My returns" lists it. A return of more than is left (raced by a
// second tab) is refused in words.
import {
  ADMIN,
  api,
  deliveredOrder,
  expect,
  newCustomer,
  person,
  productNamed,
  shot,
  signIn,
  test,
} from "./fixtures";

const PRODUCT = "Organic Cotton T-Shirt";

test("a customer returns part of a delivered order, the admin approves and receives it, and the customer sees REFUNDED", async ({
  browser,
  request,
}) => {
  const buyer = await newCustomer(request, "return");
  const product = await productNamed(request, PRODUCT);
  const order = await deliveredOrder(request, buyer, [{ productId: product.id, quantity: 2 }]);

  const { page, problems } = await person(await browser.newContext());
  await page.goto(`/signin?next=${encodeURIComponent(`/orders/${order.id}`)}`);
  await signIn(page, buyer);
  const returns = page.getByTestId("order-returns");
  await expect(returns).toContainText("Nothing returned from this order.");

  // Nothing chosen: said in words, and nothing is sent.
  await page.getByRole("button", { name: "Return items" }).click();
  await page.getByLabel("Reason").fill("Too small");
  await page.getByRole("button", { name: "Request return" }).click();
  await expect(page.getByRole("alert")).toHaveText("Choose at least one item to return.");
  const quantity = page.getByLabel(`Quantity of ${PRODUCT} to return`);
  await expect(quantity).toHaveAttribute("max", "2");
  await quantity.fill("1");
  await page.getByRole("button", { name: "Request return" }).click();

  const card = returns.locator("li[data-return-id]");
  await expect(card).toHaveAttribute("data-status", "REQUESTED");
  const returnId = (await card.getAttribute("data-return-id"))!;
  const stockBefore = (await api(request, "GET", `/products/${product.id}`)).stock as number;
  // One is left to return: the form offers at most that.
  await page.getByRole("button", { name: "Return items" }).click();
  await expect(quantity).toHaveAttribute("max", "1");
  await page.getByRole("button", { name: "Cancel" }).click();
  await page.evaluate(() => ((window as any).e2eSameDocument = true));

  // The admin approves it and marks the parcel received; the refund follows by itself.
  const admin = await person(await browser.newContext());
  await admin.page.goto("/console/returns");
  await signIn(admin.page, ADMIN);
  const row = admin.page.locator(`tr[data-return-id="${returnId}"]`);
  await expect(row).toHaveAttribute("data-status", "REQUESTED");
  await row.getByRole("button", { name: /^Approve/ }).click();
  await expect(row).toHaveAttribute("data-status", "APPROVED");
  await row.getByLabel("Note or reason").fill("Parcel arrived intact");
  await row.getByRole("button", { name: /^Mark received/ }).click();
  await expect(row).toHaveAttribute("data-status", "REFUNDED");
  await expect(row.getByTestId("return-refund")).toContainText("refunded");
  await shot(admin.page, "console-returns");

  // The customer's page, still open, shows the refund.
  await expect(card).toHaveAttribute("data-status", "REFUNDED");
  await expect(card).toContainText("Refunded $");
  expect(await page.evaluate(() => (window as any).e2eSameDocument)).toBe(true);
  const stored = await api(request, "GET", `/returns/${returnId}`, buyer.token);
  expect([stored.status, stored.items[0].quantity]).toEqual(["REFUNDED", 1]);
  await expect
    .poll(async () => (await api(request, "GET", `/products/${product.id}`)).stock)
    .toBe(stockBefore + 1);

  // A second tab returned the last one meanwhile: this page's request is refused in words
  // (the 422's code), and nothing more is stored.
  await page.getByRole("button", { name: "Return items" }).click();
  await expect(quantity).toHaveAttribute("max", "1");
  await api(request, "POST", `/orders/${order.id}/returns`, buyer.token, {
    items: [{ productId: product.id, quantity: 1 }],
    reason: "Returned from another tab",
  });
  await quantity.fill("1");
  await page.getByLabel("Reason").fill("Also too small");
  await page.getByRole("button", { name: "Request return" }).click();
  await expect(page.getByRole("alert")).toHaveText("That is more than is left to return of this order.");
  const all = await api(request, "GET", "/returns", buyer.token);
  expect(all.map((r: any) => r.reason).sort()).toEqual(["Returned from another tab", "Too small"]);

  await page.getByRole("link", { name: "My account" }).click();
  await page.getByRole("link", { name: "My returns" }).click();
  await expect(page.getByTestId("returns").locator(`[data-return-id="${returnId}"]`)).toHaveAttribute(
    "data-status",
    "REFUNDED",
  );
  await shot(page, "storefront-returns");
  expect(problems).toEqual([expect.stringMatching(/^answer 422: POST .*\/returns$/)]);
  expect(admin.problems).toEqual([]);
});
