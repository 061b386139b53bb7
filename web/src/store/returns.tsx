// Returns in the storefront: the "Return items" form on a delivered order (which lines, how
// many of each up to what is left to return, and why), the order's returns with their steps,
// and "My returns" (every return of the customer, newest first, paged).

import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api";
import { money } from "../shop";
import {
  type OrderWithReturns,
  RETURN_REFUSALS,
  type Return,
  listReturns,
  requestReturn,
  returnable,
} from "../aftersales";
import { ErrorNote, Link, Loading, Pager, StatusBadge } from "../ui";

const when = (at: string) => new Date(at).toLocaleString();

/** A 422's `details.code` in words, else the API's own message. */
function ReturnError({ error }: { error: unknown }) {
  const code = error instanceof ApiError ? String(error.details?.code ?? "") : "";
  if (RETURN_REFUSALS[code]) {
    return (
      <p class="error" role="alert">
        {RETURN_REFUSALS[code]}
      </p>
    );
  }
  return <ErrorNote error={error} />;
}

/**
 * The order's returns, and on a delivered order with something left to return, the form.
 * `onChange` reads the order again after a return is asked for.
 */
export function OrderReturns(props: { order: OrderWithReturns; onChange: () => void }) {
  const { order } = props;
  // The form works on what was left when it was opened: a live update of the order (another
  // tab's return, say) does not pull lines or quantities from under the customer's hands; the
  // API is the judge and its refusal is said in words.
  const [open, setOpen] = useState<Map<string, number> | null>(null);
  const left = returnable(order);
  const anyLeft = [...left.values()].some((n) => n > 0);
  const returns = order.returns ?? [];
  return (
    <section aria-labelledby="returns-title" data-testid="order-returns">
      <h2 id="returns-title">Returns</h2>
      {returns.length === 0 && <p class="muted">Nothing returned from this order.</p>}
      <ul class="list">
        {returns.map((r) => (
          <ReturnCard key={r.id} item={r} />
        ))}
      </ul>
      {order.status === "DELIVERED" && anyLeft && !open && (
        <button type="button" onClick={() => setOpen(left)}>
          Return items
        </button>
      )}
      {open && (
        <ReturnForm
          order={order}
          left={open}
          onDone={() => {
            setOpen(null);
            props.onChange();
          }}
          onCancel={() => setOpen(null)}
        />
      )}
    </section>
  );
}

function ReturnForm(props: {
  order: OrderWithReturns;
  left: Map<string, number>;
  onDone: () => void;
  onCancel: () => void;
}) {
  const lines = props.order.items.filter((line) => (props.left.get(line.productId) ?? 0) > 0);
  const [quantities, setQuantities] = useState<Record<string, number>>({});
  const [reason, setReason] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const items = lines
      .map((line) => ({ productId: line.productId, quantity: quantities[line.productId] ?? 0 }))
      .filter((line) => line.quantity > 0);
    if (items.length === 0) return setProblem("Choose at least one item to return.");
    if (!reason.trim()) return setProblem("Say why you are returning them.");
    setProblem(null);
    setBusy(true);
    setError(null);
    try {
      await requestReturn(props.order.id, items, reason.trim());
      props.onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card panel" onSubmit={submit} aria-labelledby="return-form-title">
      <h3 id="return-form-title">Return items</h3>
      <p class="muted">Within 30 days of delivery. Shipping is not refunded.</p>
      <table class="lines scroll">
        <caption class="sr-only">What to return</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Returnable</th>
            <th scope="col">Quantity to return</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line) => {
            const max = props.left.get(line.productId) ?? 0;
            return (
              <tr key={line.productId}>
                <th scope="row">{line.name}</th>
                <td>{max}</td>
                <td>
                  <input
                    class="qty"
                    type="number"
                    min="0"
                    max={max}
                    inputMode="numeric"
                    aria-label={`Quantity of ${line.name} to return`}
                    value={quantities[line.productId] ?? 0}
                    onInput={(e) => {
                      const n = Math.floor(Number(e.currentTarget.value) || 0);
                      setQuantities({ ...quantities, [line.productId]: Math.min(max, Math.max(0, n)) });
                    }}
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div class="field">
        <label for="return-reason">Reason</label>
        <textarea
          id="return-reason"
          rows={3}
          maxLength={500}
          required
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </div>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <ReturnError error={error} />
      <div class="row">
        <button class="primary" type="submit" disabled={busy}>
          Request return
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** One return: status, what, the refund, the steps with their notes. */
export function ReturnCard({ item, showOrder = false }: { item: Return; showOrder?: boolean }) {
  return (
    <li class="card" data-return-id={item.id} data-status={item.status}>
      <div class="row">
        <strong>Return {item.id.slice(-8)}</strong>
        <StatusBadge status={item.status} />
        {showOrder && <Link href={`/orders/${item.orderId}`}>Order {item.orderId.slice(-8)}</Link>}
        <span>
          {item.status === "REFUNDED" ? "Refunded" : "Refund"} {money(item.amount)}
        </span>
      </div>
      <p>
        {item.items.map((line) => `${line.name} × ${line.quantity}`).join(", ")}.{" "}
        <span class="muted">Reason: {item.reason}</span>
      </p>
      <ol class="steps muted">
        {item.history.map((h) => (
          <li key={h.index}>
            {h.status} {when(h.at)}
            {h.note && `: ${h.note}`}
          </li>
        ))}
      </ol>
    </li>
  );
}

/** "My returns": every return of the caller, newest first, ten a page. */
export function ReturnsPage() {
  const [page, setPage] = useState(1);
  const [list, setList] = useState<Return[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    listReturns({ page, limit: 10 }).then(({ data, meta }) => {
      setList(data);
      setTotal(meta?.total ?? data.length);
    }, setError);
  }, [page]);
  const pages = Math.max(1, Math.ceil(total / 10));
  return (
    <section aria-labelledby="my-returns-title">
      <h1 id="my-returns-title">My returns</h1>
      <ErrorNote error={error} />
      {!list && !error && <Loading />}
      {list?.length === 0 && (
        <p>
          No returns. A delivered order can be returned from <Link href="/orders">its page</Link>.
        </p>
      )}
      <ul class="list" data-testid="returns">
        {list?.map((r) => (
          <ReturnCard key={r.id} item={r} showOrder />
        ))}
      </ul>
      <Pager page={page} pages={pages} onPage={setPage} />
    </section>
  );
}
