// The clickstream (issue 19), in a real browser: an anonymous shopper searches for something
// the shop does not sell, searches again and opens a product; the storefront sends those
// events in a batch of its own (`POST /api/events`, 202), and the admin's Shoppers page shows
// the search that found nothing and the product views in the funnel.
import { ADMIN, expect, person, shot, signIn, test } from "./fixtures";

test("a shopper's searches and views reach the console's Shoppers page", async ({ browser }) => {
  const { page } = await person(await browser.newContext());
  const missing = `unicornsaddle${Date.now()}`;
  // Every batch the storefront sends (202), however the events fall into batches.
  const sent: { type: string; query?: string; results?: number }[] = [];
  page.on("response", async (r) => {
    if (r.url().endsWith("/api/events") && r.request().method() === "POST" && r.status() === 202) {
      sent.push(...(r.request().postDataJSON() as { events: typeof sent }).events);
    }
  });
  await page.goto("/");
  await page.getByLabel("Search").fill(missing);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(new RegExp(`search=${missing}`));
  // A search is counted once its results are in (one replaced before they arrive is not).
  await expect(page.getByText("No product matches; try fewer filters.")).toBeVisible();
  await page.getByLabel("Search").fill("cotton t-shirt");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("link", { name: "Organic Cotton T-Shirt" }).click();
  await expect(page.getByRole("heading", { name: "Organic Cotton T-Shirt" })).toBeVisible();
  await expect
    .poll(() => sent.some((e) => e.type === "view_product"), { timeout: 15_000 })
    .toBe(true);
  expect(sent).toContainEqual(expect.objectContaining({ type: "search", query: missing, results: 0 }));
  expect(sent).toContainEqual(expect.objectContaining({ type: "search", query: "cotton t-shirt" }));

  const admin = await person(await browser.newContext());
  await admin.page.goto("/console/shoppers");
  await signIn(admin.page, ADMIN);
  await expect(admin.page.getByRole("heading", { name: "Shoppers" })).toBeVisible();
  await expect(admin.page.getByTestId("empty-searches")).toContainText(`“${missing}”`);
  await expect(admin.page.getByTestId("top-searches")).toContainText("“cotton t-shirt”");
  await expect(admin.page.getByTestId("click-products")).toContainText("Organic Cotton T-Shirt");
  await shot(admin.page, "console-shoppers", true);
});
