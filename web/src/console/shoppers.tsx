// What shoppers do, from the storefront's clickstream (`GET /api/analytics/clickstream`): the
// funnel from product views to paid orders over the last 7 or 30 days with its ratios, each
// day, the products shown most and how far they got, the searches made most and the ones that
// found nothing (what the catalog is missing). A product no order named yet is named by the
// catalog (a deleted one keeps its id).

import { useEffect, useState } from "preact/hooks";
import { get } from "../api";
import { money } from "../shop";
import { ErrorNote, Loading } from "../ui";

interface Ratios {
  cartPerView: number | null;
  checkoutPerCart: number | null;
  paidPerCheckout: number | null;
}
interface ClickDay {
  date?: string;
  sessions: number;
  pageViews: number;
  productViews: number;
  addToCart: number;
  checkoutsStarted: number;
  paidOrders: number;
  searches: number;
  searchesWithoutResult: number;
  ratios: Ratios;
}
interface ClickProduct {
  productId: string;
  name: string | null;
  views: number;
  carts: number;
  paidOrders: number;
  units: number;
  revenue: number;
  cartPerView: number | null;
}
interface SearchCount {
  query: string;
  count: number;
  withoutResult: number;
}
interface Clickstream {
  days: ClickDay[];
  totals: ClickDay;
  products: ClickProduct[];
  topSearches: SearchCount[];
  searchesWithoutResult: SearchCount[];
}

const percent = (r: number | null) => (r === null ? "—" : `${(100 * r).toFixed(1)} %`);

export function Shoppers() {
  const [days, setDays] = useState(7);
  const [report, setReport] = useState<Clickstream | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const abort = new AbortController();
    setError(null);
    get<Clickstream>(`/analytics/clickstream?days=${days}`, abort.signal)
      .then(async (found) => {
        // Analytics knows a product's name only from its orders: ask the catalog for the rest.
        const products = await Promise.all(
          found.products.map((p) =>
            p.name
              ? p
              : get<{ name: string }>(`/products/${p.productId}`, abort.signal).then(
                  ({ name }) => ({ ...p, name }),
                  () => p,
                ),
          ),
        );
        setReport({ ...found, products });
      })
      .catch((e) => abort.signal.aborted || setError(e));
    return () => abort.abort();
  }, [days]);

  if (error) return <ErrorNote error={error} />;
  if (!report) return <Loading />;
  const t = report.totals;
  const steps: [string, number, string][] = [
    ["Product views", t.productViews, ""],
    ["Put in a cart", t.addToCart, percent(t.ratios.cartPerView)],
    ["Checkouts started", t.checkoutsStarted, percent(t.ratios.checkoutPerCart)],
    ["Paid orders", t.paidOrders, percent(t.ratios.paidPerCheckout)],
  ];
  return (
    <section aria-labelledby="shoppers-title">
      <h1 id="shoppers-title">Shoppers</h1>
      <label>
        Period{" "}
        <select value={days} onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}>
          <option value={7}>Last 7 days</option>
          <option value={30}>Last 30 days</option>
        </select>
      </label>
      <p>
        {t.sessions} browsing sessions, {t.pageViews} pages shown, {t.searches} searches.
      </p>
      <h2>Funnel</h2>
      <ol class="funnel" data-testid="funnel">
        {steps.map(([label, n, ratio]) => (
          <li key={label}>
            <strong>{n}</strong> {label}
            {ratio && <span class="muted"> ({ratio} of the step before)</span>}
          </li>
        ))}
      </ol>
      <h2>Per day</h2>
      <table>
        <thead>
          <tr>
            <th>Day</th>
            <th>Sessions</th>
            <th>Product views</th>
            <th>Carts</th>
            <th>Checkouts</th>
            <th>Paid orders</th>
            <th>Searches (none found)</th>
          </tr>
        </thead>
        <tbody>
          {report.days.map((d) => (
            <tr key={d.date}>
              <td>{d.date}</td>
              <td>{d.sessions}</td>
              <td>{d.productViews}</td>
              <td>{d.addToCart}</td>
              <td>{d.checkoutsStarted}</td>
              <td>{d.paidOrders}</td>
              <td>
                {d.searches} ({d.searchesWithoutResult})
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Products</h2>
      {report.products.length === 0 ? (
        <p>No product was viewed or bought in this period.</p>
      ) : (
        <table data-testid="click-products">
          <thead>
            <tr>
              <th>Product</th>
              <th>Views</th>
              <th>Carts</th>
              <th>Cart rate</th>
              <th>Paid orders</th>
              <th>Revenue</th>
            </tr>
          </thead>
          <tbody>
            {report.products.map((p) => (
              <tr key={p.productId}>
                <td>
                  <a href={`/products/${p.productId}`}>{p.name ?? p.productId}</a>
                </td>
                <td>{p.views}</td>
                <td>{p.carts}</td>
                <td>{percent(p.cartPerView)}</td>
                <td>{p.paidOrders}</td>
                <td>{money(p.revenue)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="columns">
        <Searches title="Top searches" testid="top-searches" list={report.topSearches} empty="No search yet." />
        <Searches
          title="Searches that found nothing"
          testid="empty-searches"
          list={report.searchesWithoutResult}
          empty="Every search found something."
        />
      </div>
    </section>
  );
}

function Searches(props: { title: string; testid: string; list: SearchCount[]; empty: string }) {
  return (
    <div>
      <h2>{props.title}</h2>
      {props.list.length === 0 ? (
        <p>{props.empty}</p>
      ) : (
        <ol data-testid={props.testid}>
          {props.list.map((s) => (
            <li key={s.query}>
              “{s.query}” — {s.count} {s.count === 1 ? "time" : "times"}
              {s.withoutResult > 0 && `, ${s.withoutResult} with no result`}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
