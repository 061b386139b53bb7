//! The figures the API answers, built from the read models; the checkout's reports (discounts,
//! funnel, loyalty) in [`commerce`].

pub mod aftersales;
pub mod commerce;
pub mod sales;
pub mod weekly;

use std::collections::{HashMap, HashSet};

use mongodb::Database;
use shared::{
    ApiError, Money,
    api::reports::{
        AssistantStats, BusinessMetrics, DailyRevenue, DashboardMetrics, IntentShare, Latency,
        TopProduct,
    },
};

use crate::{
    domain::{
        Cents, DayRange,
        figures::{self, Totals, rounded_div},
        ledger::OrderRow,
    },
    store::{facts, orders, rows},
};

/// Revenue and orders that count per day, from `rows`.
fn per_day(rows: &[OrderRow]) -> HashMap<String, Totals> {
    let mut out: HashMap<String, Totals> = HashMap::new();
    for row in rows {
        if let (Some(revenue), Some(day)) = (row.revenue(), &row.day) {
            let t = out.entry(day.clone()).or_default();
            t.revenue += revenue;
            t.orders += 1;
        }
    }
    out
}

/// What refunds took back per day (the day the order was placed), from `rows`.
fn refunds_per_day(rows: &[OrderRow]) -> HashMap<String, Cents> {
    let mut out: HashMap<String, Cents> = HashMap::new();
    for row in rows {
        if let Some(day) = &row.day {
            *out.entry(day.clone()).or_default() += row.taken_back();
        }
    }
    out
}

/// `[{date, revenue, gross, refunds, net, orderCount, newCustomers}]`, one row per day of
/// `range`, zeros included. `gross` is what was recognised (paid, or invoiced and under way),
/// `refunds` what refunds and voids took back of it, `net` = `gross` − `refunds`; `revenue` is
/// `net` (as it always was: money paid net of refunds, [`crate::domain::ledger`]). All on the
/// day the order was placed; `orderCount` the orders that count (a fully refunded one does not).
pub async fn daily_revenue(db: &Database, range: DayRange) -> Result<Vec<DailyRevenue>, ApiError> {
    let rows = rows::rows(db, Some(range), false).await?;
    let per_day = per_day(&rows);
    let refunds = refunds_per_day(&rows);
    let customers = facts::per_day(db, facts::CUSTOMERS, range).await?;
    Ok(range
        .days()
        .map(|day| {
            let text = day.text();
            let t = per_day.get(&text).copied().unwrap_or_default();
            let back = refunds.get(&text).copied().unwrap_or(0);
            DailyRevenue {
                new_customers: customers.get(&text).copied().unwrap_or(0),
                date: text,
                revenue: Money::from_cents(t.revenue),
                gross: Money::from_cents(t.revenue + back),
                refunds: Money::from_cents(back),
                net: Money::from_cents(t.revenue),
                order_count: t.orders,
            }
        })
        .collect())
}

/// Revenue and order count over `range`.
pub async fn totals(db: &Database, range: DayRange) -> Result<Totals, ApiError> {
    let rows = rows::rows(db, Some(range), false).await?;
    Ok(per_day(&rows)
        .values()
        .fold(Totals::default(), |t, d| Totals {
            revenue: t.revenue + d.revenue,
            orders: t.orders + d.orders,
        }))
}

/// `{totalRevenue, orders, averageOrderValue, refunded, customers, ordersByStatus, ...}` over
/// all time.
pub async fn dashboard_metrics(db: &Database) -> Result<DashboardMetrics, ApiError> {
    let by_status = orders::per_status(db)
        .await?
        .into_iter()
        .filter(|(status, _)| status != "UNKNOWN")
        .collect();
    let mut counted = Totals::default();
    let mut refunded = 0;
    let mut customers = HashSet::new();
    for row in rows::rows(db, None, false).await? {
        refunded += row.taken_back();
        if let Some(revenue) = row.revenue() {
            counted.revenue += revenue;
            counted.orders += 1;
            customers.extend(row.customer_id);
        }
    }
    let alerts = facts::count_by(db, facts::ALERTS, "severity").await?;
    Ok(DashboardMetrics {
        total_revenue: Money::from_cents(counted.revenue),
        orders: counted.orders,
        average_order_value: Money::from_cents(counted.average()),
        refunded: Money::from_cents(refunded),
        customers: count(facts::count(db, facts::CUSTOMERS).await?),
        ordering_customers: count(customers.len()),
        orders_by_status: by_status,
        stock_low_events: count(facts::count(db, facts::STOCK_LOW).await?),
        alerts_sent: alerts.values().sum::<i64>(),
        alerts_by_severity: alerts,
        after_sales: aftersales::summary(db, None).await?,
    })
}

/// A count as the reports give it.
fn count(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

/// `[{productId, name, units, revenue}]` over the orders that count (placed in `range`, or
/// ever), by revenue then units. A line's revenue is its price as ordered (before the order's
/// discounts).
pub async fn top_products(
    db: &Database,
    range: Option<DayRange>,
    limit: usize,
) -> Result<Vec<TopProduct>, ApiError> {
    let mut totals: HashMap<String, (Option<String>, i64, Cents)> = HashMap::new();
    for row in rows::rows(db, range, true).await? {
        if row.revenue().is_none() {
            continue;
        }
        for line in row.lines {
            let entry = totals.entry(line.product_id).or_default();
            if line.name.is_some() {
                entry.0 = line.name;
            }
            entry.1 += line.quantity;
            entry.2 += line.revenue;
        }
    }
    let mut rows: Vec<_> = totals.into_iter().collect();
    rows.sort_by(|a, b| (b.1.2, b.1.1, &a.0).cmp(&(a.1.2, a.1.1, &b.0)));
    rows.truncate(limit);
    Ok(rows
        .into_iter()
        .map(|(id, (name, units, revenue))| TopProduct {
            product_id: id,
            name,
            units,
            revenue: Money::from_cents(revenue),
        })
        .collect())
}

/// Business metrics of `range` against the period of the same length before it, with the
/// loyalty programme's figures of `range`.
pub async fn business(db: &Database, range: DayRange) -> Result<BusinessMetrics, ApiError> {
    let now = totals(db, range).await?;
    let before = totals(db, range.previous()).await?;
    let loyalty = commerce::loyalty(db, range).await?;
    Ok(figures::business(range, now, before, loyalty))
}

/// `{replies, intents, functionCalls, responseTimeMs: {average, p50, p95, p99, max}}`.
pub async fn assistant_stats(db: &Database) -> Result<AssistantStats, ApiError> {
    let intents = facts::count_by(db, facts::REPLIES, "intent").await?;
    let (functions, mut latencies) = facts::replies(db).await?;
    latencies.sort_unstable();
    let pick = |p: f64| -> Option<i64> {
        let n = latencies.len();
        (n > 0).then(|| latencies[((p * n as f64).ceil() as usize).clamp(1, n) - 1])
    };
    let average = (!latencies.is_empty())
        .then(|| rounded_div(latencies.iter().sum(), latencies.len() as i64));
    let replies: i64 = intents.values().sum();
    let distribution = intents
        .iter()
        .map(|(intent, n)| {
            let share = if replies == 0 {
                0.0
            } else {
                (*n as f64 / replies as f64 * 1e4).round() / 1e4
            };
            (intent.clone(), IntentShare { count: *n, share })
        })
        .collect();
    Ok(AssistantStats {
        replies,
        intents: distribution,
        total_function_calls: functions.values().sum::<i64>(),
        function_calls: functions,
        response_time_ms: Latency {
            average,
            p50: pick(0.5),
            p95: pick(0.95),
            p99: pick(0.99),
            max: latencies.last().copied(),
        },
    })
}
