// Revenue by day (a uPlot line) and the best sellers (a bar list with a table's semantics),
// from `/api/analytics/...`, read again every ten seconds so new orders show.

import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { get, money } from "../api";
import { ErrorNote, Loading } from "../ui";

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

const iso = (d: Date) => d.toISOString().slice(0, 10);

export function Analytics() {
  const [days, setDays] = useState<Day[] | null>(null);
  const [top, setTop] = useState<Top[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let stop = false;
    let timer = 0;
    const read = async () => {
      const to = new Date();
      const from = new Date(to.getTime() - 13 * 86_400_000);
      try {
        const [d, t] = await Promise.all([
          get<Day[]>(`/analytics/daily-revenue?from=${iso(from)}&to=${iso(to)}`),
          get<Top[]>("/analytics/top-products?limit=8"),
        ]);
        setDays(d);
        setTop(t);
        setError(null);
      } catch (e) {
        setError(e);
      }
      if (!stop) timer = window.setTimeout(read, 10_000);
    };
    read();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, []);

  if (!days) return error ? <ErrorNote error={error} /> : <Loading />;
  const most = Math.max(1, ...(top ?? []).map((t) => t.revenue));
  return (
    <section aria-labelledby="analytics-title">
      <h1 id="analytics-title">Analytics</h1>
      <ErrorNote error={error} />
      <h2>Revenue by day</h2>
      <RevenueChart days={days} />
      <p class="muted" data-testid="revenue-total">
        Last 14 days: {money(days.reduce((sum, d) => sum + d.revenue, 0))} from{" "}
        {days.reduce((n, d) => n + d.orderCount, 0)} orders
      </p>
      <h2>Top products</h2>
      <ol class="bars" aria-label="Top products by revenue">
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

function RevenueChart({ days }: { days: Day[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const data: uPlot.AlignedData = [
      days.map((d) => Date.parse(`${d.date}T12:00:00Z`) / 1000),
      days.map((d) => d.revenue),
    ];
    const chart = new uPlot(
      {
        width: Math.min(760, box.current.clientWidth || 760),
        height: 260,
        series: [{}, { label: "Revenue ($)", stroke: "#1d4ed8", width: 2, fill: "rgba(29,78,216,0.12)" }],
        axes: [{}, { values: (_u, ticks) => ticks.map((t) => `$${t}`) }],
      },
      data,
      box.current,
    );
    return () => chart.destroy();
  }, [days]);
  return <div ref={box} class="chart" role="img" aria-label="Revenue per day, last 14 days" />;
}
