// Subscriptions in the storefront (issue 17, replenishment): "Subscribe" from the cart (the
// cart's products every N days, paid with a saved card and shipped to a saved address; the
// first order is placed at once) and "My subscriptions" (what each orders, the next run, the
// last run's outcome, pause, resume and cancel). A declined card on a run pauses the
// subscription: the page says so in words, and the customer resumes it when the card works.

import { useEffect, useRef, useState } from "preact/hooks";
import { get } from "../api";
import { type Cart, type Order, type Product, type SavedAddress, money } from "../shop";
import {
  type Subscription,
  listSubscriptions,
  moveSubscription,
  pauseReason,
  subscribe,
} from "../aftersales";
import { type Card, addresses, cards } from "../commerce";
import { navigate } from "../router";
import { ErrorNote, Field, Link, Loading, Pager, StatusBadge } from "../ui";

const PAGE = 10;
const when = (at: string) => new Date(at).toLocaleString();

/** Product names by id, read once per page (a product no longer sold says so). */
function useNames(ids: string[]): Map<string, string> {
  const [names, setNames] = useState(new Map<string, string>());
  const key = [...new Set(ids)].sort().join(",");
  useEffect(() => {
    const missing = key.split(",").filter((id) => id && !names.has(id));
    if (missing.length === 0) return;
    Promise.all(
      missing.map((id) =>
        get<Product>(`/products/${id}`).then(
          (p) => [id, p.name] as const,
          () => [id, "A product no longer sold"] as const,
        ),
      ),
    ).then((found) => setNames((known) => new Map([...known, ...found])));
  }, [key]);
  return names;
}

/** Whether a subscription is between two states the page should read again soon. */
function settling(s: Subscription, order: Order | undefined): boolean {
  if (s.status !== "ACTIVE") return false;
  const last = s.runs[s.runs.length - 1];
  if (!last) return new Date(s.nextRunAt).getTime() <= Date.now() + 2000;
  if (!last.orderId) return !last.error;
  // A declined payment rejects the order first and pauses the subscription just after.
  return !order || order.status === "PENDING" || order.status === "REJECTED";
}

/** "My subscriptions": newest first, paged, each with its actions. */
export function SubscriptionsPage({ url }: { url: URL }) {
  const [page, setPage] = useState(1);
  const [list, setList] = useState<Subscription[] | null>(null);
  const [total, setTotal] = useState(0);
  const [orders, setOrders] = useState(new Map<string, Order>());
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const reads = useRef(0);
  const created = url.searchParams.get("subscribed");

  useEffect(() => {
    const abort = new AbortController();
    listSubscriptions(page, PAGE).then(async ({ data, meta }) => {
      if (abort.signal.aborted) return;
      setTotal(meta?.total ?? data.length);
      // The last run's order, for its outcome (placed, delivered, declined...).
      const ids = data.map((s) => s.runs[s.runs.length - 1]?.orderId).filter((id): id is string => !!id);
      const found = await Promise.all(ids.map((id) => get<Order>(`/orders/${id}`).catch(() => null)));
      if (abort.signal.aborted) return;
      const byId = new Map(found.filter((o): o is Order => !!o).map((o) => [o.id, o]));
      setOrders(byId);
      setList(data);
      // A run being placed or paid is read again shortly (at most a minute of it).
      const busy = data.some((s) => settling(s, byId.get(s.runs[s.runs.length - 1]?.orderId ?? "")));
      if (busy && reads.current++ < 30) setTimeout(() => abort.signal.aborted || setTick((n) => n + 1), 2000);
    }, (e) => abort.signal.aborted || setError(e));
    return () => abort.abort();
  }, [page, tick]);

  const names = useNames((list ?? []).flatMap((s) => s.items.map((i) => i.productId)));

  const act = async (s: Subscription, action: "pause" | "resume" | "cancel") => {
    setError(null);
    try {
      const { data } = await moveSubscription(s.id, action);
      setList((known) => known?.map((k) => (k.id === data.id ? data : k)) ?? null);
      // Read again, which also drops a read still in flight from before the change.
      reads.current = 0;
      setTick((n) => n + 1);
    } catch (e) {
      setError(e);
      // Changed elsewhere (another tab, a declined run): show what it is now.
      setTick((n) => n + 1);
    }
  };

  const pages = Math.max(1, Math.ceil(total / PAGE));
  return (
    <section aria-labelledby="subscriptions-title">
      <h1 id="subscriptions-title">My subscriptions</h1>
      {created && (
        <p class="ok" role="status">
          Subscribed. The first order is placed now, then one every interval.
        </p>
      )}
      <ErrorNote error={error} />
      {!list && !error && <Loading />}
      {list?.length === 0 && (
        <p data-testid="subscriptions-empty">
          No subscriptions. Put what you order regularly in your <Link href="/cart">cart</Link> and
          subscribe from there.
        </p>
      )}
      <ul class="list" data-testid="subscriptions">
        {list?.map((s) => (
          <SubscriptionCard
            key={s.id}
            item={s}
            names={names}
            order={orders.get(s.runs[s.runs.length - 1]?.orderId ?? "")}
            onAct={(action) => act(s, action)}
          />
        ))}
      </ul>
      <Pager page={page} pages={pages} onPage={setPage} label="Subscription pages" />
    </section>
  );
}

function SubscriptionCard(props: {
  item: Subscription;
  names: Map<string, string>;
  order?: Order;
  onAct: (action: "pause" | "resume" | "cancel") => Promise<void>;
}) {
  const { item: s, names, order } = props;
  const [busy, setBusy] = useState(false);
  const run = async (action: "pause" | "resume" | "cancel") => {
    setBusy(true);
    try {
      await props.onAct(action);
    } finally {
      setBusy(false);
    }
  };
  const what = s.items.map((i) => `${i.quantity} × ${names.get(i.productId) ?? "…"}`).join(", ");
  const last = s.runs[s.runs.length - 1];
  const title = `every ${s.intervalDays} day${s.intervalDays === 1 ? "" : "s"}`;
  return (
    <li class="card" data-testid="subscription" data-status={s.status} aria-label={`Subscription ${what}`}>
      <div class="row">
        <StatusBadge status={s.status} />
        <strong>{what}</strong>
        <span class="muted">{title}</span>
      </div>
      <p class="muted">
        Paid with {s.card.brand} ending {s.card.last4}, shipped to {s.shippingAddress.street},{" "}
        {s.shippingAddress.city}.
      </p>
      {s.status === "ACTIVE" && (
        <p data-testid="next-run">
          Next order:{" "}
          {new Date(s.nextRunAt).getTime() <= Date.now() ? "being placed now" : when(s.nextRunAt)}
        </p>
      )}
      {s.status === "PAUSED" && (
        <p class={s.pauseReason && s.pauseReason !== "CUSTOMER" ? "error" : "muted"} data-testid="pause-reason">
          {pauseReason(s.pauseReason)}
        </p>
      )}
      <p data-testid="last-run">
        {!last ? (
          "No order placed yet."
        ) : last.error ? (
          <>Last run ({when(last.at)}): no order was placed — {last.error}.</>
        ) : !last.orderId ? (
          <>Last run ({when(last.at)}): the order is being placed.</>
        ) : (
          <>
            Last run ({when(last.at)}): <Link href={`/orders/${last.orderId}`}>order</Link>
            {order && (
              <>
                {" "}
                <StatusBadge status={order.status} /> {money(order.total)}
                {order.status === "REJECTED" && order.rejectionReason?.startsWith("PAYMENT_DECLINED") &&
                  " — the card was declined"}
              </>
            )}
          </>
        )}
      </p>
      {s.status !== "CANCELLED" && (
        <div class="row">
          {s.status === "ACTIVE" && (
            <button type="button" disabled={busy} onClick={() => run("pause")}>
              Pause<span class="sr-only"> {what}</span>
            </button>
          )}
          {s.status === "PAUSED" && (
            <button type="button" disabled={busy} onClick={() => run("resume")}>
              Resume<span class="sr-only"> {what}</span>
            </button>
          )}
          <button
            type="button"
            class="link"
            disabled={busy}
            onClick={() => {
              if (confirm("Cancel this subscription for good? No more orders will be placed.")) run("cancel");
            }}
          >
            Cancel subscription<span class="sr-only"> {what}</span>
          </button>
        </div>
      )}
    </li>
  );
}

/** "Subscribe": the cart's products every N days, with a saved card and address. */
export function SubscribePage() {
  const [cart, setCart] = useState<Cart | null>(null);
  const [myCards, setCards] = useState<Card[] | null>(null);
  const [myAddresses, setAddresses] = useState<SavedAddress[] | null>(null);
  const [days, setDays] = useState("30");
  const [card, setCard] = useState("");
  const [address, setAddress] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    Promise.all([get<Cart>("/cart"), cards(), addresses()]).then(([c, k, a]) => {
      setCart(c);
      setCards(k);
      setAddresses(a);
      setCard((k.find((x) => x.isDefault) ?? k[0])?.id ?? "");
      setAddress((a.find((x) => x.isDefault) ?? a[0])?.id ?? "");
    }, setError);
  }, []);

  if (!cart || !myCards || !myAddresses) return error ? <ErrorNote error={error} /> : <Loading />;
  const lines = cart.items.filter((l) => l.available);
  const ready = lines.length > 0 && myCards.length > 0 && myAddresses.length > 0;
  return (
    <section aria-labelledby="subscribe-title" class="narrow-page">
      <h1 id="subscribe-title">Subscribe to your cart</h1>
      {lines.length === 0 ? (
        <p>
          Your cart is empty: put what you want to receive regularly in it first.{" "}
          <Link href="/">Browse the catalog</Link>
        </p>
      ) : (
        <>
          <p>Each order ships these products, priced on the day it is placed:</p>
          <ul data-testid="subscribe-items">
            {lines.map((l) => (
              <li key={l.productId}>
                {l.quantity} × {l.name}
              </li>
            ))}
          </ul>
        </>
      )}
      {(myCards.length === 0 || myAddresses.length === 0) && (
        <p class="error" role="alert">
          A subscription is paid with a saved card and shipped to a saved address: save{" "}
          {myCards.length === 0 && myAddresses.length === 0 ? "both" : myCards.length === 0 ? "a card" : "an address"}{" "}
          in <Link href="/account">My account</Link> first.
        </p>
      )}
      {ready && (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            setError(null);
            try {
              await subscribe({
                items: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
                intervalDays: Number(days),
                paymentMethodId: card,
                shippingAddressId: address,
              });
              navigate("/subscriptions?subscribed=1");
            } catch (err) {
              setError(err);
            } finally {
              setBusy(false);
            }
          }}
        >
          <Field label="Every how many days" name="interval" type="number" inputMode="numeric"
            min="1" max="365" step="1" required value={days} onInput={setDays} />
          <div class="field">
            <label for="subscribe-card">Pay with</label>
            <select id="subscribe-card" value={card} onChange={(e) => setCard(e.currentTarget.value)}>
              {myCards.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.brand} ending {c.last4} (expires {c.expMonth}/{c.expYear})
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="subscribe-address">Ship to</label>
            <select id="subscribe-address" value={address} onChange={(e) => setAddress(e.currentTarget.value)}>
              {myAddresses.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.label ? `${a.label}: ` : ""}
                  {a.street}, {a.city} {a.zipCode}, {a.country}
                </option>
              ))}
            </select>
          </div>
          <ErrorNote error={error} />
          <p class="muted">The first order is placed now; your cart stays as it is.</p>
          <button class="primary" type="submit" disabled={busy}>
            Subscribe
          </button>
        </form>
      )}
    </section>
  );
}
