// The cart (quantities, line flags, the quote exactly as the API prices it) and the checkout
// (a saved address or a new one; `Idempotency-Key` kept across retries of one attempt).

import { useEffect, useState } from "preact/hooks";
import {
  type Address,
  type Cart,
  type Quote,
  type SavedAddress,
  checkout,
  get,
  money,
  newKey,
  setQuantity,
} from "../api";
import { navigate } from "../router";
import { ErrorNote, Field, Link, Loading } from "../ui";

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
          <p>
            <Link href="/checkout" class="button primary">
              Check out
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

const EMPTY: Address = { street: "", city: "", zipCode: "", country: "" };

export function Checkout() {
  const [cart, setCart] = useState<Cart | null>(null);
  const [saved, setSaved] = useState<SavedAddress[]>([]);
  const [choice, setChoice] = useState<string>("new");
  const [fresh, setFresh] = useState<Address>(EMPTY);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // One key per order attempt: a retry after a timeout sends the same key, so it orders once.
  const [key] = useState(newKey);

  useEffect(() => {
    get<Cart>("/cart").then(setCart, setError);
    get<SavedAddress[]>("/customers/me/addresses").then((list) => {
      setSaved(list);
      const first = list.find((a) => a.isDefault) ?? list[0];
      if (first) setChoice(first.id);
    }, setError);
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const address = choice === "new" ? fresh : saved.find((a) => a.id === choice);
    if (!address) return;
    setBusy(true);
    setError(null);
    try {
      const { street, city, zipCode, country } = address;
      const { data: order } = await checkout({ street, city, zipCode, country }, key);
      navigate(`/orders/${order.id}`, true);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  if (!cart) return error ? <ErrorNote error={error} /> : <Loading />;
  if (cart.items.length === 0)
    return (
      <p>
        Your cart is empty. <Link href="/">Browse the catalog</Link>
      </p>
    );
  const set = (part: keyof Address) => (value: string) => setFresh({ ...fresh, [part]: value });
  return (
    <section aria-labelledby="checkout-title">
      <h1 id="checkout-title">Checkout</h1>
      <form onSubmit={submit}>
        <fieldset>
          <legend>Ship to</legend>
          {saved.map((a) => (
            <label key={a.id} class="choice">
              <input
                type="radio"
                name="address"
                value={a.id}
                checked={choice === a.id}
                onChange={() => setChoice(a.id)}
              />
              <span>
                {a.label && <strong>{a.label}: </strong>}
                {a.street}, {a.zipCode} {a.city}, {a.country}
              </span>
            </label>
          ))}
          <label class="choice">
            <input
              type="radio"
              name="address"
              value="new"
              checked={choice === "new"}
              onChange={() => setChoice("new")}
            />
            <span>A new address</span>
          </label>
          {choice === "new" && (
            <div class="address">
              <Field label="Street" name="street" required autocomplete="street-address"
                value={fresh.street} onInput={set("street")} />
              <Field label="City" name="city" required autocomplete="address-level2"
                value={fresh.city} onInput={set("city")} />
              <Field label="Postal code" name="zipCode" required autocomplete="postal-code"
                value={fresh.zipCode} onInput={set("zipCode")} />
              <Field label="Country" name="country" required autocomplete="country-name"
                value={fresh.country} onInput={set("country")} />
            </div>
          )}
        </fieldset>
        <fieldset>
          <legend>Payment</legend>
          {/* Card, coupon and points arrive with the payment, coupon and loyalty slices of
              issue 15; until their API exists the order is placed unpaid, as on the API. */}
          <p class="muted" data-testid="payment-placeholder">
            Payment by card, coupons and loyalty points are coming soon. Your order is
            confirmed once its stock is reserved.
          </p>
        </fieldset>
        <QuoteTable quote={cart.quote} />
        <ErrorNote error={error} />
        <button class="primary" type="submit" disabled={busy}>
          Place order
        </button>
      </form>
    </section>
  );
}
