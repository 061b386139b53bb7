// Every service's health from `GET /api/health` (the gateway's aggregate), read again every
// five seconds: each service's status and the state of each of its dependencies.

import { useEffect, useState } from "preact/hooks";
import { get } from "../api";
import { ErrorNote, Loading } from "../ui";

interface Report {
  status: string;
  [part: string]: unknown;
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
            </tr>
          ))}
        </tbody>
      </table>
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
