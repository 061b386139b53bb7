// "Your data" on My account (issue 19): the customer downloads what the shop keeps about them
// as a file, and deletes their account with their password; a wrong password is refused in
// words and changes nothing; once deleted, the account cannot sign in again.
import { readFileSync } from "node:fs";
import { api, expect, newCustomer, person, signIn, test } from "./fixtures";

test("a customer downloads their data, then deletes their account for good", async ({
  browser,
  request,
}) => {
  const me = await newCustomer(request, "erase");
  const { page, problems } = await person(await browser.newContext());
  await page.goto("/signin?next=%2Faccount");
  await signIn(page, me);
  await expect(page.getByRole("heading", { name: "Your data" })).toBeVisible();

  const downloading = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download my data" }).click();
  const file = await downloading;
  expect(file.suggestedFilename()).toBe("my-data.json");
  const data = JSON.parse(readFileSync(await file.path(), "utf8"));
  expect(data.customer.email).toBe(me.email);
  expect(data.customer.name).toBe(me.name);
  expect(Array.isArray(data.addresses)).toBe(true);

  // A wrong password: refused in words, the account untouched.
  await page.getByRole("button", { name: "Delete my account…" }).click();
  await page.getByLabel("Your password").fill("not my password");
  await page.getByRole("button", { name: "Delete my account for good" }).click();
  await expect(page.getByRole("alert")).toContainText("the password does not match");
  const still = await api(request, "GET", "/auth/me", me.token);
  expect(still.email).toBe(me.email);

  await page.getByLabel("Your password").fill(me.password);
  await page.getByRole("button", { name: "Delete my account for good" }).click();
  await expect(page.getByRole("status")).toContainText("Your account was deleted");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();

  const again = await request.fetch("/api/auth/login", {
    method: "POST",
    data: { email: me.email, password: me.password },
  });
  expect(again.status()).toBe(401);
  const old = await request.fetch("/api/auth/me", {
    headers: { Authorization: `Bearer ${me.token}` },
  });
  expect(old.status()).toBe(401);
  expect(problems).toEqual([expect.stringMatching(/^answer 403: DELETE .*\/customers\/me$/)]);
});
