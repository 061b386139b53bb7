// The checkout: where to ship (a saved address or a new one), how to pay (a saved card or a
// new test card), the cart's coupon (applied or refused with the reason), loyalty points to
// redeem, and the quote as it will be charged. One `Idempotency-Key` per attempt: a retry
// after a lost answer sends the same key, a changed attempt after a refusal a new one.

import { useEffect, useState } from "preact/hooks";
import { ApiError, get } from "../api";
import {
  type Address,
  type CheckoutBody,
  type SavedAddress,
  checkout,
  money,
  newKey,
} from "../shop";
import {
  COUPON_REASONS,
  type Card,
  type Loyalty,
  type PricedCart,
  applyCoupon,
  cards as listCards,
  expiry,
  loyalty as readLoyalty,
  redeemable,
  removeCoupon,
  withPoints,
} from "../commerce";
import { track } from "../clicks";
import { navigate } from "../router";
import { ErrorNote, Field, Link, Loading } from "../ui";
import { QuoteTable } from "./cart";

const EMPTY: Address = { street: "", city: "", zipCode: "", country: "" };
const NEW_CARD = { number: "", expiry: "", cvc: "" };

export function Checkout() {
  const [cart, setCart] = useState<PricedCart | null>(null);
  const [saved, setSaved] = useState<SavedAddress[]>([]);
  const [address, setAddress] = useState<string>("new");
  const [fresh, setFresh] = useState<Address>(EMPTY);
  const [cards, setCards] = useState<Card[]>([]);
  const [pay, setPay] = useState<string>("new");
  const [card, setCard] = useState(NEW_CARD);
  const [points, setPoints] = useState<Loyalty | null>(null);
  const [redeem, setRedeem] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [key, setKey] = useState(newKey);

  useEffect(() => {
    get<PricedCart>("/cart").then((priced) => {
      setCart(priced);
      // The checkout counts as started only with something to check out.
      if (priced.items.length > 0) track("checkout_started");
    }, setError);
    get<SavedAddress[]>("/customers/me/addresses").then((list) => {
      setSaved(list);
      const first = list.find((a) => a.isDefault) ?? list[0];
      if (first) setAddress(first.id);
    }, setError);
    listCards().then((list) => {
      setCards(list);
      const first = list.find((c) => c.isDefault) ?? list[0];
      if (first) setPay(first.id);
    }, setError);
    readLoyalty().then(setPoints, setError);
  }, []);

  if (!cart) return error ? <ErrorNote error={error} /> : <Loading />;
  if (cart.items.length === 0)
    return (
      <p>
        Your cart is empty. <Link href="/">Browse the catalog</Link>
      </p>
    );

  const most = Math.min(points?.points ?? 0, redeemable(cart.quote));
  const using = Math.min(Math.max(0, Math.floor(Number(redeem) || 0)), most);
  const quote = withPoints(cart.quote, using, cart.coupon);

  const body = (): CheckoutBody | string => {
    const out: CheckoutBody = {};
    if (address === "new") out.shippingAddress = fresh;
    else out.shippingAddressId = address;
    if (pay === "new") {
      const when = expiry(card.expiry);
      if (!when) return "Enter the card's expiry as MM/YY.";
      out.card = { number: card.number.trim(), cvc: card.cvc.trim(), ...when };
    } else out.paymentMethodId = pay;
    if (using > 0) out.redeemPoints = using;
    return out;
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const request = body();
    if (typeof request === "string") return setError(new ApiError(400, "VALIDATION", request));
    setBusy(true);
    setError(null);
    try {
      const { data: order } = await checkout(request, key);
      navigate(`/orders/${order.id}`, true);
    } catch (err) {
      // A definite refusal is the answer to this attempt: the next one is a new attempt.
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) setKey(newKey());
      setError(err);
      setBusy(false);
    }
  };

  const set = (part: keyof Address) => (value: string) => setFresh({ ...fresh, [part]: value });
  const setC = (part: keyof typeof NEW_CARD) => (value: string) => setCard({ ...card, [part]: value });
  return (
    <section aria-labelledby="checkout-title">
      <h1 id="checkout-title">Checkout</h1>
      <CouponBox cart={cart} onCart={setCart} />
      <form onSubmit={submit}>
        <fieldset>
          <legend>Ship to</legend>
          {saved.map((a) => (
            <label key={a.id} class="choice">
              <input type="radio" name="address" value={a.id} checked={address === a.id}
                onChange={() => setAddress(a.id)} />
              <span>
                {a.label && <strong>{a.label}: </strong>}
                {a.street}, {a.zipCode} {a.city}, {a.country}
              </span>
            </label>
          ))}
          <label class="choice">
            <input type="radio" name="address" value="new" checked={address === "new"}
              onChange={() => setAddress("new")} />
            <span>A new address</span>
          </label>
          {address === "new" && (
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
          <legend>Pay with</legend>
          {cards.map((c) => (
            <label key={c.id} class="choice">
              <input type="radio" name="card" value={c.id} checked={pay === c.id}
                onChange={() => setPay(c.id)} />
              <span>
                {c.brand} ending {c.last4}, expires {String(c.expMonth).padStart(2, "0")}/
                {c.expYear}
                {c.isDefault && <span class="muted"> (default)</span>}
              </span>
            </label>
          ))}
          <label class="choice">
            <input type="radio" name="card" value="new" checked={pay === "new"}
              onChange={() => setPay("new")} />
            <span>A new card</span>
          </label>
          {pay === "new" && (
            <div class="address">
              <Field label="Card number" name="cardNumber" required autocomplete="cc-number"
                inputMode="numeric" placeholder="4242 4242 4242 4242"
                value={card.number} onInput={setC("number")} />
              <Field label="Expiry (MM/YY)" name="cardExpiry" required autocomplete="cc-exp"
                placeholder="12/30" value={card.expiry} onInput={setC("expiry")} />
              <Field label="CVC" name="cardCvc" required autocomplete="cc-csc" inputMode="numeric"
                value={card.cvc} onInput={setC("cvc")} />
            </div>
          )}
          <p class="muted">Test cards: 4242 4242 4242 4242 is approved, 4000 0000 0000 0002 declined.</p>
        </fieldset>
        <fieldset>
          <legend>Loyalty points</legend>
          {points ? (
            <p data-testid="points-balance">
              You have {points.points} points ({points.tier}); 100 points take {money(1)} off.
            </p>
          ) : (
            <Loading />
          )}
          <Field label="Points to redeem" name="redeemPoints" type="number" min="0"
            max={String(most)} inputMode="numeric" value={redeem} onInput={setRedeem} />
          {Number(redeem) > most && (
            <p class="muted" role="status">
              At most {most} points can be used on this order.
            </p>
          )}
        </fieldset>
        <QuoteTable quote={quote} />
        <ErrorNote error={error} />
        <button class="primary" type="submit" disabled={busy}>
          Place order
        </button>
      </form>
    </section>
  );
}

/** The cart's coupon: apply a code (refused with the reason in words), or take it off. */
function CouponBox({ cart, onCart }: { cart: PricedCart; onCart: (c: PricedCart) => void }) {
  const [code, setCode] = useState("");
  const [refusal, setRefusal] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (call: () => Promise<{ data: PricedCart }>) => {
    setBusy(true);
    setRefusal(null);
    setError(null);
    try {
      onCart((await call()).data);
      setCode("");
    } catch (e) {
      const reason = e instanceof ApiError ? String(e.details?.reason ?? "") : "";
      if (reason) setRefusal(COUPON_REASONS[reason] ?? `This coupon cannot be used (${reason}).`);
      else setError(e);
    } finally {
      setBusy(false);
    }
  };
  const held = cart.coupon;
  return (
    <section class="card coupon" aria-labelledby="coupon-title">
      <h2 id="coupon-title">Coupon</h2>
      {held && (
        <div class="row" data-testid="coupon">
          <span>
            <strong>{held.code}</strong>{" "}
            {held.applies
              ? `applied: saves ${money(held.discount)}`
              : `no longer applies: ${COUPON_REASONS[held.reason ?? ""] ?? held.message ?? held.reason}`}
          </span>
          <button type="button" class="small" disabled={busy} onClick={() => run(removeCoupon)}>
            Remove coupon
          </button>
        </div>
      )}
      <form class="row" onSubmit={(e) => {
        e.preventDefault();
        if (code.trim()) run(() => applyCoupon(code.trim()));
      }}>
        <label for="coupon-code">Coupon code</label>
        <input id="coupon-code" value={code} maxLength={32} autocomplete="off"
          onInput={(e) => setCode(e.currentTarget.value)} />
        <button type="submit" disabled={busy}>
          Apply
        </button>
      </form>
      {refusal && (
        <p class="error" role="alert" data-testid="coupon-refusal">
          {refusal}
        </p>
      )}
      <ErrorNote error={error} />
    </section>
  );
}
