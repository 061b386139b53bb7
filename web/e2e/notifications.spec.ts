// Notifications, end to end: with a page open, an order placed through the API reaches the
// bell live over /ws/alerts (topic `me`), without a reload; the list shows it and marks it
// read; the mail preferences in "My account" are stored as chosen.
import { api, deliveredOrder, expect, newCustomer, person, productNamed, signIn, test } from "./fixtures";

test("a notification arrives live in the bell while the page is open", async ({
  browser,
  request,
}) => {
  const buyer = await newCustomer(request, "bell");
  const product = await productNamed(request, "Organic Cotton T-Shirt");
  const { page, problems } = await person(await browser.newContext());
  await page.goto("/signin?next=%2Faccount");
  await signIn(page, buyer);
  const bell = page.getByTestId("bell");
  await expect(bell).toHaveAttribute("data-live", "live");
  await expect(bell.getByTestId("unread")).toHaveText("0");
  await page.evaluate(() => ((window as any).e2eSameDocument = true));

  // Mail preferences: orders off, stored so.
  await page.getByRole("checkbox", { name: /^Orders/ }).uncheck();
  await expect(page.getByText("Saved.")).toBeVisible();
  const prefs = await api(request, "GET", "/notifications/preferences", buyer.token);
  expect(prefs.email).toEqual({ orders: false, payments: true, loyalty: true });

  // An order placed elsewhere: its notification reaches the open page.
  const order = await deliveredOrder(request, buyer, [{ productId: product.id, quantity: 1 }]);
  await expect(bell.getByTestId("unread")).not.toHaveText("0");
  // Said by the live message itself (a re-read count would not name it), to screen readers too.
  await expect(page.getByTestId("bell-news")).toContainText(`New notification: Order ${order.id}`);
  await expect(bell).toHaveAccessibleName(/^Notifications, [1-9]\d* unread$/);
  expect(await page.evaluate(() => (window as any).e2eSameDocument)).toBe(true);

  await bell.click();
  const list = page.getByTestId("notifications");
  const delivered = list.locator('li[data-kind="order.delivered"]');
  await expect(delivered).toHaveAttribute("data-read", "false");
  await expect(delivered).toContainText(order.id);
  await delivered.getByRole("button", { name: /^Mark read/ }).click();
  await expect(delivered).toHaveAttribute("data-read", "true");
  const stored = await api(request, "GET", "/notifications?limit=50", buyer.token);
  const kinds = stored.map((n: any) => [n.kind, n.read]);
  expect(kinds).toContainEqual(["order.delivered", true]);
  expect(kinds).toContainEqual(["order.placed", false]);
  await page.getByRole("button", { name: "Mark all read" }).click();
  await expect(list.locator('li[data-read="false"]')).toHaveCount(0);
  await expect(bell.getByTestId("unread")).toHaveText("0");
  expect(problems).toEqual([]);
});
