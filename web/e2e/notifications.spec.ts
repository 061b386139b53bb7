// Notifications, end to end: with a page open, an order placed through the API reaches the
// bell live over /ws/alerts (topic `me`), without a reload; the list shows it and marks it
// read; the mail preferences in "My account" are stored as chosen. Notifications made while the
// bell's socket is down are counted when it comes back (topic `me` has no replay).
import { type WebSocketRoute } from "@playwright/test";
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
  expect(prefs.email).toEqual({ orders: false, payments: true, loyalty: true, wishlist: true });

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

test("notifications made while the bell's socket is down are counted when it reconnects", async ({
  browser,
  request,
}) => {
  const buyer = await newCustomer(request, "bellgap");
  const product = await productNamed(request, "Organic Cotton T-Shirt");
  const { page, problems } = await person(await browser.newContext());
  // Every /ws/alerts connection goes through here: passed on to the gateway, or refused
  // (closed at once) while `down`.
  let down = false;
  const open: WebSocketRoute[] = [];
  await page.routeWebSocket(/\/api\/ws\/alerts/, (ws) => {
    if (down) return void ws.close({ code: 1011, reason: "e2e: down" });
    ws.connectToServer();
    open.push(ws);
  });
  await page.goto("/signin?next=%2Fnotifications");
  await signIn(page, buyer);
  const bell = page.getByTestId("bell");
  await expect(bell).toHaveAttribute("data-live", "live");
  await expect(bell.getByTestId("unread")).toHaveText("0");

  down = true;
  for (const ws of open.splice(0)) await ws.close({ code: 1011, reason: "e2e: dropped" });
  await expect(bell).not.toHaveAttribute("data-live", "live");
  // A declined card: the order placed, the payment declined, the order rejected, and no more.
  await api(request, "PUT", `/cart/items/${product.id}`, buyer.token, { quantity: 1 });
  await api(request, "POST", "/checkout", buyer.token, {
    shippingAddress: { street: "1 Test Street", city: "Springfield", zipCode: "12345", country: "US" },
    card: { number: "4000 0000 0000 0002", expMonth: 12, expYear: 2030, cvc: "123" },
  }, { "Idempotency-Key": `e2e-gap-${Date.now()}` });
  const kinds = async () =>
    (await api(request, "GET", "/notifications?limit=10", buyer.token)).map((n: any) => n.kind).sort();
  await expect.poll(kinds).toEqual(["order.placed", "order.rejected", "payment.declined"]);
  await expect(bell.getByTestId("unread")).toHaveText("0");

  down = false;
  await expect(bell).toHaveAttribute("data-live", "live");
  await expect(bell.getByTestId("unread")).toHaveText("3");
  // Counted on reconnect, not sent live: nothing was announced.
  await expect(page.getByTestId("bell-news")).toHaveText("");
  expect(problems).toEqual([]);
});
