// Revenue by day (a uPlot line), the headline figures and the best sellers, kept current over
// `/ws/analytics`: each `dashboard` message carries the figures and today's revenue, which
// replace the chart's last point in place (no reload, no layout shift); the best sellers are
// read again when the figures changed. The days before today come from
// `/analytics/daily-revenue` once.

import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { download, get, request } from "../api";
import { money } from "../shop";
import { type Connection, socket } from "../live";
import { ErrorNote, LiveBadge, Loading } from "../ui";

interface Day {
  date: string;
  revenue: number;
  orderCount: number;
}
interface Top {
  productId: string;
  name: string;
  units: number;
  revenue: number;
}
interface Metrics {
  totalRevenue: number;
  orders: number;
  averageOrderValue: number;
  customers: number;
  alertsSent: number;
  ordersByStatus: Record<string, number>;
}

const iso = (d: Date) => d.toISOString().slice(0, 10);

export function Analytics() {
  const [days, setDays] = useState<Day[] | null>(null);
  const [top, setTop] = useState<Top[] | null>(null);
  const [metrics, setMetrics] = useState<Metrics | null>(null);
  const [state, setState] = useState<Connection>("connecting");
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const abort = new AbortController();
    const to = new Date();
    const from = new Date(to.getTime() - 13 * 86_400_000);
    const fail = (e: unknown) => abort.signal.aborted || setError(e);
    const readTop = () => get<Top[]>("/analytics/top-products?limit=8", abort.signal).then(setTop, fail);
    get<Day[]>(`/analytics/daily-revenue?from=${iso(from)}&to=${iso(to)}`, abort.signal).then(
      (list) => setDays((known) => (known ? merge(list, known[known.length - 1]) : list)),
      fail,
    );
    readTop();
    socket(
      "analytics",
      () => [],
      (message) => {
        if (message.type !== "dashboard" || !message.data) return;
        setMetrics(message.data.metrics);
        const today: Day | undefined = message.data.today;
        if (today) setDays((known) => merge(known ?? [], today));
        readTop();
      },
      setState,
      abort.signal,
    );
    return () => abort.abort();
  }, []);

  if (!days) return error ? <ErrorNote error={error} /> : <Loading />;
  const most = Math.max(1, ...(top ?? []).map((t) => t.revenue));
  const today = days[days.length - 1];
  return (
    <section aria-labelledby="analytics-title">
      <h1 id="analytics-title">
        Analytics <LiveBadge state={state} />
      </h1>
      <ErrorNote error={error} />
      <dl class="figures" data-testid="figures">
        <Figure label="Revenue today" value={money(today?.revenue)} testid="today-revenue" />
        <Figure label="Orders today" value={String(today?.orderCount ?? 0)} testid="today-orders" />
        <Figure label="Revenue, all time" value={metrics ? money(metrics.totalRevenue) : "…"} testid="total-revenue" />
        <Figure label="Orders, all time" value={metrics ? String(metrics.orders) : "…"} testid="total-orders" />
        <Figure label="Average order" value={metrics ? money(metrics.averageOrderValue) : "…"} />
        <Figure label="Customers" value={metrics ? String(metrics.customers) : "…"} />
        <Figure label="Alerts sent" value={metrics ? String(metrics.alertsSent) : "…"} />
      </dl>
      <h2>Revenue by day</h2>
      <RevenueChart days={days} />
      <p class="muted" data-testid="revenue-total">
        Last 14 days: {money(days.reduce((sum, d) => sum + d.revenue, 0))} from{" "}
        {days.reduce((n, d) => n + d.orderCount, 0)} orders
      </p>
      <SalesReport />
      <h2>Top products</h2>
      <ol class="bars" aria-label="Top products by revenue" data-testid="top-products">
        {top?.map((t) => (
          <li key={t.productId}>
            <span class="bar-label">
              {t.name} · {t.units} sold · {money(t.revenue)}
            </span>
            <span class="bar" style={{ width: `${(100 * t.revenue) / most}%` }} />
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The days with `today` in its place (replacing the same date, or added after the rest). */
function merge(days: Day[], today: Day): Day[] {
  if (days.length === 0) return [today];
  const last = days[days.length - 1];
  if (last.date === today.date) return [...days.slice(0, -1), today];
  return last.date < today.date ? [...days.slice(1), today] : days;
}

function Figure(props: { label: string; value: string; testid?: string }) {
  return (
    <div>
      <dt>{props.label}</dt>
      <dd data-testid={props.testid}>{props.value}</dd>
    </div>
  );
}

function RevenueChart({ days }: { days: Day[] }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const data: uPlot.AlignedData = [
    days.map((d) => Date.parse(`${d.date}T12:00:00Z`) / 1000),
    days.map((d) => d.revenue),
  ];
  useEffect(() => {
    if (!box.current) return;
    chart.current = new uPlot(
      {
        width: Math.min(760, box.current.clientWidth || 760),
        height: 260,
        series: [{}, { label: "Revenue ($)", stroke: "#1d4ed8", width: 2, fill: "rgba(29,78,216,0.12)" }],
        axes: [{}, { values: (_u, ticks) => ticks.map((t) => `$${t}`) }],
      },
      data,
      box.current,
    );
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, []);
  // A new figure moves the line in place: the chart is not rebuilt.
  useEffect(() => chart.current?.setData(data), [days]);
  return (
    <div ref={box} class="chart" role="img" data-testid="revenue-chart"
      data-today={days[days.length - 1]?.revenue ?? 0}
      aria-label={`Revenue per day, last 14 days; today ${money(days[days.length - 1]?.revenue)}`} />
  );
}

/** The sales report of a period to download, as a spreadsheet or a printable PDF. */
function SalesReport() {
  const [days, setDays] = useState(30);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fetchReport = async (kind: "csv" | "pdf") => {
    setBusy(true);
    setError(null);
    try {
      await download(`/analytics/reports/sales.${kind}?days=${days}`, `sales.${kind}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="report-title">
      <h2 id="report-title">Sales report</h2>
      <p>
        Totals, revenue by day, best sellers, discounts and returns of{" "}
        <select aria-label="Report period" value={days} onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}>
          <option value={7}>the last 7 days</option>
          <option value={30}>the last 30 days</option>
          <option value={90}>the last 90 days</option>
        </select>
        {": "}
        <button type="button" disabled={busy} onClick={() => fetchReport("pdf")}>
          Download PDF
        </button>{" "}
        <button type="button" disabled={busy} onClick={() => fetchReport("csv")}>
          Download CSV
        </button>
      </p>
      <WeeklyMail />
      <ErrorNote error={error} />
    </section>
  );
}

interface WeeklyIssued {
  report: { week: string; period: { from: string; to: string }; orders: number; net: number };
  issued: boolean;
}

/** Mails last week's report to the staff now (the Monday schedule does it by itself); a week
 * goes out once, so asking again only says it went out. */
function WeeklyMail() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<WeeklyIssued | null>(null);
  const send = async () => {
    setBusy(true);
    setError(null);
    try {
      setDone((await request<WeeklyIssued>("/analytics/reports/weekly", { method: "POST" })).data);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <p>
      Every Monday the staff is mailed last week's report.{" "}
      <button type="button" disabled={busy} onClick={send}>
        Mail last week's report now
      </button>
      {done && (
        <span class="ok" role="status">
          {" "}
          {done.issued ? "Sent" : "Already sent"}: week {done.report.week} ({done.report.period.from} to{" "}
          {done.report.period.to}), {done.report.orders} orders, {money(done.report.net)} net.
        </span>
      )}
      <ErrorNote error={error} />
    </p>
  );
}
