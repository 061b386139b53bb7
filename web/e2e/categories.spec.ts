// The console's category tree (issue 19): an admin adds a category and one under it, sees the
// products counted (a product filed under the child counts for the parent too), renames and
// moves a category, and a delete the API refuses (products in it) is said in words on its row.
import { ADMIN, api, expect, person, shot, signIn, test, tokenOf } from "./fixtures";

test("an admin grows the category tree, sees products counted, renames, moves and deletes", async ({
  browser,
  request,
}) => {
  const { page, problems } = await person(await browser.newContext());
  await page.goto("/console/categories");
  await signIn(page, ADMIN);
  await expect(page.getByRole("heading", { name: "Categories" })).toBeVisible();

  const stamp = Date.now().toString(36);
  const top = `Garden ${stamp}`;
  const child = `Tools ${stamp}`;
  await page.getByLabel("New category").fill(top);
  await page.getByRole("button", { name: "Add category" }).click();
  // Rows by slug: a row's text also holds the other categories' names (its move list).
  const topRow = page.getByTestId(`category-garden-${stamp}`);
  await expect(topRow).toContainText("0 here, 0 in all");
  await page.getByLabel("New category").fill(child);
  await page.getByLabel("Under", { exact: true }).selectOption({ label: top });
  await page.getByRole("button", { name: "Add category" }).click();
  const childRow = page.getByTestId(`category-tools-${stamp}`);
  await expect(childRow).toContainText("0 here, 0 in all");

  // A product filed under the child: counted there and, in all, for the parent.
  const admin = await tokenOf(request, ADMIN);
  await api(request, "POST", "/products", admin.token, {
    name: `Trowel ${stamp}`,
    description: "A small garden trowel.",
    price: 12.5,
    stock: 4,
    category: child,
  });
  await page.reload();
  await expect(childRow).toContainText("1 here, 1 in all");
  await expect(topRow).toContainText("0 here, 1 in all");
  await shot(page, "console-categories");

  // Deleting the child while the trowel is in it is refused, in words, on its row.
  await page.getByRole("button", { name: `Delete ${child}` }).click();
  await expect(childRow.getByRole("alert")).toBeVisible();

  // Renamed, then moved to the top: the counts follow it.
  const renamed = `Hand tools ${stamp}`;
  await page.getByLabel(`Name of ${child}`).fill(renamed);
  await page.getByRole("button", { name: `Rename ${child}` }).click();
  // A rename keeps the slug (links to the category keep working).
  await expect(childRow).toContainText(renamed);
  await expect(childRow).toContainText("1 here, 1 in all");
  await page.getByLabel(`Move ${renamed} under`).selectOption("");
  await page.getByRole("button", { name: `Move ${renamed}` }).click();
  await expect(topRow).toContainText("0 here, 0 in all");
  const tree = await api(request, "GET", "/categories");
  const moved = tree.find((n: any) => n.name === renamed);
  expect(moved?.parent).toBeNull();
  expect(moved?.totalCount).toBe(1);

  // The empty parent can go.
  await page.getByRole("button", { name: `Delete ${top}` }).click();
  await expect(topRow).toHaveCount(0);
  expect(problems).toEqual([expect.stringMatching(/^answer 409: DELETE .*\/categories\//)]);
});
