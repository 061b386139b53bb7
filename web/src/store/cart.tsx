// The cart: quantities, line flags, the coupon it holds, and the quote exactly as the API
// prices it. The checkout is `checkout.tsx`.

import { useEffect, useState } from "preact/hooks";
import { get } from "../api";
import { type Cart, type Quote, money, setQuantity } from "../shop";
import { ErrorNote, Link, Loading } from "../ui";

export function CartPage() {
  const [cart, setCart] = useState<Cart | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get<Cart>("/cart").then(setCart, setError);
  }, []);

  const change = async (productId: string, quantity: number) => {
    setBusy(true);
    setError(null);
    try {
      setCart((await setQuantity(productId, Math.max(0, quantity))).data);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (!cart) return error ? <ErrorNote error={error} /> : <Loading />;
  return (
    <section aria-labelledby="cart-title">
      <h1 id="cart-title">Your cart</h1>
      <ErrorNote error={error} />
      {cart.items.length === 0 ? (
        <p>
          Your cart is empty. <Link href="/">Browse the catalog</Link>
        </p>
      ) : (
        <>
          <table class="lines">
            <caption class="sr-only">Products in your cart</caption>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">Price</th>
                <th scope="col">Quantity</th>
                <th scope="col">Subtotal</th>
              </tr>
            </thead>
            <tbody>
              {cart.items.map((line) => (
                <tr key={line.productId} data-testid="cart-line">
                  <th scope="row">
                    <Link href={`/products/${line.productId}`}>{line.name}</Link>
                    {!line.available && <span class="flag">No longer sold</span>}
                    {line.available && !line.inStock && (
                      <span class="flag">Not enough stock</span>
                    )}
                  </th>
                  <td>{line.price === null ? "—" : money(line.price)}</td>
                  <td>
                    <label class="sr-only" for={`qty-${line.productId}`}>
                      Quantity of {line.name}
                    </label>
                    <input
                      id={`qty-${line.productId}`}
                      class="qty"
                      type="number"
                      min="0"
                      value={line.quantity}
                      disabled={busy}
                      onChange={(e) => change(line.productId, Number(e.currentTarget.value))}
                    />
                    <button class="link" disabled={busy} onClick={() => change(line.productId, 0)}>
                      Remove<span class="sr-only"> {line.name}</span>
                    </button>
                  </td>
                  <td>{line.subtotal === null ? "—" : money(line.subtotal)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <QuoteTable quote={cart.quote} />
          <p class="row">
            <Link href="/checkout" class="button primary">
              Check out
            </Link>
            <Link href="/subscriptions/new" class="button">
              Subscribe to these
            </Link>
          </p>
        </>
      )}
    </section>
  );
}

/** The quote line by line, as the API answered it: nothing recomputed here. */
export function QuoteTable({ quote }: { quote: Quote }) {
  const rows: [string, number, boolean][] = [
    ["Subtotal", quote.subtotal, true],
    ["Coupon discount", -quote.couponDiscount, quote.couponDiscount > 0],
    ["Loyalty discount", -quote.tierDiscount, quote.tierDiscount > 0],
    ["Points", -quote.pointsDiscount, quote.pointsDiscount > 0],
    ["Shipping", quote.shipping, true],
    ["Tax", quote.tax, true],
  ];
  return (
    <dl class="quote" data-testid="quote">
      {rows
        .filter(([, , shown]) => shown)
        .map(([label, amount]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{money(amount)}</dd>
          </div>
        ))}
      <div class="total">
        <dt>Total</dt>
        <dd data-testid="quote-total">{money(quote.total)}</dd>
      </div>
    </dl>
  );
}
