//! The figures the API answers, built from the read models.

use mongodb::Database;
use serde_json::{Value, json};
use shared::{ApiError, Money};

use crate::{
    domain::{
        DayRange,
        figures::{self, Totals, rounded_div},
    },
    store::{facts, orders},
};

/// `[{date, revenue, orderCount, newCustomers}]`, one row per day of `range`, zeros included.
pub async fn daily_revenue(db: &Database, range: DayRange) -> Result<Vec<Value>, ApiError> {
    let per_day: std::collections::HashMap<String, (i64, i64)> = orders::per_day(db, range)
        .await?
        .into_iter()
        .map(|(day, revenue, count)| (day, (revenue, count)))
        .collect();
    let customers = facts::per_day(db, facts::CUSTOMERS, range).await?;
    Ok(range
        .days()
        .map(|day| {
            let text = day.text();
            let (revenue, count) = per_day.get(&text).copied().unwrap_or_default();
            json!({
                "date": text,
                "revenue": Money::from_cents(revenue),
                "orderCount": count,
                "newCustomers": customers.get(&text).copied().unwrap_or(0),
            })
        })
        .collect())
}

/// Revenue and order count over `range`.
pub async fn totals(db: &Database, range: DayRange) -> Result<Totals, ApiError> {
    let rows = orders::per_day(db, range).await?;
    Ok(rows
        .iter()
        .fold(Totals::default(), |t, (_, revenue, count)| Totals {
            revenue: t.revenue + revenue,
            orders: t.orders + count,
        }))
}

/// `{totalRevenue, orders, averageOrderValue, customers, ordersByStatus, ...}` over all time.
pub async fn dashboard_metrics(db: &Database) -> Result<Value, ApiError> {
    let per_status = orders::per_status(db).await?;
    let counted = per_status
        .iter()
        .filter(|(status, _, _)| !orders::NOT_COUNTED.contains(&status.as_str()))
        .fold(Totals::default(), |t, (_, count, revenue)| Totals {
            revenue: t.revenue + revenue,
            orders: t.orders + count,
        });
    let by_status: serde_json::Map<String, Value> = per_status
        .iter()
        .filter(|(status, _, _)| status != "UNKNOWN")
        .map(|(status, count, _)| (status.clone(), json!(count)))
        .collect();
    let alerts = facts::count_by(db, facts::ALERTS, "severity").await?;
    Ok(json!({
        "totalRevenue": Money::from_cents(counted.revenue),
        "orders": counted.orders,
        "averageOrderValue": Money::from_cents(counted.average()),
        "customers": facts::count(db, facts::CUSTOMERS).await?,
        "orderingCustomers": orders::ordering_customers(db).await?,
        "ordersByStatus": by_status,
        "stockLowEvents": facts::count(db, facts::STOCK_LOW).await?,
        "alertsSent": alerts.values().sum::<i64>(),
        "alertsBySeverity": alerts,
    }))
}

/// `[{productId, name, units, revenue}]`, by revenue.
pub async fn top_products(db: &Database, limit: usize) -> Result<Vec<Value>, ApiError> {
    Ok(orders::top_products(db, limit)
        .await?
        .into_iter()
        .map(|(id, name, units, revenue)| {
            json!({ "productId": id, "name": name, "units": units, "revenue": Money::from_cents(revenue) })
        })
        .collect())
}

/// Business metrics of `range` against the period of the same length before it.
pub async fn business(db: &Database, range: DayRange) -> Result<Value, ApiError> {
    let now = totals(db, range).await?;
    let before = totals(db, range.previous()).await?;
    Ok(figures::business(range, now, before))
}

/// `{replies, intents, functionCalls, responseTimeMs: {average, p50, p95, p99, max}}`.
pub async fn assistant_stats(db: &Database) -> Result<Value, ApiError> {
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
    let distribution: serde_json::Map<String, Value> = intents
        .iter()
        .map(|(intent, n)| {
            let share = if replies == 0 {
                0.0
            } else {
                (*n as f64 / replies as f64 * 1e4).round() / 1e4
            };
            (intent.clone(), json!({ "count": n, "share": share }))
        })
        .collect();
    Ok(json!({
        "replies": replies,
        "intents": distribution,
        "functionCalls": functions,
        "totalFunctionCalls": functions.values().sum::<i64>(),
        "responseTimeMs": {
            "average": average, "p50": pick(0.5), "p95": pick(0.95), "p99": pick(0.99),
            "max": latencies.last(),
        },
    }))
}
