// The catalog (search, category, price range, sort, pages; all kept in the URL so a link or a
// reload shows the same page; stars on each card) and the product page with its stock, rating
// and reviews (`reviews.tsx`).

import { useEffect, useState } from "preact/hooks";
import {
  ApiError,
  type Inventory,
  type Meta,
  type Product,
  current,
  money,
  picture,
  request,
  setQuantity,
} from "../api";
import { track } from "../clicks";
import { navigate } from "../router";
import { ErrorNote, Link, Loading } from "../ui";
import { RatingSummary, Reviews, Stars } from "./reviews";
import { type Choice, VariantPicker, firstChoice, matching, withLevel } from "./variants";
import { WishButton } from "./wishlist";

const SORTS: [string, string][] = [
  ["-createdAt", "Newest"],
  ["price", "Price: low to high"],
  ["-price", "Price: high to low"],
  ["name", "Name"],
  ["rating", "Customer rating"],
];
const FILTERS = ["search", "category", "minPrice", "maxPrice", "sort"];

/** A node of `GET /api/categories`: the tree, children nested, each level by name. */
interface CategoryNode {
  id: string;
  name: string;
  slug: string;
  parent: string | null;
  children: CategoryNode[];
}

/** One `<option>` of the category filter: its slug, name and depth in the tree. */
type CategoryOption = { slug: string; name: string; depth: number };

/** What products show beyond `api.ts`'s `Product` (issue 19). */
type StockStatus = "in_stock" | "low_stock" | "out_of_stock";
type Shown = Product & { stockStatus?: StockStatus; brand?: string | null };

/** The tree flattened in order, parents before their children. */
function flatten(nodes: CategoryNode[], depth = 0): CategoryOption[] {
  return nodes.flatMap((n) => [
    { slug: n.slug, name: n.name, depth },
    ...flatten(n.children ?? [], depth + 1),
  ]);
}

let categoriesOnce: Promise<CategoryOption[]> | null = null;
function categories(): Promise<CategoryOption[]> {
  categoriesOnce ??= request<CategoryNode[]>("/categories")
    .then(({ data }) => flatten(data))
    .catch(() => {
      categoriesOnce = null;
      return [];
    });
  return categoriesOnce;
}

const STATUS_TEXT: Record<StockStatus, string> = {
  in_stock: "In stock",
  low_stock: "Low stock",
  out_of_stock: "Out of stock",
};

/** "Low stock" beside a count that is running out (nothing otherwise: the count says it). */
function LowStock({ status }: { status?: StockStatus }) {
  return status === "low_stock" ? (
    <span class="badge sev-warning" data-testid="stock-status">
      {STATUS_TEXT[status]}
    </span>
  ) : null;
}

export function Catalog({ url }: { url: URL }) {
  const params = url.searchParams;
  const [items, setItems] = useState<Shown[] | null>(null);
  const [meta, setMeta] = useState<Meta | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [cats, setCats] = useState<CategoryOption[]>([]);
  const [search, setSearch] = useState(params.get("search") ?? "");
  const query = url.search;

  useEffect(() => void categories().then(setCats), []);
  useEffect(() => {
    const abort = new AbortController();
    const api = new URLSearchParams();
    for (const key of [...FILTERS, "page"]) {
      const value = params.get(key);
      if (value) api.set(key, value);
    }
    if (params.get("search") && !params.get("sort")) api.set("sort", "relevance");
    api.set("limit", "12");
    setError(null);
    request<Shown[]>(`/products?${api}`, { signal: abort.signal })
      .then(({ data, meta }) => {
        setItems(data);
        setMeta(meta ?? null);
        const words = params.get("search")?.trim();
        // A search counts once, on its first page (the pages after it are browsing).
        if (words && !params.get("page")) {
          track("search", { query: words.slice(0, 200), results: meta?.total ?? data.length });
        }
      })
      .catch((e) => abort.signal.aborted || setError(e));
    return () => abort.abort();
  }, [query]);

  const go = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    if (!("page" in changes)) next.delete("page");
    navigate(`/?${next}`);
  };
  const pages = meta ? Math.max(1, Math.ceil(meta.total / meta.limit)) : 1;
  const page = meta?.page ?? 1;

  return (
    <section aria-labelledby="catalog-title">
      <h1 id="catalog-title">Catalog</h1>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          go({ search: search.trim() });
        }}
      >
        <div class="field grow">
          <label for="search">Search</label>
          <input
            id="search"
            type="search"
            value={search}
            placeholder="headphones, yoga mat…"
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
        </div>
        <button type="submit">Search</button>
        <div class="field">
          <label for="category">Category</label>
          <select
            id="category"
            value={params.get("category") ?? ""}
            onChange={(e) => go({ category: e.currentTarget.value })}
          >
            <option value="">All</option>
            {cats.map((c) => (
              <option key={c.slug} value={c.slug}>
                {"\u00a0\u00a0".repeat(c.depth) + (c.depth ? "› " : "") + c.name}
              </option>
            ))}
            {/* A link naming a category the tree does not list (an old name) stays selected. */}
            {params.get("category") && !cats.some((c) => c.slug === params.get("category")) && (
              <option value={params.get("category") ?? ""}>{params.get("category")}</option>
            )}
          </select>
        </div>
        <PriceField name="minPrice" label="Min price" value={params.get("minPrice")} go={go} />
        <PriceField name="maxPrice" label="Max price" value={params.get("maxPrice")} go={go} />
        <div class="field">
          <label for="sort">Sort</label>
          <select
            id="sort"
            value={params.get("sort") ?? (params.get("search") ? "relevance" : "-createdAt")}
            onChange={(e) => go({ sort: e.currentTarget.value })}
          >
            {params.get("search") && <option value="relevance">Relevance</option>}
            {SORTS.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        </div>
      </form>
      <ErrorNote error={error} />
      {items === null && !error && <Loading />}
      {items?.length === 0 && <p>No product matches; try fewer filters.</p>}
      <ul class="grid" aria-label="Products">
        {items?.map((p) => (
          <li key={p.id} class="card product-card">
            <Thumb product={p} />
            <Link href={`/products/${p.id}`} class="product-link">
              {p.name}
            </Link>
            <p class="muted">{p.category}</p>
            <p class="price">{money(p.price)}</p>
            {p.rating?.count && p.rating.average !== null ? (
              <p class="card-rating">
                <Stars value={p.rating.average} label={`Rated ${p.rating.average} out of 5`} />{" "}
                <span class="muted">({p.rating.count})</span>
              </p>
            ) : null}
            <p class={p.stock > 0 ? "stock" : "stock out"}>
              {p.stock > 0 ? `${p.stock} in stock` : "Out of stock"} <LowStock status={p.stockStatus} />
            </p>
          </li>
        ))}
      </ul>
      {meta && pages > 1 && (
        <nav class="pager" aria-label="Pages">
          <button disabled={page <= 1} onClick={() => go({ page: String(page - 1) })}>
            Previous
          </button>
          <span>
            Page {page} of {pages}
          </span>
          <button disabled={page >= pages} onClick={() => go({ page: String(page + 1) })}>
            Next
          </button>
        </nav>
      )}
    </section>
  );
}

function PriceField(props: {
  name: string;
  label: string;
  value: string | null;
  go: (c: Record<string, string>) => void;
}) {
  return (
    <div class="field narrow">
      <label for={props.name}>{props.label}</label>
      <input
        id={props.name}
        type="number"
        min="0"
        step="0.01"
        inputMode="decimal"
        value={props.value ?? ""}
        onChange={(e) => props.go({ [props.name]: e.currentTarget.value })}
      />
    </div>
  );
}

/** The API's slug of a category name (as product-service makes it): `Home & Kitchen` → `home-kitchen`. */
const categorySlug = (name: string) =>
  name.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean).join("-");

/** A CSS-friendly key of a category name (the thumbnail's colour); not the API's slug. */
export const slug = (text: string) => text.toLowerCase().replace(/[^a-z]+/g, "-");

/**
 * Follows `/api/products/:id/stock/stream` (SSE, no token) while the page is open: each
 * `snapshot` or `stock` event gives the stock as it now is, whoever changed it. `EventSource`
 * reconnects by itself; a `deleted` event ends it.
 */
function useLiveStock(id: string, apply: (stock: number, status: StockStatus) => void) {
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
    source.addEventListener("deleted", () => source.close());
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

/** A product card's picture, or its initial on its category's colour. */
function Thumb({ product }: { product: Product }) {
  const shown = picture(product);
  if (shown) {
    return (
      <div class="thumb photo">
        <img src={shown.url} alt="" loading="lazy" />
      </div>
    );
  }
  return (
    <div class={`thumb cat-${slug(product.category)}`} aria-hidden="true">
      {product.name.slice(0, 1)}
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
  useLiveStock(target, (stock, stockStatus) =>
    setProduct((p) => (p ? withLevel(p, target, stock, stockStatus) : p)),
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
          <button class="primary" disabled={busy || !buying || buying.stock <= 0} onClick={add}>
            Add to cart
          </button>
        </div>
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
