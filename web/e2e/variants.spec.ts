// Variants (issue 19): an admin adds a product's colours and sizes in the console, each with its
// own SKU, stock and (for one) price; a shopper picks a colour and a size on the product page,
// sees that variant's price and stock, cannot buy the sold-out one (nor, once deleted while
// the page is open, choose it), and the cart names the variant bought.
import { api, expect, newCustomer, person, productInConsole, shot, signIn, test } from "./fixtures";

test("an admin adds variants and a shopper buys the colour and size chosen", async ({ browser, request }) => {
  const name = `E2E Variant Tee ${Date.now()}`;
  const { admin, product, page, problems, row } = await productInConsole(browser, request, name, {
    lowStockThreshold: 0,
  });
  await row.getByText("Variants (0)").click();
  const form = row.getByRole("form", { name: `New variant of ${name}` });
  const add = async (sku: string, color: string, size: string, stock: string, price = "") => {
    await form.getByLabel("Variant SKU").fill(sku);
    await form.getByLabel("Variant colour").fill(color);
    await form.getByLabel("Variant size").fill(size);
    await form.getByLabel("Variant's own price (optional)").fill(price);
    await form.getByLabel("Variant stock").fill(stock);
    await form.getByRole("button", { name: `Add variant of ${name}` }).click();
  };
  await add("E2E-RED-M", "Red", "M", "2");
  await expect(row.getByText("Variants (1)")).toBeVisible();
  await add("E2E-BLUE-M", "Blue", "M", "0", "32.50");
  await expect(row.getByText("Variants (2)")).toBeVisible();
  // The same SKU again is refused, and nothing is added.
  await add("e2e-red-m", "Green", "M", "1");
  await expect(row.getByRole("alert")).toContainText("SKU");
  await expect(row.getByText("Variants (2)")).toBeVisible();
  const variants = row.getByRole("list", { name: `Variants of ${name}` });
  await expect(variants.getByRole("listitem")).toHaveCount(2);
  await expect(row.getByLabel(`Stock of ${name}`, { exact: true })).toBeDisabled();
  if (process.env.SCREENSHOTS) await row.screenshot({ path: `${process.env.SCREENSHOTS}/console-variants.png` });

  const buyer = await newCustomer(request, "variants");
  const shopper = await person(await browser.newContext());
  await shopper.page.goto("/signin");
  await signIn(shopper.page, buyer);
  await expect(shopper.page.getByTestId("who")).toHaveText(buyer.name);
  await shopper.page.goto(`/products/${product.id}`);
  const picker = shopper.page.getByTestId("variant-picker");
  // The first variant in stock is chosen: its stock and the product's price.
  await expect(picker.getByRole("radio", { name: /Red/ })).toBeChecked();
  await expect(shopper.page.getByTestId("stock")).toHaveText("2 in stock");
  await expect(shopper.page.locator(".price").first()).toHaveText("$30.00");
  // The sold-out colour: its own price, out of stock, not to be added.
  await picker.getByRole("radio", { name: /Blue/ }).check();
  await expect(shopper.page.getByTestId("stock")).toHaveText("Out of stock");
  await expect(shopper.page.locator(".price").first()).toHaveText("$32.50");
  await expect(shopper.page.getByRole("button", { name: "Add to cart" })).toBeDisabled();
  // The chosen variant deleted while the page is open: the picker loses it, the product stays.
  const listed = await api(request, "GET", `/products/${product.id}`);
  const blue = listed.variants.find((v: any) => v.sku === "E2E-BLUE-M");
  await api(request, "DELETE", `/products/${product.id}/variants/${blue.id}`, admin.token);
  await expect(picker.getByRole("radio", { name: /Blue/ })).toHaveCount(0);
  await expect(shopper.page.getByTestId("stock")).toHaveText("Not made in this colour and size");
  await expect(shopper.page.getByTestId("gone")).toHaveCount(0);
  await picker.getByRole("radio", { name: /Red/ }).check();
  await expect(shopper.page.getByTestId("stock")).toHaveText("2 in stock");
  await shot(shopper.page, "storefront-variants");
  await shopper.page.getByRole("button", { name: "Add to cart" }).click();
  await expect(shopper.page.getByText("Added 1 to your cart.")).toBeVisible();
  await shopper.page.getByRole("link", { name: "Go to the cart" }).click();
  await expect(shopper.page.getByTestId("cart-line")).toHaveText(new RegExp(`${name} \\(Red / M\\)`));

  // The product itself cannot be put in a cart while it is sold in variants.
  const refused = await request.put(`/api/cart/items/${product.id}`, {
    headers: { authorization: `Bearer ${buyer.token}` },
    data: { quantity: 1 },
  });
  expect(refused.status()).toBe(422);

  await api(request, "DELETE", `/products/${product.id}`, admin.token);
  // The SKU taken, and only that.
  expect(problems).toEqual([expect.stringMatching(/^answer 409: POST .*\/variants$/)]);
  expect(shopper.problems).toEqual([]);
  await page.context().close();
});
