// Who may open what: the console is for admins (a customer gets its sign-in page, with the
// reason), and a signed-out visitor who opens "my orders" is sent to sign in, then back.
import { ADMIN, CUSTOMER, expect, person, signIn, test } from "./fixtures";

test("a customer who opens the console gets the sign-in page", async ({ browser }) => {
  const { page, problems } = await person(await browser.newContext());
  await page.goto("/signin");
  await signIn(page, CUSTOMER);
  await expect(page.getByTestId("who")).toHaveText(CUSTOMER.name);

  await page.goto("/console");
  await expect(page.getByRole("heading", { name: "Sign in to the ops console" })).toBeVisible();
  await expect(page.getByRole("alert")).toContainText("for administrators");
  await expect(page.getByRole("heading", { name: /^Orders/ })).toHaveCount(0);
  expect(problems).toEqual([]);
});

test("a signed-out visitor is sent to sign in for my orders and comes back", async ({ page }) => {
  await page.goto("/orders");
  await expect(page).toHaveURL(/\/signin\?next=%2Forders/);
  await signIn(page, CUSTOMER);
  await expect(page).toHaveURL(/\/orders$/);
  await expect(page.getByRole("heading", { name: "My orders" })).toBeVisible();
});

test("the console shows every service's health and the analytics to an admin", async ({
  browser,
}) => {
  const { page, problems } = await person(await browser.newContext());
  await page.goto("/console/health");
  await signIn(page, ADMIN);
  const health = page.getByTestId("health");
  for (const service of ["gateway", "order-service", "product-service", "customer-service"]) {
    await expect(health.locator(`[data-service="${service}"]`)).toContainText("ok");
  }
  // Each service with an outbox shows its backlog per collection (all sent by now: 0).
  await expect(health.locator('[data-service="order-service"] [data-testid="outbox-backlog"]')).toContainText(
    /\borders: \d+/,
  );
  await expect(health.locator('[data-service="gateway"] [data-testid="outbox-backlog"]')).toHaveText("—");
  await page.getByRole("link", { name: "Analytics" }).click();
  await expect(page.getByRole("img", { name: /Revenue per day/ })).toBeVisible();
  await expect(page.getByTestId("revenue-total")).toContainText("Last 14 days");
  await page.getByRole("link", { name: "Alerts" }).click();
  await expect(page.getByTestId("live-state")).toHaveText("Live");
  expect(problems).toEqual([]);
});

test("a wrong password is refused in words and nobody is signed in", async ({ page }) => {
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto("/signin");
  await signIn(page, { email: CUSTOMER.email, password: "not-the-password" });
  await expect(page.getByRole("alert")).not.toBeEmpty();
  await expect(page).toHaveURL(/\/signin$/);
  await expect(page.getByTestId("who")).toHaveCount(0);
  await page.goto("/cart");
  await expect(page).toHaveURL(/\/signin\?next=%2Fcart/);
  expect(problems).toEqual([]);
});
