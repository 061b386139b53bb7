// A product's variants in the console: each colour and size with its SKU, stock and price (its
// own, or the product's), changed or removed in place, and a form to add one. A product with
// variants is not sold itself: the storefront asks the shopper to choose one.

import { useState } from "preact/hooks";
import { request } from "../api";
import { type Product, type Variant, money } from "../shop";
import { type VariantInput, addVariant, removeVariant, updateVariant } from "../commerce";
import { ErrorNote, useAction } from "../ui";

const BLANK = { sku: "", color: "", size: "", price: "", stock: "0" };

/** The body of a variant from the form's text: empty options and price left out. */
function input(form: typeof BLANK): VariantInput {
  return {
    sku: form.sku.trim(),
    color: form.color.trim() || undefined,
    size: form.size.trim() || undefined,
    price: form.price.trim() ? Number(form.price) : undefined,
    stock: Number(form.stock),
  };
}

export function Variants(props: { product: Product; onChanged: (p: Product) => void }) {
  const { product } = props;
  const variants = product.variants ?? [];
  const [draft, setDraft] = useState(BLANK);
  const action = useAction();
  const { busy, error } = action;
  /** Runs a change, then reads the product again (its stock is its variants' sum). */
  const run = (call: () => Promise<unknown>) =>
    action.run(async () => {
      await call();
      props.onChanged((await request<Product>(`/products/${product.id}`)).data);
    });
  const add = async (e: Event) => {
    e.preventDefault();
    if (await run(() => addVariant(product.id, input(draft)))) setDraft(BLANK);
  };
  const set = (part: keyof typeof BLANK) => (e: Event) =>
    setDraft({ ...draft, [part]: (e.currentTarget as HTMLInputElement).value });
  const field = (part: keyof typeof BLANK, label: string, extra: Record<string, string> = {}) => (
    <div>
      <label for={`variant-${part}-${product.id}`}>{label}</label>
      <input id={`variant-${part}-${product.id}`} value={draft[part]} onInput={set(part)} {...extra} />
    </div>
  );
  return (
    <details class="images">
      <summary>
        Variants ({variants.length})<span class="sr-only"> of {product.name}</span>
      </summary>
      {variants.length > 0 && (
        <ul class="variant-list" aria-label={`Variants of ${product.name}`}>
          {variants.map((v) => (
            <VariantRow key={v.id} product={product} variant={v} busy={busy} run={run} />
          ))}
        </ul>
      )}
      <form onSubmit={add} aria-label={`New variant of ${product.name}`}>
        {field("sku", "Variant SKU", { required: "", pattern: "[A-Za-z0-9][A-Za-z0-9_\\-]{0,39}" })}
        {field("color", "Variant colour")}
        {field("size", "Variant size")}
        {field("price", "Variant's own price (optional)", { type: "number", step: "0.01", min: "0.01" })}
        {field("stock", "Variant stock", { type: "number", min: "0", required: "" })}
        <button class="small" type="submit" disabled={busy}>
          Add variant<span class="sr-only"> of {product.name}</span>
        </button>
      </form>
      <ErrorNote error={error} />
    </details>
  );
}

function VariantRow(props: {
  product: Product;
  variant: Variant;
  busy: boolean;
  run: (call: () => Promise<unknown>) => Promise<boolean>;
}) {
  const { product, variant: v } = props;
  const [stock, setStock] = useState(String(v.stock));
  const body = (): VariantInput => ({
    sku: v.sku,
    color: v.color ?? undefined,
    size: v.size ?? undefined,
    // A price equal to the product's follows it; another one stays the variant's own.
    price: v.price !== product.price ? v.price : undefined,
    stock: Number(stock),
  });
  return (
    <li data-variant-sku={v.sku}>
      <span>
        {v.label} · {v.sku} · {money(v.price)}
      </span>{" "}
      <label class="sr-only" for={`variant-stock-${v.id}`}>
        Stock of {product.name} {v.label}
      </label>
      <input id={`variant-stock-${v.id}`} class="qty" type="number" min="0" value={stock}
        onInput={(e) => setStock(e.currentTarget.value)} />
      <button class="small" type="button" disabled={props.busy || stock === String(v.stock)}
        onClick={() => props.run(() => updateVariant(product.id, v.id, body()))}>
        Save<span class="sr-only"> {v.label}</span>
      </button>{" "}
      <button class="small" type="button" disabled={props.busy}
        onClick={() => props.run(() => removeVariant(product.id, v.id))}>
        Remove<span class="sr-only"> {v.label}</span>
      </button>
    </li>
  );
}
