// Reviews moderation: find a product, read its visible reviews (newest first), hide one. The
// API lists only visible reviews (there is no list of hidden ones), so a review hidden here
// stays on the page, marked, with "Show again" until the page is left.

import { useEffect, useState } from "preact/hooks";
import { request } from "../api";
import { type Product } from "../shop";
import { type Review, reviewsOf, setHidden } from "../aftersales";
import { navigate, useLocation } from "../router";
import { ErrorNote, Loading, Pager } from "../ui";

const PAGE = 20;

export function ReviewsDesk() {
  const url = useLocation();
  const productId = url.searchParams.get("product");
  const [search, setSearch] = useState("");
  const [found, setFound] = useState<Product[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const find = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const query = new URLSearchParams({ limit: "20" });
    if (search.trim()) {
      query.set("search", search.trim());
      query.set("sort", "relevance");
    } else query.set("sort", "rating");
    try {
      setFound((await request<Product[]>(`/products?${query}`)).data);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="reviews-desk-title">
      <h1 id="reviews-desk-title">Reviews</h1>
      <form class="filters" role="search" onSubmit={find}>
        <div class="field grow">
          <label for="review-product-search">Product</label>
          <input
            id="review-product-search"
            type="search"
            value={search}
            placeholder="name of a product (empty: best rated)"
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
        </div>
        <button type="submit">Find products</button>
      </form>
      <ErrorNote error={error} />
      {found && (
        <ul class="list" data-testid="review-products">
          {found.length === 0 && <li>No product matches.</li>}
          {found.map((p) => (
            <li key={p.id} class="row">
              <span>
                {p.name}{" "}
                <span class="muted">
                  ({p.rating?.count ?? 0} review{p.rating?.count === 1 ? "" : "s"}
                  {p.rating?.average != null ? `, ${p.rating.average} average` : ""})
                </span>
              </span>
              <button
                class="small"
                aria-pressed={p.id === productId}
                onClick={() => navigate(`/console/reviews?product=${p.id}`)}
              >
                Moderate<span class="sr-only"> the reviews of {p.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {productId && /^[0-9a-f]{24}$/.test(productId) ? (
        <ProductReviews key={productId} productId={productId} />
      ) : (
        <p class="muted">Choose a product to see its reviews.</p>
      )}
    </section>
  );
}

function ProductReviews({ productId }: { productId: string }) {
  const [product, setProduct] = useState<Product | null>(null);
  const [page, setPage] = useState(1);
  const [list, setList] = useState<Review[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    request<Product>(`/products/${productId}`).then(({ data }) => setProduct(data), setError);
  }, [productId]);
  useEffect(() => {
    reviewsOf(productId, "recent", page, PAGE).then(({ data, meta }) => {
      setList(data);
      setTotal(meta?.total ?? data.length);
    }, setError);
  }, [productId, page]);

  const toggle = async (review: Review) => {
    setBusy(true);
    setError(null);
    try {
      const { data } = await setHidden(productId, review.id, !review.hidden);
      setList((known) => known?.map((r) => (r.id === data.id ? data : r)) ?? null);
      setProduct((await request<Product>(`/products/${productId}`)).data);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const pages = Math.max(1, Math.ceil(total / PAGE));

  return (
    <section class="card panel" aria-labelledby="moderated-title">
      <h2 id="moderated-title">{product ? product.name : "Reviews"}</h2>
      {product && (
        <p class="muted" data-testid="moderated-rating">
          {product.rating?.count
            ? `${product.rating.count} visible review${product.rating.count === 1 ? "" : "s"}, average ${product.rating.average}`
            : "No visible reviews"}
        </p>
      )}
      <ErrorNote error={error} />
      {!list && !error && <Loading />}
      {list?.length === 0 && <p>No visible reviews.</p>}
      {list && list.length > 0 && (
        <table class="lines scroll" data-testid="moderation">
          <caption class="sr-only">The product's reviews, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Stars</th>
              <th scope="col">Review</th>
              <th scope="col">Written</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={r.id} data-review-id={r.id} data-hidden={String(r.hidden)}>
                <td>{r.rating} of 5</td>
                <td>
                  {r.title && <strong>{r.title}: </strong>}
                  {r.body}
                  <div class="muted">by customer {r.customerId.slice(-8)}</div>
                </td>
                <td>{new Date(r.createdAt).toLocaleString()}</td>
                <td>
                  {r.hidden && <span class="badge health-degraded">hidden</span>}{" "}
                  <button class="small" disabled={busy} onClick={() => toggle(r)}>
                    {r.hidden ? "Show again" : "Hide"}
                    <span class="sr-only"> review {r.title ?? r.id.slice(-8)}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={page} pages={pages} onPage={setPage} label="Review pages" />
    </section>
  );
}
