//! After a fault: the invariants, polled until they hold or the deadline passes. Every
//! accepted order is final; no order exists that no 2xx answered (beyond the answers that were
//! lost); stock is the initial stock minus what confirmed orders hold; analytics counts each
//! order once and its units exactly; alert-service holds one alert per event.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use anyhow::Result;
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

use super::{
    api::{self, Account, Api},
    load::{Attempt, Outcome, Products},
};

/// What kind of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Something that should be there is not (an order, an event's effect, an alert).
    Lost,
    /// Something happened twice.
    Duplicated,
    /// Neither, but wrong (a 500, a stock figure off).
    Wrong,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Its kind.
    pub kind: Kind,
    /// What was seen.
    pub what: String,
}

fn finding(kind: Kind, what: String) -> Finding {
    Finding { kind, what }
}

/// Orders per status as analytics counts them.
pub type ByStatus = BTreeMap<String, i64>;

/// Everything a check needs.
pub struct Subject<'a> {
    /// Where the calls go.
    pub api: &'a Api,
    /// The admin.
    pub admin: &'a Account,
    /// The customers who placed the orders.
    pub customers: &'a [Account],
    /// The drill's products.
    pub products: &'a Products,
    /// `(main, scarce)` initial stock.
    pub initial: (i64, i64),
    /// Every attempt of the load.
    pub attempts: &'a [Attempt],
    /// Orders analytics knew of before the load. When it knew none (fresh databases), the
    /// counts per status must match too, not only the total.
    pub analytics_before: ByStatus,
}

/// The drill's orders as order-service lists them, by id.
pub type Orders = BTreeMap<String, Value>;

/// Polls until every invariant holds; returns the orders, the findings left at the
/// deadline (none when it settled) and when it settled.
pub async fn settle(
    subject: &Subject<'_>,
    deadline: Instant,
) -> Result<(Orders, Vec<Finding>, Option<Instant>)> {
    loop {
        let orders = orders(subject).await?;
        let mut findings = orders_and_stock(subject, &orders).await?;
        if findings.is_empty() {
            findings = analytics(subject, &orders).await?;
        }
        if findings.is_empty() {
            findings = alerts(subject, &orders).await?;
        }
        if findings.is_empty() {
            return Ok((orders, findings, Some(Instant::now())));
        }
        if Instant::now() >= deadline {
            return Ok((orders, findings, None));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Analytics' count of every order it knows, by status.
pub async fn analytics_orders(api: &Api, admin: &Account) -> Result<ByStatus> {
    let data = api
        .data(
            Method::GET,
            "/analytics/dashboard-metrics",
            Some(admin),
            None,
        )
        .await?;
    Ok(data["ordersByStatus"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, n)| (status.clone(), n.as_i64().unwrap_or(0)))
        .collect())
}

async fn orders(subject: &Subject<'_>) -> Result<Orders> {
    let ours = [&subject.products.main, &subject.products.scarce];
    let mut found = Orders::new();
    for customer in subject.customers {
        for order in subject.api.all_pages("/orders", customer).await? {
            let product = order["items"][0]["productId"].as_str();
            if let (Some(id), Some(product)) = (order["id"].as_str(), product)
                && ours.iter().any(|p| p.as_str() == product)
            {
                found.insert(id.to_owned(), order);
            }
        }
    }
    Ok(found)
}

/// The order's status, version, first line's product and quantity.
pub fn facts(order: &Value) -> (&str, i64, &str, i64) {
    let line = &order["items"][0];
    (
        order["status"].as_str().unwrap_or("?"),
        order["version"].as_i64().unwrap_or(-1),
        line["productId"].as_str().unwrap_or("?"),
        line["quantity"].as_i64().unwrap_or(0),
    )
}

async fn orders_and_stock(subject: &Subject<'_>, orders: &Orders) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    let accepted: BTreeSet<&str> = subject
        .attempts
        .iter()
        .filter_map(|a| match &a.outcome {
            Outcome::Accepted(id) => Some(id.as_str()),
            _ => None,
        })
        .collect();
    let unknown = subject
        .attempts
        .iter()
        .filter(|a| matches!(a.outcome, Outcome::Unknown(_)))
        .count();
    for id in accepted.iter().filter(|id| !orders.contains_key(**id)) {
        findings.push(finding(
            Kind::Lost,
            format!("accepted order {id} is missing"),
        ));
    }
    let extra = orders
        .keys()
        .filter(|id| !accepted.contains(id.as_str()))
        .count();
    if extra > unknown {
        findings.push(finding(
            Kind::Duplicated,
            format!(
                "{extra} orders exist that no 2xx answered, but only {unknown} answers were lost"
            ),
        ));
    }
    let pending: Vec<&str> = orders
        .iter()
        .filter(|(_, o)| !api::is_final(facts(o).0))
        .map(|(id, _)| id.as_str())
        .collect();
    if !pending.is_empty() {
        findings.push(finding(
            Kind::Lost,
            format!("{} orders not final, e.g. {}", pending.len(), pending[0]),
        ));
        return Ok(findings);
    }
    let products = [
        (&subject.products.main, subject.initial.0),
        (&subject.products.scarce, subject.initial.1),
    ];
    for (product, initial) in products {
        let held = held_units(orders, product);
        let stock = subject.api.stock(subject.admin, product).await?;
        if stock != initial - held {
            let kind = if stock < initial - held {
                Kind::Duplicated
            } else {
                Kind::Lost
            };
            findings.push(finding(
                kind,
                format!("product {product}: stock {stock}, expected {initial} - {held}"),
            ));
        }
    }
    Ok(findings)
}

/// Units of `product` in orders whose stock stays taken.
pub fn held_units(orders: &Orders, product: &str) -> i64 {
    orders
        .values()
        .map(facts)
        .filter(|(status, _, p, _)| *p == product && api::holds_stock(status))
        .map(|(_, _, _, quantity)| quantity)
        .sum()
}

/// Orders per status.
fn by_status(orders: &Orders) -> ByStatus {
    let mut counts = ByStatus::new();
    for order in orders.values() {
        *counts.entry(facts(order).0.to_owned()).or_default() += 1;
    }
    counts
}

async fn analytics(subject: &Subject<'_>, orders: &Orders) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    let now = analytics_orders(subject.api, subject.admin).await?;
    let total = |counts: &ByStatus| counts.values().sum::<i64>();
    let counted = total(&now) - total(&subject.analytics_before);
    let expected = orders.len() as i64;
    if counted != expected {
        let kind = if counted > expected {
            Kind::Duplicated
        } else {
            Kind::Lost
        };
        findings.push(finding(
            kind,
            format!("analytics counts {counted} new orders, order-service has {expected}"),
        ));
    } else if subject.analytics_before.values().all(|n| *n == 0) {
        let mut now = now;
        now.retain(|_, n| *n != 0);
        if now != by_status(orders) {
            findings.push(finding(
                Kind::Wrong,
                format!(
                    "analytics counts orders by status {now:?}, order-service has {:?}",
                    by_status(orders)
                ),
            ));
        }
    }
    let top = subject
        .api
        .data(
            Method::GET,
            "/analytics/top-products?limit=100",
            Some(subject.admin),
            None,
        )
        .await?;
    for product in [&subject.products.main, &subject.products.scarce] {
        let units = top
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["productId"] == product.as_str()))
            .map_or(0, |r| r["units"].as_i64().unwrap_or(0));
        let held = held_units(orders, product);
        if units != held {
            let kind = if units > held {
                Kind::Duplicated
            } else {
                Kind::Lost
            };
            findings.push(finding(
                kind,
                format!("analytics counts {units} units of {product} sold, orders hold {held}"),
            ));
        }
    }
    Ok(findings)
}

async fn alerts(subject: &Subject<'_>, orders: &Orders) -> Result<Vec<Finding>> {
    let mut listed = Vec::new();
    for customer in subject.customers {
        listed.extend(subject.api.all_pages("/alerts", customer).await?);
    }
    Ok(alert_findings(&listed, orders))
}

/// One alert per event, and the alerts each order's history calls for, in `listed` (every
/// page of `/alerts`). The list is newest first and grows while it is paged, which pushes
/// alerts already read onto the next page: the same alert (by its own id) read twice is one
/// alert; two alerts of one event are a duplicate.
fn alert_findings(listed: &[Value], orders: &Orders) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut seen = BTreeSet::new();
    let mut events = BTreeSet::new();
    // (created, status changes, cancellations) per order.
    let mut per_order: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for alert in listed {
        let Some(order) = alert["entity"]["id"]
            .as_str()
            .filter(|o| orders.contains_key(*o))
        else {
            continue;
        };
        if let Some(id) = alert["id"].as_str()
            && !seen.insert(id.to_owned())
        {
            continue;
        }
        let event = alert["eventId"].as_str().unwrap_or("?");
        if !events.insert(event.to_owned()) {
            findings.push(finding(
                Kind::Duplicated,
                format!("two alerts for event {event} (order {order})"),
            ));
        }
        let counts = per_order.entry(order.to_owned()).or_default();
        match alert["type"].as_str() {
            Some("order.created") => counts.0 += 1,
            Some("order.status_changed") => counts.1 += 1,
            Some("order.cancelled") => counts.2 += 1,
            _ => {}
        }
    }
    for (id, order) in orders {
        let (status, version, _, _) = facts(order);
        let expected = (1, version, i64::from(status == "CANCELLED"));
        let got = per_order.get(id).copied().unwrap_or_default();
        if got != expected {
            let kind = if got.0 > 1 || got.1 > version || got.2 > expected.2 {
                Kind::Duplicated
            } else {
                Kind::Lost
            };
            findings.push(finding(
                kind,
                format!(
                    "order {id} ({status}): alerts created/changed/cancelled {got:?}, \
                     expected {expected:?}"
                ),
            ));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(status: &str, product: &str, quantity: i64) -> Value {
        serde_json::json!({"status": status, "version": 2,
                           "items": [{"productId": product, "quantity": quantity}]})
    }

    #[test]
    fn only_confirmed_orders_hold_stock() {
        let orders: Orders = [
            ("a", order("DELIVERED", "p", 2)),
            ("b", order("SHIPPED", "p", 1)),
            ("c", order("CANCELLED", "p", 5)),
            ("d", order("REJECTED", "p", 7)),
            ("e", order("DELIVERED", "q", 3)),
        ]
        .into_iter()
        .map(|(id, o)| (id.to_owned(), o))
        .collect();
        assert_eq!(held_units(&orders, "p"), 3);
        assert_eq!(held_units(&orders, "q"), 3);
        assert_eq!(facts(&orders["c"]), ("CANCELLED", 2, "p", 5));
        assert_eq!(by_status(&orders)["DELIVERED"], 2);
    }

    #[test]
    fn an_alert_read_twice_while_the_list_grows_is_one_but_two_of_one_event_are_a_duplicate() {
        let orders: Orders = [("o1".to_owned(), order("PENDING", "p", 1))].into();
        let alert = |id: &str, event: &str, kind: &str| {
            serde_json::json!({"id": id, "eventId": event, "type": kind,
                               "entity": {"type": "order", "id": "o1"}})
        };
        let mut listed = vec![
            alert("a1", "e1", "order.created"),
            alert("a2", "e2", "order.status_changed"),
            alert("a3", "e3", "order.status_changed"),
        ];
        // Page two repeats the last alert of page one: a newer one pushed it down.
        listed.push(listed[2].clone());
        assert_eq!(alert_findings(&listed, &orders), []);
        listed.push(alert("a4", "e3", "order.status_changed"));
        let found = alert_findings(&listed, &orders);
        assert_eq!(found[0].kind, Kind::Duplicated);
        assert!(found[0].what.contains("e3"), "{found:?}");
        listed.truncate(1);
        assert_eq!(alert_findings(&listed, &orders)[0].kind, Kind::Lost);
    }
}
