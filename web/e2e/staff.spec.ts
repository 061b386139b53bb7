// The staff and the audit log (issue 19): the super admin makes a new account an admin, sees
// the change in the audit log, disables the account (which then cannot sign in) and enables
// it again. The new admin's console has no Staff section: an admin cannot grant roles.
import { ADMIN, api, expect, newCustomer, person, shot, signIn, test } from "./fixtures";

test("the super admin makes an admin, disables and enables the account, and reads the audit log", async ({
  browser,
  request,
}) => {
  const staffer = await newCustomer(request, "staff");
  const { page } = await person(await browser.newContext());
  await page.goto("/console/staff");
  await signIn(page, ADMIN);
  await expect(page.getByRole("heading", { name: "Staff" })).toBeVisible();

  const row = page.getByTestId(`account-${staffer.email}`);
  await expect(row).toContainText("customer");
  await row.getByRole("button", { name: `Make ${staffer.name} an admin` }).click();
  await expect(row.getByRole("cell").nth(0)).toHaveText("admin");
  const audit = page.getByTestId("audit");
  await expect(audit).toContainText("role customer → admin");

  await row.getByLabel(`Why disable ${staffer.name}`).fill("left the company");
  await row.getByRole("button", { name: `Disable ${staffer.name}` }).click();
  await expect(row).toContainText("disabled");
  await expect(audit).toContainText("disabled: left the company");
  await shot(page, "console-staff");
  const refused = await request.post("/api/auth/login", {
    data: { email: staffer.email, password: staffer.password },
  });
  expect(refused.status()).toBe(403);

  await row.getByRole("button", { name: `Enable ${staffer.name}` }).click();
  await expect(row).toContainText("active");

  // The new admin signs in to the console: every section but Staff.
  const other = await person(await browser.newContext());
  await other.page.goto("/console");
  await signIn(other.page, staffer);
  const nav = other.page.getByRole("navigation", { name: "Console" });
  await expect(nav.getByRole("link", { name: "Orders" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Staff" })).toHaveCount(0);
  const log = await request.get("/api/admin/audit", {
    headers: { authorization: `Bearer ${(await api(request, "POST", "/auth/login", undefined, { email: staffer.email, password: staffer.password })).accessToken}` },
  });
  expect(log.status()).toBe(403);
});
