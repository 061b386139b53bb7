// Returns handling: the returns by status (newest first), and on each the admin's steps:
// approve, reject (with a reason, kept in the return's history), mark the parcel received.
// A row that was acted on stays in view with the answer; a received return is read again every
// few seconds until its refund is written (`REFUNDED` with the provider's reference).

import { useEffect, useState } from "preact/hooks";
import { get } from "../api";
import { money } from "../shop";
import { RETURN_STATUSES, type Return, listReturns, moveReturn } from "../aftersales";
import { ErrorNote, Loading, Pager, StatusBadge } from "../ui";

const PAGE = 20;

export function ReturnsDesk() {
  const [status, setStatus] = useState("REQUESTED");
  const [page, setPage] = useState(1);
  const [list, setList] = useState<Return[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    setList(null);
    listReturns({ status: status || undefined, page, limit: PAGE }).then(({ data, meta }) => {
      setList(data);
      setTotal(meta?.total ?? data.length);
      setError(null);
    }, setError);
  }, [status, page]);

  const replace = (next: Return) =>
    setList((known) => known?.map((r) => (r.id === next.id ? next : r)) ?? null);

  // A refund follows a received parcel by itself: follow it until it is written.
  const waiting = (list ?? []).filter((r) => r.status === "RECEIVED").map((r) => r.id);
  const key = waiting.join(",");
  useEffect(() => {
    if (waiting.length === 0) return;
    const timer = setInterval(() => {
      for (const id of waiting) get<Return>(`/returns/${id}`).then(replace, () => {});
    }, 2000);
    return () => clearInterval(timer);
  }, [key]);

  const pages = Math.max(1, Math.ceil(total / PAGE));
  return (
    <section aria-labelledby="returns-desk-title">
      <h1 id="returns-desk-title">Returns</h1>
      <div class="filters">
        <div class="field">
          <label for="return-status">Status</label>
          <select
            id="return-status"
            value={status}
            onChange={(e) => {
              setStatus(e.currentTarget.value);
              setPage(1);
            }}
          >
            <option value="">All</option>
            {RETURN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <p class="muted">{list ? `${total} return${total === 1 ? "" : "s"}` : ""}</p>
      </div>
      <ErrorNote error={error} />
      {!list && !error && <Loading />}
      {list?.length === 0 && <p>No returns{status ? ` in ${status}` : ""}.</p>}
      {list && list.length > 0 && (
        <table class="lines scroll" data-testid="returns-desk">
          <caption class="sr-only">Returns, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Return</th>
              <th scope="col">Items and reason</th>
              <th scope="col">Refund</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <Row key={r.id} item={r} onChange={replace} />
            ))}
          </tbody>
        </table>
      )}
      <Pager page={page} pages={pages} onPage={setPage} />
    </section>
  );
}

function Row({ item, onChange }: { item: Return; onChange: (r: Return) => void }) {
  const [note, setNote] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const short = item.id.slice(-8);
  const act = async (action: "approve" | "reject" | "receive") => {
    if (action === "reject" && !note.trim()) {
      return setProblem("Give the customer a reason to reject the return.");
    }
    setProblem(null);
    setBusy(true);
    setError(null);
    try {
      onChange((await moveReturn(item.id, action, note)).data);
      setNote("");
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const open = item.status === "REQUESTED" || item.status === "APPROVED";
  const last = item.history[item.history.length - 1];
  return (
    <tr data-return-id={item.id} data-status={item.status}>
      <th scope="row">
        #{short}
        <div class="muted">
          order {item.orderId.slice(-8)} · {new Date(item.createdAt).toLocaleString()}
        </div>
      </th>
      <td>
        {item.items.map((line) => `${line.name} × ${line.quantity}`).join(", ")}
        <div class="muted">“{item.reason}”</div>
        {last?.note && <div class="muted">Note: {last.note}</div>}
      </td>
      <td data-testid="return-refund">
        {money(item.amount)}
        {item.status === "RECEIVED" && <div class="muted">refund on its way…</div>}
        {item.status === "REFUNDED" && (
          <div class="ok">refunded{item.refundRef ? ` (${item.refundRef})` : ""}</div>
        )}
      </td>
      <td>
        <StatusBadge status={item.status} />
      </td>
      <td class="actions">
        {open && (
          <div class="field">
            <label for={`note-${item.id}`}>Note or reason</label>
            <input
              id={`note-${item.id}`}
              maxLength={500}
              value={note}
              onInput={(e) => setNote(e.currentTarget.value)}
            />
          </div>
        )}
        {item.status === "REQUESTED" && (
          <button class="small" disabled={busy} onClick={() => act("approve")}>
            Approve<span class="sr-only"> return {short}</span>
          </button>
        )}{" "}
        {item.status === "APPROVED" && (
          <button class="small" disabled={busy} onClick={() => act("receive")}>
            Mark received<span class="sr-only"> return {short}</span>
          </button>
        )}{" "}
        {open && (
          <button class="small" disabled={busy} onClick={() => act("reject")}>
            Reject<span class="sr-only"> return {short}</span>
          </button>
        )}
        {problem && (
          <p class="error" role="alert">
            {problem}
          </p>
        )}
        <ErrorNote error={error} />
      </td>
    </tr>
  );
}
