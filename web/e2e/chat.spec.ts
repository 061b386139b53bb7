// The support chat over its WebSocket: a policy question is answered with the policy cited.
import { expect, person, test } from "./fixtures";

test("the support chat answers a policy question and cites the policy", async ({ browser }) => {
  const { page, problems } = await person(await browser.newContext());
  await page.goto("/");
  await page.getByRole("link", { name: "Help" }).click();
  await expect(page.getByTestId("live-state")).toHaveText("Live");
  await page.getByLabel("Your message").fill("What is your return policy?");
  await page.getByRole("button", { name: "Send" }).click();
  const transcript = page.getByTestId("transcript");
  await expect(transcript.locator(".says-user")).toHaveText(/return policy/);
  await expect(transcript.locator(".says-assistant")).toContainText(/return/i);
  await expect(transcript.locator(".citations").first()).toContainText(/Policy\d/);
  expect(problems).toEqual([]);
});
