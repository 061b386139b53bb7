// The live order board: the newest orders by status, kept current over `/ws/orders`
// (subscribed to all); a card that changes is marked for a moment. An admin can move an
// order by hand (`PATCH /orders/:id/status`).

import { useEffect, useState } from "preact/hooks";
import { get, request } from "../api";
import { type Order, money } from "../shop";
import { type Connection, socket } from "../live";
import { ErrorNote, LiveBadge, Loading, StatusBadge } from "../ui";

const COLUMNS = ["PENDING", "PROCESSING", "SHIPPED", "DELIVERED", "CANCELLED", "REJECTED"];
const NEXT: Record<string, string[]> = {
  PENDING: ["CANCELLED"],
  PROCESSING: ["SHIPPED", "CANCELLED"],
  SHIPPED: ["DELIVERED"],
};

export function Board() {
  const [orders, setOrders] = useState<Map<string, Order> | null>(null);
  const [changed, setChanged] = useState<Set<string>>(new Set());
  const [state, setState] = useState<Connection>("connecting");
  const [error, setError] = useState<unknown>(null);

  const upsert = (order: Order) => {
    setOrders((known) => {
      const next = new Map(known ?? []);
      const old = next.get(order.id);
      if (old && old.version > order.version) return known;
      next.set(order.id, order);
      return next;
    });
    setChanged((s) => new Set(s).add(order.id));
    setTimeout(() => setChanged((s) => {
      const next = new Set(s);
      next.delete(order.id);
      return next;
    }), 1500);
  };

  useEffect(() => {
    const abort = new AbortController();
    get<Order[]>("/orders?limit=100", abort.signal).then(
      (list) =>
        setOrders((known) => {
          const next = new Map(list.map((o) => [o.id, o]));
          // Live ones that arrived first are newer than the list.
          for (const [id, o] of known ?? []) next.set(id, o);
          return next;
        }),
      (e) => abort.signal.aborted || setError(e),
    );
    socket(
      "orders",
      () => [{ type: "subscribe", all: true }],
      (message) => {
        if (message.order) upsert(message.order as Order);
        else if (message.type === "error") setError(new Error(message.message));
      },
      setState,
      abort.signal,
    );
    return () => abort.abort();
  }, []);

  const byStatus = (status: string) =>
    [...(orders?.values() ?? [])]
      .filter((o) => o.status === status)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, 30);

  return (
    <section aria-labelledby="board-title">
      <h1 id="board-title">
        Orders <LiveBadge state={state} />
      </h1>
      <ErrorNote error={error} />
      {!orders && !error && <Loading />}
      <div class="board">
        {COLUMNS.map((status) => (
          <section key={status} class="column" aria-label={status} data-column={status}>
            <h2>
              {status} <span class="muted">({byStatus(status).length})</span>
            </h2>
            <ul>
              {byStatus(status).map((o) => (
                <OrderCard key={o.id} order={o} fresh={changed.has(o.id)} onChange={upsert} />
              ))}
            </ul>
          </section>
        ))}
      </div>
    </section>
  );
}

function OrderCard(props: { order: Order; fresh: boolean; onChange: (o: Order) => void }) {
  const { order } = props;
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const move = async (status: string) => {
    const body: Record<string, string> = { status };
    if (status === "SHIPPED") {
      body.carrier = "Manual";
      body.trackingNumber = `MAN-${order.id.slice(-6).toUpperCase()}`;
    }
    if (status === "CANCELLED") body.reason = "Cancelled from the console";
    setBusy(true);
    setError(null);
    try {
      props.onChange((await request<Order>(`/orders/${order.id}/status`, {
        method: "PATCH",
        body,
      })).data);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class={`card order-card${props.fresh ? " fresh" : ""}`} data-order-id={order.id}
      data-status={order.status}>
      <strong>#{order.id.slice(-8)}</strong> <StatusBadge status={order.status} />
      <div class="muted">
        {new Date(order.createdAt).toLocaleTimeString()} · {order.items.length} line(s) ·{" "}
        {money(order.quote?.total ?? order.total)}
      </div>
      {(NEXT[order.status] ?? []).length > 0 && (
        <div class="actions">
          {NEXT[order.status].map((s) => (
            <button key={s} class="small" disabled={busy} onClick={() => move(s)}>
              Mark {s.toLowerCase()}
              <span class="sr-only"> order {order.id.slice(-8)}</span>
            </button>
          ))}
        </div>
      )}
      <ErrorNote error={error} />
    </li>
  );
}
