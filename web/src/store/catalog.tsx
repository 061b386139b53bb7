// The catalog: search, category, price range, sort and pages, all kept in the URL so a link or
// a reload shows the same page, with stars and stock on each card. The product page is
// `product.tsx`.

import { useEffect, useState } from "preact/hooks";
import { type Meta, request } from "../api";
import { type Product, money, picture } from "../shop";
import { track } from "../clicks";
import { navigate } from "../router";
import { ErrorNote, Link, Loading } from "../ui";
import { Stars } from "./reviews";

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
export type StockStatus = "in_stock" | "low_stock" | "out_of_stock";
export type Shown = Product & { stockStatus?: StockStatus; brand?: string | null };

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
export function LowStock({ status }: { status?: StockStatus }) {
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

/** A CSS-friendly key of a category name (the thumbnail's colour); not the API's slug. */
export const slug = (text: string) => text.toLowerCase().replace(/[^a-z]+/g, "-");

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
