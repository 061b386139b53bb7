// The sales report (issue 19) from the console: the admin picks a period on the Analytics page
// and downloads it as a PDF and as CSV; each arrives as a file named after the period, the PDF
// a PDF and the CSV the report's sections.
import { readFile } from "node:fs/promises";
import { ADMIN, expect, person, signIn, test } from "./fixtures";

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
