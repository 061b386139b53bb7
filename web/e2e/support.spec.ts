// A person in the support chat, end to end with two browser contexts: a customer asks the
// assistant for a person; the admin, with the console's support queue open, sees the
// conversation arrive, joins it, and they write to each other both ways (the assistant stays
// quiet); the admin leaves, the customer is told, and the assistant answers again.
import AxeBuilder from "@axe-core/playwright";
import { type Page } from "@playwright/test";
import { ADMIN, expect, newCustomer, person, shot, signIn, test } from "./fixtures";

/** axe's serious and critical findings on the page as it is now. */
async function serious(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

test("an admin joins a customer's chat from the support queue, they talk, and the assistant takes over again", async ({
  browser,
  request,
}) => {
  const admin = await person(await browser.newContext());
  await admin.page.goto("/console/support");
  await signIn(admin.page, ADMIN);
  await expect(admin.page.getByRole("heading", { name: /Support queue/ })).toBeVisible();
  await expect(admin.page.getByTestId("live-state")).toHaveText("Live");

  const buyer = await newCustomer(request, "support");
  const customer = await person(await browser.newContext());
  await customer.page.goto("/signin?next=%2Fchat");
  await signIn(customer.page, buyer);
  await expect(customer.page.getByTestId("live-state")).toHaveText("Live");
  const sessionId = await customer.page.evaluate(() => sessionStorage.getItem("shop.chat.session"));
  expect(sessionId).toBeTruthy();
  const transcript = customer.page.getByTestId("transcript");
  await customer.page.getByLabel("Your message").fill("can I talk to a person?");
  await customer.page.getByRole("button", { name: "Send" }).click();
  await expect(transcript.locator(".says-assistant").last()).toContainText("person from our team");

  // The queue shows it without a reload (the escalation's alert), and the admin joins.
  const entry = admin.page.locator(`[data-session="${sessionId}"]`);
  await expect(entry).toHaveAttribute("data-status", "WAITING");
  await expect(entry).toContainText(buyer.name);
  await entry.getByRole("button", { name: /^Join/ }).click();
  const conversation = admin.page.getByTestId("conversation");
  await expect(conversation.getByTestId("live-state")).toHaveText("Live");
  const agentView = admin.page.getByTestId("agent-transcript");
  await expect(agentView).toContainText("can I talk to a person?");

  // The customer is told a person joined, then they write both ways.
  await expect(transcript.locator(".says-note").last()).toContainText("joined the conversation");
  await expect(customer.page.getByTestId("agent-here")).toBeVisible();
  await admin.page.getByLabel("Your answer").fill("Hello, this is the support team. How can I help?");
  await admin.page.getByRole("button", { name: "Send" }).click();
  const fromAgent = transcript.locator(".says-agent");
  await expect(fromAgent).toHaveCount(1);
  await expect(fromAgent).toContainText("How can I help?");
  const answers = await transcript.locator(".says-assistant").count();
  await customer.page.getByLabel("Your message").fill("My parcel has not arrived yet.");
  await customer.page.getByRole("button", { name: "Send" }).click();
  await expect(agentView.locator(".says-user").last()).toHaveText(/My parcel has not arrived yet\./);
  // A reload keeps what was said with the person, and who holds the conversation.
  await customer.page.reload();
  await expect(customer.page.getByTestId("live-state")).toHaveText("Live");
  await expect(transcript.locator(".says-agent")).toHaveCount(1);
  await expect(transcript.locator(".says-agent")).toContainText("How can I help?");
  await expect(transcript.locator(".says-user").last()).toContainText("My parcel has not arrived yet.");
  await expect(customer.page.getByTestId("agent-here")).toBeVisible();
  await shot(customer.page, "storefront-chat-person");
  await shot(admin.page, "console-support");
  // Both sides of a held conversation are as accessible as the rest.
  expect(await serious(customer.page)).toEqual([]);
  expect(await serious(admin.page)).toEqual([]);
  // The assistant stayed quiet while the person held the conversation.
  await expect(transcript.locator(".says-assistant")).toHaveCount(answers);
  await expect(customer.page.getByText("Support is typing…")).toHaveCount(0);

  // The admin leaves: back to the queue, the customer is told, and the assistant answers again.
  await admin.page.getByRole("button", { name: "Leave (hand back to the assistant)" }).click();
  await expect(conversation).toHaveCount(0);
  await expect(admin.page.locator(`[data-session="${sessionId}"]`)).toHaveCount(0);
  await expect(transcript.locator(".says-note").last()).toContainText("the assistant answers again");
  await expect(customer.page.getByTestId("agent-here")).toHaveCount(0);
  await customer.page.getByLabel("Your message").fill("What is your return policy?");
  await customer.page.getByRole("button", { name: "Send" }).click();
  await expect(transcript.locator(".says-assistant")).toHaveCount(answers + 1);
  await expect(transcript.locator(".says-assistant").last()).toContainText(/return/i);

  expect(admin.problems).toEqual([]);
  expect(customer.problems).toEqual([]);
});
