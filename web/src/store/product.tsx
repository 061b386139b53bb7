// The product page: its pictures, price, variants, live stock and where the units are, the
// buy box, and its rating and reviews (`reviews.tsx`).

import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, current, request } from "../api";
import { type Inventory, type Product, money, setQuantity } from "../shop";
import { track } from "../clicks";
import { navigate } from "../router";
import { ErrorNote, Link, Loading } from "../ui";
import { LowStock, type Shown, type StockStatus, slug } from "./catalog";
import { RatingSummary, Reviews } from "./reviews";
import { type Choice, VariantPicker, firstChoice, matching, withLevel } from "./variants";
import { WishButton } from "./wishlist";

/** The API's slug of a category name (as product-service makes it): `Home & Kitchen` → `home-kitchen`. */
const categorySlug = (name: string) =>
  name.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean).join("-");

/**
 * Follows `/api/products/:id/stock/stream` (SSE, no token) while the page is open: each
 * `snapshot` or `stock` event gives the stock as it now is, whoever changed it. `EventSource`
 * reconnects by itself; a `deleted` event ends it and says so.
 */
function useLiveStock(
  id: string,
  apply: (stock: number, status: StockStatus) => void,
  deleted: () => void,
) {
  // The page's latest word on a delete, not the one of the render that subscribed.
  const onDeleted = useRef(deleted);
  onDeleted.current = deleted;
  useEffect(() => {
    if (typeof EventSource === "undefined") return;
    const source = new EventSource(`/api/products/${id}/stock/stream`);
    const onLevel = (e: MessageEvent) => {
      try {
        const level = JSON.parse(e.data) as { stock: number; stockStatus: StockStatus };
        apply(level.stock, level.stockStatus);
      } catch {
        // A malformed event changes nothing.
      }
    };
    source.addEventListener("snapshot", onLevel);
    source.addEventListener("stock", onLevel);
    source.addEventListener("deleted", () => {
      source.close();
      onDeleted.current();
    });
    return () => source.close();
  }, [id]);
}

/** Where the units are, when the shop keeps them in more than one place: the stores a shopper
 * could walk into, and the warehouses that ship. Read again when the live stock moves. */
function Availability({ id, stock }: { id: string; stock: number }) {
  const [inventory, setInventory] = useState<Inventory | null>(null);
  const read = () =>
    request<Inventory>(`/products/${id}/inventory`).then(
      ({ data }) => setInventory(data),
      () => setInventory(null),
    );
  useEffect(() => void read(), [id]);
  // Units kept elsewhere than the main warehouse: worth showing, and following.
  const spread = inventory?.locations.some((l) => l.id !== "main" && l.stock > 0) ?? false;
  useEffect(() => {
    if (spread && inventory && inventory.total !== stock) void read();
  }, [stock]);
  const held = inventory?.locations.filter((l) => l.stock > 0) ?? [];
  if (!inventory || !spread || held.length === 0) return null;
  return (
    <div class="availability">
      <h2 class="sr-only">Where it is</h2>
      <ul aria-label="Units by location" data-testid="availability">
        {held.map((l) => (
          <li key={l.id}>
            {l.name} ({l.kind === "store" ? "store" : "ships from here"}): {l.stock}
          </li>
        ))}
      </ul>
    </div>
  );
}


/** The product page's pictures: the chosen one large, every one as a button below it. */
function Gallery({ product }: { product: Product }) {
  const images = product.images ?? [];
  const [chosen, choose] = useState(0);
  const shown = images[Math.min(chosen, images.length - 1)];
  if (!shown) {
    return (
      <div class={`thumb large cat-${slug(product.category)}`} aria-hidden="true">
        {product.name.slice(0, 1)}
      </div>
    );
  }
  return (
    <div class="gallery" data-testid="gallery">
      <div class="thumb large photo">
        <img src={shown.url} alt={shown.alt || product.name} width={shown.width} height={shown.height} />
      </div>
      {images.length > 1 && (
        <ul class="gallery-strip" aria-label="Pictures">
          {images.map((image, n) => (
            <li key={image.id}>
              <button type="button" aria-pressed={image.id === shown.id} onClick={() => choose(n)}>
                <img src={image.url} alt={`Show picture ${n + 1}${image.alt ? `: ${image.alt}` : ""}`} />
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The product `id`; a variant's link shows its product with the variant chosen. */
async function shown(id: string): Promise<{ product: Shown; named: string | null }> {
  const { data } = await request<Shown>(`/products/${id}`);
  if (!data.variant) return { product: data, named: null };
  const parent = await request<Shown>(`/products/${data.variant.productId}`);
  return { product: parent.data, named: data.id };
}

export function ProductPage({ id }: { id: string }) {
  const [product, setProduct] = useState<Shown | null>(null);
  const [choice, setChoice] = useState<Choice>({ color: null, size: null });
  const [error, setError] = useState<unknown>(null);
  const [quantity, setQty] = useState(1);
  const [added, setAdded] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The product was deleted while the page was open: it stays in view, no longer for sale.
  const [gone, setGone] = useState(false);

  const read = (choose = false) =>
    shown(id).then(({ product, named }) => {
      setProduct(product);
      if (choose) setChoice(firstChoice(product, named));
    }, setError);
  useEffect(() => void read(true), [id]);
  useEffect(() => track("view_product", { productId: id }), [id]);
  // Sold in variants, the shopper buys the one chosen: its stock, its price, its live level.
  const inVariants = (product?.variants ?? []).length > 0;
  const chosen = product && inVariants ? matching(product, choice) : null;
  const buying = chosen ?? (product && !inVariants ? product : null);
  const target = buying?.id ?? id;
  useLiveStock(
    target,
    (stock, stockStatus) => setProduct((p) => (p ? withLevel(p, target, stock, stockStatus) : p)),
    () => {
      const parent = product?.id ?? id;
      if (target === parent) return setGone(true);
      // A variant deleted leaves its product: read again for the variants left (or gone too).
      request<Shown>(`/products/${parent}`).then(
        ({ data }) => setProduct(data),
        (e) => e instanceof ApiError && e.status === 404 && setGone(true),
      );
    },
  );

  const add = async () => {
    if (!buying) return;
    if (!current()) return navigate(`/signin?next=${encodeURIComponent(location.pathname)}`);
    setBusy(true);
    setError(null);
    setAdded(null);
    try {
      const { data: cart } = await request<{ items: { productId: string; quantity: number }[] }>(
        "/cart",
      );
      const have = cart.items.find((line) => line.productId === target)?.quantity ?? 0;
      await setQuantity(target, have + quantity);
      track("add_to_cart", { productId: target });
      setAdded(`Added ${quantity} to your cart.`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (error && !product) return <ErrorNote error={error} />;
  if (!product) return <Loading />;
  return (
    <article class="product" aria-labelledby="product-title">
      <Gallery product={product} />
      <div>
        <h1 id="product-title">{product.name}</h1>
        <p class="muted">
          <Link href={`/?category=${encodeURIComponent(categorySlug(product.category))}`}>
            {product.category}
          </Link>
          {product.brand ? ` · ${product.brand}` : ""}
        </p>
        <p class="price">{money(buying?.price ?? product.price)}</p>
        <RatingSummary rating={product.rating} />
        {inVariants && <VariantPicker product={product} choice={choice} choose={setChoice} />}
        <p class="stock-line" aria-live="polite">
          {buying ? (
            <>
              <span class={buying.stock > 0 ? "stock" : "stock out"} data-testid="stock">
                {buying.stock > 0 ? `${buying.stock} in stock` : "Out of stock"}
              </span>{" "}
              <LowStock status={buying.stockStatus} />
            </>
          ) : (
            <span class="stock out" data-testid="stock">
              Not made in this colour and size
            </span>
          )}
        </p>
        {buying && <Availability id={buying.id} stock={buying.stock} />}
        {product.description && <p>{product.description}</p>}
        <div class="buy">
          <div class="field narrow">
            <label for="quantity">Quantity</label>
            <input
              id="quantity"
              type="number"
              min="1"
              max={Math.max(1, buying?.stock ?? 1)}
              value={quantity}
              onInput={(e) => setQty(Math.max(1, Number(e.currentTarget.value) || 1))}
            />
          </div>
          <button
            class="primary"
            disabled={busy || gone || !buying || buying.stock <= 0}
            onClick={add}
          >
            Add to cart
          </button>
        </div>
        {gone && (
          <p class="error" role="status" data-testid="gone">
            This product is no longer sold.
          </p>
        )}
        <WishButton productId={product.id} />
        {added && (
          <p class="ok" role="status">
            {added} <Link href="/cart">Go to the cart</Link>
          </p>
        )}
        <ErrorNote error={error} />
        {error instanceof ApiError && error.status === 401 && (
          <Link href="/signin">Sign in again</Link>
        )}
      </div>
      <div class="product-reviews">
        <Reviews productId={product.id} onChange={read} />
      </div>
    </article>
  );
}
