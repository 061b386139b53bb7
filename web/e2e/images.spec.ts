// Product images (issue 19): an admin uploads pictures of a product in the console (what is
// not an image is refused with the API's reason), the storefront shows them on the product's
// card and page, a shopper switches between them, and a removed one is gone from both.
import { deflateSync } from "node:zlib";
import { api, expect, person, productInConsole, shot, test } from "./fixtures";

/** A real PNG of one colour, as a browser decodes it. */
function png(width: number, height: number, rgb: [number, number, number]): Buffer {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (kind: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(kind, "ascii"), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array(width).fill(rgb).flat())]);
  const pixels = Buffer.concat(Array(height).fill(row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(pixels)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

test("an admin uploads pictures, the storefront shows them, and a removed one is gone", async ({
  browser,
  request,
}) => {
  const name = `E2E Pictured Vase ${Date.now()}`;
  const { admin, product, problems, row } = await productInConsole(browser, request, name);
  await row.getByText(`Images (0)`).click();

  // Not an image: refused with the API's reason, nothing added.
  await row.getByLabel("Image file").setInputFiles({
    name: "notes.png",
    mimeType: "image/png",
    buffer: Buffer.from("these are notes, not a picture"),
  });
  await row.getByRole("button", { name: `Upload an image of ${name}` }).click();
  await expect(row.getByRole("alert")).toContainText("PNG, JPEG, WebP or GIF");
  await expect(row.getByText("Images (0)")).toBeVisible();

  await row.getByLabel("Image file").setInputFiles({
    name: "vase-front.png",
    mimeType: "image/png",
    buffer: png(120, 90, [37, 99, 235]),
  });
  await row.getByLabel("Description of the image (optional)").fill("The vase from the front");
  await row.getByRole("button", { name: `Upload an image of ${name}` }).click();
  await expect(row.getByText("Images (1)")).toBeVisible();
  await row.getByLabel("Image file").setInputFiles({
    name: "vase-side.png",
    mimeType: "image/png",
    buffer: png(90, 120, [234, 88, 12]),
  });
  await row.getByLabel("Description of the image (optional)").fill("The vase from the side");
  await row.getByRole("button", { name: `Upload an image of ${name}` }).click();
  await expect(row.getByText("Images (2)")).toBeVisible();
  await expect(row.getByRole("img", { name: "The vase from the side" })).toBeVisible();
  await row.scrollIntoViewIfNeeded();
  if (process.env.SCREENSHOTS) await row.screenshot({ path: `${process.env.SCREENSHOTS}/console-images.png` });

  // The storefront: the card's picture and the page's gallery, each picture really decoded.
  const shopper = await person(await browser.newContext());
  await shopper.page.goto(`/?search=${encodeURIComponent(name)}`);
  const card = shopper.page.locator(".product-card", { hasText: name });
  const cardPicture = card.locator("img");
  await expect(cardPicture).toHaveAttribute("src", /\/api\/products\/[0-9a-f]{24}\/images\/[0-9a-f]{32}$/);
  await expect.poll(() => cardPicture.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(120);
  await card.getByRole("link", { name }).click();
  const gallery = shopper.page.getByTestId("gallery");
  const main = gallery.getByRole("img", { name: "The vase from the front", exact: true });
  await expect(main).toBeVisible();
  await expect.poll(() => main.evaluate((img: HTMLImageElement) => img.naturalHeight)).toBe(90);
  await gallery.getByRole("button", { name: "Show picture 2: The vase from the side" }).click();
  const side = gallery.getByRole("img", { name: "The vase from the side", exact: true });
  await expect.poll(() => side.evaluate((img: HTMLImageElement) => img.naturalHeight)).toBe(120);
  await shot(shopper.page, "storefront-gallery");

  // Removed in the console: gone from the product and from the storefront.
  await row.getByRole("button", { name: `Remove image 1 of ${name}` }).click();
  await expect(row.getByText("Images (1)")).toBeVisible();
  const stored = await api(request, "GET", `/products/${product.id}`);
  expect(stored.images.map((i: { alt: string }) => i.alt)).toEqual(["The vase from the side"]);
  await shopper.page.reload();
  await expect(shopper.page.getByTestId("gallery").getByRole("img", { name: "The vase from the side", exact: true })).toBeVisible();
  await expect(shopper.page.getByRole("img", { name: /The vase from the front/ })).toHaveCount(0);

  await api(request, "DELETE", `/products/${product.id}`, admin.token);
  // The one refusal asked for above, and nothing else.
  expect(problems).toEqual([expect.stringMatching(/^answer 400: POST .*\/images$/)]);
  expect(shopper.problems).toEqual([]);
});
