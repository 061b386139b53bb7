// The product page's choice of a variant: a product sold in colours and sizes is bought as one
// of its variants, each with its own stock and price. The shopper picks a colour and a size;
// the page shows that variant's price and stock and puts that variant in the cart.

import type { Product, Variant } from "../shop";

/** The options chosen: a colour and a size (`null` where the product has none of that kind). */
export type Choice = { color: string | null; size: string | null };

/** The variant with exactly these options, if the product is made so. */
export function matching(product: Product, choice: Choice): Variant | null {
  return (
    (product.variants ?? []).find(
      (v) => (v.color ?? null) === choice.color && (v.size ?? null) === choice.size,
    ) ?? null
  );
}

/** The first choice to show: the variant named (a link to a variant), else the first one in
 * stock, else the first. */
export function firstChoice(product: Product, named?: string | null): Choice {
  const variants = product.variants ?? [];
  const pick =
    variants.find((v) => v.id === named) ?? variants.find((v) => v.stock > 0) ?? variants[0];
  return { color: pick?.color ?? null, size: pick?.size ?? null };
}

/** `product` with the stock of `id` (itself or one of its variants) set from a live event. */
export function withLevel<P extends Product>(product: P, id: string, stock: number, stockStatus: Variant["stockStatus"]): P {
  if (product.variants?.some((v) => v.id === id)) {
    return {
      ...product,
      variants: product.variants.map((v) => (v.id === id ? { ...v, stock, stockStatus } : v)),
    };
  }
  return product.id === id ? { ...product, stock, stockStatus } : product;
}

/** One group of options (colours or sizes) as radio buttons; an option no variant with the
 * other choice has in stock says so. */
function Options(props: {
  legend: string;
  name: string;
  values: string[];
  chosen: string | null;
  soldOut: (value: string) => boolean;
  choose: (value: string) => void;
}) {
  if (props.values.length === 0) return null;
  return (
    <fieldset class="options">
      <legend>{props.legend}</legend>
      {props.values.map((value) => (
        <label key={value} class={props.chosen === value ? "option chosen" : "option"}>
          <input type="radio" name={props.name} value={value} checked={props.chosen === value}
            onChange={() => props.choose(value)} />
          {value}
          {props.soldOut(value) && <span class="muted"> (sold out)</span>}
        </label>
      ))}
    </fieldset>
  );
}

/** The colour and size pickers of a product sold in variants. */
export function VariantPicker(props: {
  product: Product;
  choice: Choice;
  choose: (choice: Choice) => void;
}) {
  const { product, choice } = props;
  const stockOf = (c: Choice) => matching(product, c)?.stock ?? 0;
  return (
    <div class="variant-picker" data-testid="variant-picker">
      <Options legend="Colour" name="color" values={product.colors ?? []} chosen={choice.color}
        soldOut={(color) => stockOf({ ...choice, color }) <= 0}
        choose={(color) => props.choose({ ...choice, color })} />
      <Options legend="Size" name="size" values={product.sizes ?? []} chosen={choice.size}
        soldOut={(size) => stockOf({ ...choice, size }) <= 0}
        choose={(size) => props.choose({ ...choice, size })} />
    </div>
  );
}
