// Reviews, end to end: a customer who never received the product is refused in words; a buyer
// whose order was delivered writes a review, sees it and the rating on the product page, edits
// it; the catalog sorts by rating with stars on the cards; the admin hides it in the console
// and it leaves the page and the rating.
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

async function write(page: import("@playwright/test").Page, stars: string, title: string, body: string) {
  await page.getByRole("radio", { name: stars, exact: true }).check();
  await page.getByLabel("Title (optional)").fill(title);
  await page.getByLabel("Your review", { exact: true }).fill(body);
}

test("a buyer writes a review and sees it on the product page, and the admin hides it", async ({
  browser,
  request,
}) => {
  const product = await productNamed(request, PRODUCT);
  const buyer = await newCustomer(request, "review");
  await deliveredOrder(request, buyer, [{ productId: product.id, quantity: 1 }]);
  const path = `/products/${product.id}`;

  // Someone who never received it: the API's 403 in words, nothing written.
  const stranger = await newCustomer(request, "stranger");
  const other = await person(await browser.newContext());
  await other.page.goto(`/signin?next=${encodeURIComponent(path)}`);
  await signIn(other.page, stranger);
  await other.page.getByRole("button", { name: "Write a review" }).click();
  await write(other.page, "4 stars", "Never had it", "Should not be published");
  await other.page.getByRole("button", { name: "Publish review" }).click();
  await expect(other.page.getByTestId("review-refused")).toContainText(
    "Only a customer who received this product can review it",
  );
  expect(other.problems).toEqual([expect.stringMatching(/^answer 403: POST .*\/reviews$/)]);

  const before = (await api(request, "GET", `/products/${product.id}`)).rating?.count ?? 0;
  const { page, problems } = await person(await browser.newContext());
  await page.goto(`/signin?next=${encodeURIComponent(path)}`);
  await signIn(page, buyer);
  await expect(page.getByRole("heading", { name: PRODUCT })).toBeVisible();
  const title = `Snug fit ${Date.now()}`;
  await page.getByRole("button", { name: "Write a review" }).click();
  await write(page, "5 stars", title, "Soft cotton, true to size.");
  await page.getByRole("button", { name: "Publish review" }).click();
  await expect(page.getByText("Thank you: your review is published.")).toBeVisible();
  const mine = page.getByTestId("reviews").locator("li", { hasText: title });
  await expect(mine).toContainText("Your review");
  await expect(mine.getByRole("img")).toHaveAttribute("aria-label", "5 out of 5 stars");
  await expect(page.getByTestId("rating")).toContainText(`(${before + 1} review`);
  await shot(page, "storefront-reviews");

  // Edited: the same review, four stars, new words.
  await page.getByRole("button", { name: "Edit your review" }).click();
  await write(page, "4 stars", title, "Soft cotton; shrank a little in the wash.");
  await page.getByRole("button", { name: "Save review" }).click();
  await expect(mine).toContainText("shrank a little");
  await expect(mine.getByRole("img")).toHaveAttribute("aria-label", "4 out of 5 stars");
  const reviewId = (await mine.getAttribute("data-review-id"))!;
  expect((await api(request, "GET", `/products/${product.id}`)).rating.count).toBe(before + 1);

  // The catalog sorted by rating shows the product with its stars; the product page lists its
  // reviews by rating when asked.
  await page.getByRole("link", { name: "Catalog" }).click();
  await page.getByLabel("Sort", { exact: true }).selectOption("rating");
  await expect(page).toHaveURL(/sort=rating/);
  const card = page.locator(".product-card", { hasText: PRODUCT });
  await expect(card.getByRole("img")).toHaveAttribute("aria-label", /^Rated [1-5](\.\d+)? out of 5$/);
  await card.getByRole("link", { name: PRODUCT }).click();
  const byRating = page.waitForResponse(/\/reviews\?sort=rating&page=1/);
  await page.getByLabel("Sort reviews").selectOption("rating");
  expect((await byRating).ok()).toBe(true);
  await expect(mine).toBeVisible();

  // The admin hides it.
  const admin = await person(await browser.newContext());
  await admin.page.goto("/console/reviews");
  await signIn(admin.page, ADMIN);
  await admin.page.getByLabel("Product").fill(PRODUCT);
  await admin.page.getByRole("button", { name: "Find products" }).click();
  await admin.page
    .getByTestId("review-products")
    .getByRole("button", { name: `Moderate the reviews of ${PRODUCT}`, exact: true })
    .click();
  const row = admin.page.locator(`tr[data-review-id="${reviewId}"]`);
  await expect(row).toContainText("shrank a little");
  await row.getByRole("button", { name: /^Hide/ }).click();
  await expect(row).toHaveAttribute("data-hidden", "true");
  await shot(admin.page, "console-reviews");

  await page.reload();
  await expect(page.getByTestId("rating")).toBeVisible();
  await expect(page.getByTestId("reviews")).not.toContainText(title);
  expect((await api(request, "GET", `/products/${product.id}`)).rating?.count ?? 0).toBe(before);
  expect(problems).toEqual([]);
  expect(admin.problems).toEqual([]);
});
