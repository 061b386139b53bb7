// Live alerts: the latest from `GET /alerts`, then new ones over `/ws/alerts` (all topics,
// replaying from the newest id seen after a reconnect); each can be acknowledged.

import { useEffect, useRef, useState } from "preact/hooks";
import { get, request } from "../api";
import { type Connection, socket } from "../live";
import { ErrorNote, LiveBadge, Loading } from "../ui";

interface Alert {
  id: string;
  sequence: number;
  type: string;
  topic: string;
  severity: "info" | "warning" | "critical";
  title: string;
  message: string;
  createdAt: string;
  acknowledged: boolean;
}

export function Alerts() {
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  const [state, setState] = useState<Connection>("connecting");
  const [error, setError] = useState<unknown>(null);
  const newest = useRef<string | null>(null);

  const add = (incoming: Alert[]) =>
    setAlerts((known) => {
      const byId = new Map((known ?? []).map((a) => [a.id, a]));
      for (const a of incoming) byId.set(a.id, a);
      const list = [...byId.values()].sort((a, b) => b.sequence - a.sequence).slice(0, 200);
      newest.current = list[0]?.id ?? newest.current;
      return list;
    });

  useEffect(() => {
    const abort = new AbortController();
    get<Alert[]>("/alerts?limit=50", abort.signal).then(add, (e) => abort.signal.aborted || setError(e));
    socket(
      "alerts",
      () => [{ type: "subscribe", topics: ["all"] }],
      (message) => {
        if (message.type === "alert" && message.alert) add([message.alert]);
      },
      setState,
      abort.signal,
      (): Record<string, string> => (newest.current ? { since: newest.current } : {}),
    );
    return () => abort.abort();
  }, []);

  const ack = async (id: string) => {
    try {
      await request(`/alerts/${id}/ack`, { method: "POST" });
      setAlerts((list) => list?.map((a) => (a.id === id ? { ...a, acknowledged: true } : a)) ?? null);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title">
        Alerts <LiveBadge state={state} />
      </h1>
      <ErrorNote error={error} />
      {!alerts && !error && <Loading />}
      {alerts?.length === 0 && <p>No alerts.</p>}
      <ul class="list" aria-live="polite">
        {alerts?.map((a) => (
          <li key={a.id} class={`card alert sev-${a.severity}`} data-alert-id={a.id}>
            <div class="row">
              <span class={`badge sev-${a.severity}`}>{a.severity}</span>
              <strong>{a.title}</strong>
              <span class="muted">
                {a.topic} · {new Date(a.createdAt).toLocaleString()}
              </span>
            </div>
            <p>{a.message}</p>
            {a.acknowledged ? (
              <span class="muted">Acknowledged</span>
            ) : (
              <button class="small" onClick={() => ack(a.id)}>
                Acknowledge<span class="sr-only"> {a.title}</span>
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
