// The wishlist, end to end: a signed-in customer keeps a product from its page, finds it on
// "My wishlist" with the price seen, and lets it go there; the API agrees at each step.
import { api, expect, newCustomer, person, productNamed, signIn, test } from "./fixtures";

const PRODUCT = "Organic Cotton T-Shirt";

test("a customer keeps a product on the wishlist from its page and lets it go from the list", async ({
  browser,
  request,
}) => {
  const buyer = await newCustomer(request, "wish");
  const product = await productNamed(request, PRODUCT);
  const { page, problems } = await person(await browser.newContext());
  await page.goto(`/signin?next=${encodeURIComponent(`/products/${product.id}`)}`);
  await signIn(page, buyer);

  await page.getByRole("button", { name: "Add to wishlist" }).click();
  await expect(page.getByText("On your wishlist")).toBeVisible();
  const kept = await api(request, "GET", "/wishlist", buyer.token);
  expect(kept.map((i: { productId: string }) => i.productId)).toEqual([product.id]);

  await page.getByRole("link", { name: "My wishlist" }).click();
  const list = page.getByTestId("wishlist");
  await expect(list).toContainText(PRODUCT);
  await page.getByRole("button", { name: `Remove ${PRODUCT}` }).click();
  await expect(page.getByTestId("wishlist-empty")).toBeVisible();
  expect(await api(request, "GET", "/wishlist", buyer.token)).toEqual([]);
  expect(problems).toEqual([]);
});
