// The wishlist in the storefront: a button on the product page that keeps or lets go of a
// product, and "My wishlist" (the products kept, with the price seen when each was added).
// A wished product that comes back in stock or gets cheaper is announced by a notification
// (the bell) and by mail, per the account's mail preferences.

import { useEffect, useState } from "preact/hooks";
import { current, request } from "../api";
import { money } from "../shop";
import { navigate } from "../router";
import { ErrorNote, Link, Loading } from "../ui";

export interface WishlistItem {
  productId: string;
  name: string;
  price: number;
  addedAt: string;
  note?: string | null;
}

const list = () => request<WishlistItem[]>("/wishlist").then(({ data }) => data);
const keep = (productId: string) =>
  request<WishlistItem>(`/wishlist/${productId}`, { method: "PUT", body: {} });
const letGo = (productId: string) =>
  request<WishlistItem[]>(`/wishlist/${productId}`, { method: "DELETE" });

/** "Add to wishlist", or "On your wishlist" with a way to remove it. */
export function WishButton({ productId }: { productId: string }) {
  const [wished, setWished] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!current()) return setWished(false);
    list().then((items) => setWished(items.some((i) => i.productId === productId)), setError);
  }, [productId]);

  const toggle = async () => {
    if (!current()) return navigate(`/signin?next=${encodeURIComponent(location.pathname)}`);
    setBusy(true);
    setError(null);
    try {
      if (wished) await letGo(productId);
      else await keep(productId);
      setWished(!wished);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="wish">
      <button class="link" aria-pressed={!!wished} disabled={busy || wished === null} onClick={toggle}>
        {wished ? "Remove from wishlist" : "Add to wishlist"}
      </button>
      {wished && (
        <p class="ok" role="status">
          On your wishlist: you hear when it is back in stock or cheaper.{" "}
          <Link href="/wishlist">My wishlist</Link>
        </p>
      )}
      <ErrorNote error={error} />
    </div>
  );
}

/** Every product the customer keeps, newest first. */
export function WishlistPage() {
  const [items, setItems] = useState<WishlistItem[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => void list().then(setItems, setError), []);

  const remove = async (productId: string) => {
    setError(null);
    try {
      setItems((await letGo(productId)).data);
    } catch (e) {
      setError(e);
    }
  };
  if (error && !items) return <ErrorNote error={error} />;
  if (!items) return <Loading />;
  return (
    <section aria-labelledby="wishlist-title">
      <h1 id="wishlist-title">My wishlist</h1>
      <ErrorNote error={error} />
      {items.length === 0 ? (
        <p data-testid="wishlist-empty">
          Nothing on your wishlist yet. <Link href="/">Browse the catalog</Link>
        </p>
      ) : (
        <ul class="plain" data-testid="wishlist">
          {items.map((item) => (
            <li key={item.productId} class="card panel">
              <Link href={`/products/${item.productId}`}>{item.name}</Link>{" "}
              <span class="muted">
                {money(item.price)} when added on {new Date(item.addedAt).toLocaleDateString()}
              </span>{" "}
              <button class="link" onClick={() => remove(item.productId)}>
                Remove {item.name}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
