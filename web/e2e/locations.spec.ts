// Stock per location (issue 19): an admin spreads a product's units over the main warehouse and
// a store in the console; the storefront's product page says where they are, and an order takes
// from the warehouse first.
import { ADMIN, CUSTOMER, api, expect, person, productInConsole, shot, signIn, test, tokenOf } from "./fixtures";

test("an admin spreads a product over locations and an order takes from the warehouse first", async ({
  browser,
  request,
}) => {
  const admin = await tokenOf(request, ADMIN);
  const suffix = Date.now().toString(36);
  const store = `e2e-store-${suffix}`;
  // Named apart: every run of the spec adds a store to the same catalog.
  const shop = `Corner Shop ${suffix}`;
  await api(request, "POST", "/locations", admin.token, { id: store, name: shop, kind: "store" });
  const name = `E2E Located Kettle ${Date.now()}`;
  const { product, problems, row } = await productInConsole(browser, request, name, {
    lowStockThreshold: 0,
  });
  await row.getByText("Stock by location").click();
  const form = row.getByRole("form", { name: `Stock by location of ${name}` });
  await expect(form.getByLabel("Main warehouse (warehouse)")).toHaveValue("5");
  await form.getByLabel("Main warehouse (warehouse)").fill("2");
  await form.getByLabel(`${shop} (store)`).fill("3");
  await form.getByRole("button", { name: `Save locations of ${name}` }).click();
  await expect(form.getByRole("status")).toHaveText(/Saved: 5 in all/);

  const shopper = await person(await browser.newContext());
  await shopper.page.goto(`/products/${product.id}`);
  const where = shopper.page.getByTestId("availability");
  await expect(where).toContainText("Main warehouse (ships from here): 2");
  await expect(where).toContainText(`${shop} (store): 3`);

  // Three units ordered: the warehouse's two, then one from the store.
  const customer = await tokenOf(request, CUSTOMER);
  await api(request, "POST", "/orders", customer.token, {
    items: [{ productId: product.id, quantity: 3 }],
  });
  await expect
    .poll(async () => (await api(request, "GET", `/products/${product.id}/inventory`)).total, { timeout: 30_000 })
    .toBe(2);
  const inventory = await api(request, "GET", `/products/${product.id}/inventory`);
  const at = Object.fromEntries(inventory.locations.map((l: { id: string; stock: number }) => [l.id, l.stock]));
  expect([at.main, at[store]]).toEqual([0, 2]);
  await shopper.page.reload();
  await expect(where).toContainText(`${shop} (store): 2`);
  await expect(where).not.toContainText("Main warehouse");

  await api(request, "DELETE", `/products/${product.id}`, admin.token);
  expect(problems).toEqual([]);
  expect(shopper.problems).toEqual([]);
});

test("an admin adds a store in the console, renames it, makes it a warehouse and removes it", async ({
  browser,
}) => {
  const { page, problems } = await person(await browser.newContext());
  await page.goto("/console/locations");
  await signIn(page, ADMIN);
  await expect(page.getByRole("heading", { name: "Locations" })).toBeVisible();
  const id = `e2e-desk-${Date.now().toString(36)}`;
  await page.getByLabel("Id (for good)").fill(id);
  await page.getByLabel("Name", { exact: true }).fill("Desk store");
  await page.getByLabel("Kind", { exact: true }).selectOption("store");
  await page.getByLabel("Priority", { exact: true }).fill("900");
  await page.getByRole("button", { name: "Add location" }).click();
  const row = page.locator(`li[data-location-id="${id}"]`);
  await expect(row.getByLabel(`Name of ${id}`)).toHaveValue("Desk store");

  // Renamed and made a warehouse: it moves up among the warehouses, after main.
  await row.getByLabel(`Name of ${id}`).fill("Desk depot");
  await row.getByLabel(`Kind of ${id}`).selectOption("warehouse");
  await row.getByRole("button", { name: `Save ${id}` }).click();
  await expect(row.getByLabel(`Name of ${id}`)).toHaveValue("Desk depot");
  // The field shows what was typed at once; the list moves the row once the save is back,
  // so its order is polled, not read once.
  await expect(async () => {
    const order = await page.locator(".location-list li").evaluateAll((items) =>
      items.map((li) => li.getAttribute("data-location-id")),
    );
    expect(order[0]).toBe("main");
    // Warehouses come before stores (the stores earlier runs of the other spec added).
    for (const store of order.filter((l) => l?.startsWith("e2e-store-"))) {
      expect(order.indexOf(id)).toBeLessThan(order.indexOf(store));
    }
  }).toPass({ timeout: 10_000 });

  await shot(page, "console-locations");
  // The main warehouse cannot be removed; this one can.
  await expect(page.locator('li[data-location-id="main"]').getByRole("button", { name: "Remove main" })).toBeDisabled();
  await row.getByRole("button", { name: `Remove ${id}` }).click();
  await expect(row).toHaveCount(0);
  expect(problems).toEqual([]);
});
