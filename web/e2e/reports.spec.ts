// The sales report (issue 19) from the console: the admin picks a period on the Analytics page
// and downloads it as a PDF and as CSV; each arrives as a file named after the period, the PDF
// a PDF and the CSV the report's sections. Last week's report is mailed to the staff from the
// same page, and reaches the admin's notifications.
import { readFile } from "node:fs/promises";
import { ADMIN, api, expect, person, signIn, test, tokenOf } from "./fixtures";

test("the admin downloads the sales report as a PDF and as CSV", async ({ browser }) => {
  const { page } = await person(await browser.newContext({ acceptDownloads: true }));
  await page.goto("/console/analytics");
  await signIn(page, ADMIN);
  await expect(page.getByRole("heading", { name: "Sales report" })).toBeVisible();
  await page.getByLabel("Report period").selectOption("7");

  const [pdf] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download PDF" }).click(),
  ]);
  expect(pdf.suggestedFilename()).toMatch(/^sales-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.pdf$/);
  const bytes = await readFile(await pdf.path());
  expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");

  const [csv] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download CSV" }).click(),
  ]);
  expect(csv.suggestedFilename()).toMatch(/\.csv$/);
  const text = (await readFile(await csv.path())).toString();
  expect(text.split("\r\n")[0]).toMatch(/^Sales report,\d{4}-\d{2}-\d{2},\d{4}-\d{2}-\d{2},7 days$/);
  for (const section of ["Totals", "Revenue by day", "Top products", "Discounts by coupon", "Returns by reason"]) {
    expect(text).toContain(`\r\n${section}\r\n`);
  }
});

test("the admin mails last week's report to the staff and finds it among their notifications", async ({
  browser,
  request,
}) => {
  const { page, problems } = await person(await browser.newContext());
  await page.goto("/console/analytics");
  await signIn(page, ADMIN);
  await page.getByRole("button", { name: "Mail last week's report now" }).click();
  // The Monday schedule may have sent it when the suite started: then it is not sent twice.
  const status = page.getByRole("status").filter({ hasText: /week \d{4}-W\d{2}/ });
  await expect(status).toHaveText(/^\s*(Sent|Already sent): week \d{4}-W\d{2} \(\d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}\)/);
  const week = /week (\d{4}-W\d{2})/.exec((await status.textContent()) ?? "")![1];

  // alert-service asked customer-service for the staff and told the admin, in-app (and by mail).
  const admin = await tokenOf(request, ADMIN);
  await expect
    .poll(async () => {
      const list = await api<{ kind: string; title: string }[]>(request, "GET", "/notifications?limit=50", admin.token);
      return list.filter((n) => n.kind === "report.weekly").map((n) => n.title);
    }, { timeout: 30_000 })
    .toContain(`Weekly sales report, ${week}`);
  expect(problems).toEqual([]);
});
