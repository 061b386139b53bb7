// Every service's health from `GET /api/health` (the gateway's aggregate) and the dead letters
// by queue (`GET /api/analytics/dead-letters`), read again every five seconds. Each service's
// outbox backlog (documents holding events not yet published, and the age of the oldest due
// event) comes with its health report.

import { useEffect, useState } from "preact/hooks";
import { get } from "../api";
import { ErrorNote, Loading } from "../ui";

interface Report {
  status: string;
  [part: string]: unknown;
}
interface DeadLetter {
  queue?: string | null;
  type: string;
}
interface Aggregate {
  status: string;
  gateway: Report;
  services: Record<string, Report>;
}

export function Health() {
  const [health, setHealth] = useState<Aggregate | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [at, setAt] = useState<Date | null>(null);
  const [dead, setDead] = useState<DeadLetter[] | null>(null);
  const [deadError, setDeadError] = useState<unknown>(null);

  useEffect(() => {
    let stop = false;
    const read = async () => {
      try {
        setHealth(await get<Aggregate>("/health"));
        setAt(new Date());
        setError(null);
      } catch (e) {
        setError(e);
      }
      try {
        setDead(await get<DeadLetter[]>("/analytics/dead-letters?limit=1000"));
        setDeadError(null);
      } catch (e) {
        setDeadError(e);
      }
      if (!stop) timer = setTimeout(read, 5000);
    };
    let timer = setTimeout(read, 0);
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, []);

  if (!health) return error ? <ErrorNote error={error} /> : <Loading />;
  const rows: [string, Report][] = [["gateway", health.gateway], ...Object.entries(health.services)];
  return (
    <section aria-labelledby="health-title">
      <h1 id="health-title">
        Health <span class={`badge health-${health.status}`}>{health.status}</span>
      </h1>
      <ErrorNote error={error} />
      <p class="muted">Read {at?.toLocaleTimeString()}, again every 5 seconds.</p>
      <table class="lines" data-testid="health">
        <caption class="sr-only">Each service and its dependencies</caption>
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Status</th>
            <th scope="col">Dependencies</th>
            <th scope="col">Outbox backlog</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([name, report]) => (
            <tr key={name} data-service={name}>
              <th scope="row">{name}</th>
              <td>
                <span class={`badge health-${report.status}`}>{report.status}</span>
              </td>
              <td>{dependencies(report)}</td>
              <td data-testid="outbox-backlog">{backlog(report)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <DeadLetters letters={dead} error={deadError} />
    </section>
  );
}

/** `name: state` for each dependency a report names, whatever shape it uses. */
function dependencies(report: Report): string {
  const deps = (report.dependencies ?? report.checks) as Record<string, any> | undefined;
  if (!deps || typeof deps !== "object") return report.error ? String(report.error) : "—";
  return Object.entries(deps)
    .map(([name, value]) => `${name}: ${typeof value === "object" ? value?.status ?? "?" : value}`)
    .join(", ");
}

/** The documents waiting in each outbox collection of a service ("—" without an outbox). */
function backlog(report: Report): string {
  const outbox = report.outbox as Record<string, { pending: number; oldestSeconds: number }> | undefined;
  if (!outbox || typeof outbox !== "object" || Object.keys(outbox).length === 0) return "—";
  return Object.entries(outbox)
    .map(([name, b]) => `${name}: ${b.pending}${b.pending > 0 && b.oldestSeconds > 0 ? ` (oldest ${b.oldestSeconds} s)` : ""}`)
    .join(", ");
}

/** How many events each queue dead-lettered (the listing shows at most 1000). */
function DeadLetters({ letters, error }: { letters: DeadLetter[] | null; error: unknown }) {
  const byQueue = new Map<string, number>();
  for (const l of letters ?? []) byQueue.set(l.queue ?? "unknown", (byQueue.get(l.queue ?? "unknown") ?? 0) + 1);
  return (
    <>
      <h2>
        Dead letters <span class="badge" data-testid="dead-letter-count">{letters ? letters.length : "…"}</span>
      </h2>
      <ErrorNote error={error} />
      {letters && letters.length === 0 && <p>No dead-lettered events.</p>}
      {byQueue.size > 0 && (
        <table class="lines" data-testid="dead-letters">
          <caption class="sr-only">Dead-lettered events by the queue they died in</caption>
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Events</th>
            </tr>
          </thead>
          <tbody>
            {[...byQueue].map(([queue, n]) => (
              <tr key={queue}>
                <th scope="row">{queue}</th>
                <td>{n}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
