// "My orders" and one order's live timeline: the order's stream (`followOrder`) sends a
// snapshot, then each status change as it happens; after a reload or a lost connection it
// resumes from the last event id, so no step is missed or shown twice. A delivered order can be
// returned from here (`returns.tsx`); its returns are read again when a notification about the
// order arrives, and every few seconds while a refund is on its way.

import { useEffect, useState } from "preact/hooks";
import { get } from "../api";
import { type Order, money } from "../shop";
import type { OrderWithReturns, Return } from "../aftersales";
import { type Connection, followOrder } from "../live";
import { ErrorNote, LiveBadge, Link, Loading, StatusBadge } from "../ui";
import { QuoteTable } from "./cart";
import { onNotification } from "./notifications";
import { OrderReturns } from "./returns";

const STEPS = ["PENDING", "PROCESSING", "SHIPPED", "DELIVERED"];
const when = (at?: string) => (at ? new Date(at).toLocaleString() : "");

export function Orders() {
  const [orders, setOrders] = useState<Order[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    get<Order[]>("/orders?limit=50").then(setOrders, setError);
  }, []);
  if (!orders) return error ? <ErrorNote error={error} /> : <Loading />;
  return (
    <section aria-labelledby="orders-title">
      <h1 id="orders-title">My orders</h1>
      {orders.length === 0 && (
        <p>
          No orders yet. <Link href="/">Browse the catalog</Link>
        </p>
      )}
      <ul class="list">
        {orders.map((o) => (
          <li key={o.id} class="card row">
            <Link href={`/orders/${o.id}`}>Order {o.id.slice(-8)}</Link>
            <span class="muted">{when(o.createdAt)}</span>
            <StatusBadge status={o.status} />
            <span>{money(o.quote?.total ?? o.total)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A status change this page was sent live: the stream's event id is the history index. */
interface Update {
  index: number;
  status: string;
}

const updatesKey = (orderId: string) => `shop.sse.updates.${orderId}`;

function updatesOf(orderId: string): Update[] {
  try {
    return JSON.parse(sessionStorage.getItem(updatesKey(orderId)) ?? "[]");
  } catch {
    return [];
  }
}

/**
 * Notes one live change, kept for the tab like the stream's last id, so the list survives a
 * reload. Not deduplicated on purpose: resuming must never send a change twice, and a change
 * sent twice shows here twice.
 */
function note(orderId: string, seen: Update[], index: number, status: string): Update[] {
  const next = [...seen, { index, status }];
  sessionStorage.setItem(updatesKey(orderId), JSON.stringify(next));
  return next;
}

export function OrderPage({ id }: { id: string }) {
  const [order, setOrder] = useState<Order | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [state, setState] = useState<Connection>("connecting");
  const [updates, setUpdates] = useState<Update[]>(() => updatesOf(id));
  // Only `GET /orders/:id` shows the returns (the stream's order does not).
  const [returns, setReturns] = useState<Return[]>([]);
  const reread = (signal?: AbortSignal) =>
    get<OrderWithReturns>(`/orders/${id}`, signal).then((o) => {
      setReturns(o.returns ?? []);
      setOrder((known) => (known && known.version >= o.version ? known : o));
    });

  useEffect(() => onNotification((n) => void (n.orderId === id && reread().catch(() => {}))), [id]);
  const refunding = returns.some((r) => r.status === "RECEIVED");
  useEffect(() => {
    if (!refunding) return;
    const timer = setInterval(() => reread().catch(() => {}), 3000);
    return () => clearInterval(timer);
  }, [refunding, id]);

  useEffect(() => {
    const abort = new AbortController();
    // The stream's snapshot is the order, but a final order whose steps were all seen
    // answers 204 with no snapshot: read it once too.
    reread(abort.signal).catch((e) => abort.signal.aborted || setError(e));
    followOrder(
      id,
      (event) => {
        if (event.type === "order.status_changed" && event.data?.newStatus) {
          setUpdates((seen) => note(id, seen, Number(event.data.index), event.data.newStatus));
        }
        const next: Order | undefined = event.data?.order;
        if (!next) return;
        setOrder((known) => (known && known.version > next.version ? known : next));
      },
      setState,
      abort.signal,
    );
    return () => abort.abort();
  }, [id]);

  if (!order) return error ? <ErrorNote error={error} /> : <Loading />;
  const reached = new Map(order.statusHistory.map((h) => [h.status, h]));
  // A cancelled or rejected order shows the steps it took; any other, the whole way ahead.
  const steps = STEPS.includes(order.status) ? STEPS : [...reached.keys()];
  return (
    <article aria-labelledby="order-title">
      <h1 id="order-title">Order {order.id.slice(-8)}</h1>
      <p>
        <StatusBadge status={order.status} /> <LiveBadge state={state} />
      </p>
      <h2>Timeline</h2>
      <ol class="timeline" aria-live="polite" data-testid="timeline">
        {steps.map((step) => {
          const entry = reached.get(step);
          return (
            <li key={step} class={entry ? "done" : "todo"} data-status={step}>
              <span class="step">{step}</span>
              <span class="muted">{entry ? when(entry.at) : "waiting"}</span>
              {entry?.note && <span class="note">{entry.note}</span>}
            </li>
          );
        })}
      </ol>
      {updates.length > 0 && (
        <p class="muted">
          Updates received here:{" "}
          <span data-testid="updates">
            {updates.map((u, i) => (
              <span key={i} data-index={u.index}>
                {i > 0 && " → "}
                {u.status}
              </span>
            ))}
          </span>
        </p>
      )}
      {order.carrier && (
        <p>
          Shipped with {order.carrier}, tracking number {order.trackingNumber}.
        </p>
      )}
      {order.estimatedDelivery && !["DELIVERED", "CANCELLED", "REJECTED"].includes(order.status) && (
        <p>Estimated delivery: {when(order.estimatedDelivery)}</p>
      )}
      {order.rejectionReason && (
        <p class="error" data-testid="rejection">
          {order.rejectionReason.startsWith("PAYMENT_DECLINED")
            ? "Your payment was declined, so the order was not placed. "
            : "Rejected. "}
          ({order.rejectionReason})
        </p>
      )}
      {order.payment && (
        <p>
          Paid with {order.payment.brand} ending {order.payment.last4} ({order.payment.status}).
        </p>
      )}
      {order.cancellationReason && <p>Cancelled: {order.cancellationReason}</p>}
      <h2>Items</h2>
      <ul class="list">
        {order.items.map((line) => (
          <li key={line.productId} class="row">
            <span>{line.name}</span>
            <span>× {line.quantity}</span>
            <span>{money(line.subtotal)}</span>
          </li>
        ))}
      </ul>
      {order.quote && <QuoteTable quote={order.quote} />}
      {(order.status === "DELIVERED" || returns.length > 0) && (
        <OrderReturns order={{ ...order, returns }} onChange={() => void reread().catch(setError)} />
      )}
      {order.shippingAddress && (
        <p>
          Ships to {order.shippingAddress.street}, {order.shippingAddress.zipCode}{" "}
          {order.shippingAddress.city}, {order.shippingAddress.country}
        </p>
      )}
    </article>
  );
}
