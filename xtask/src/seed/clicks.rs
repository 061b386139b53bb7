//! A week of demo clickstream (issue 19), so the console's Shoppers page has something to show
//! on a fresh suite: for each of the last six days, a few browsing sessions that look at the
//! catalog, search (some searches finding nothing), open a product page, put it in the cart
//! and start a checkout, sent through `POST /api/events` as the storefront sends them.
//!
//! Session and event ids are made from the day and the visit, so running the seed again the
//! same day counts nothing twice (the answer's `duplicates`).

use anyhow::{Context as _, Result, bail};
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use super::api::{self, Gateway};
use crate::ctx::Ctx;

/// What the demo shoppers search for: some the catalog has, some it does not.
pub const SEARCHES: [&str; 6] = [
    "cotton t-shirt",
    "headphones",
    "yoga mat",
    "unicorn saddle",
    "coffee",
    "left-handed scissors",
];

/// The visits of the day `days_ago`: `(search, product index, carted, checked out)`.
pub fn visits(days_ago: usize) -> Vec<(usize, usize, bool, bool)> {
    (0..4 + days_ago % 3)
        .map(|n| {
            let k = days_ago * 7 + n;
            (
                (k * 5) % SEARCHES.len(),
                k % 11,
                k.is_multiple_of(2),
                k.is_multiple_of(3),
            )
        })
        .collect()
}

/// Sends the week's events; says how many were new.
pub fn run(ctx: &Ctx, gateway: &Gateway) -> Result<String> {
    let reply = gateway.send(ctx, &gateway.request("GET", "/products?limit=12&sort=name"))?;
    let products: Vec<String> = reply.json["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_owned))
        .collect();
    if products.is_empty() {
        return Ok("clickstream: no products to look at, none sent".to_owned());
    }
    let mut found = Vec::new();
    for query in SEARCHES {
        let path = format!("/products?limit=1&search={}", query.replace(' ', "%20"));
        let reply = gateway.send(ctx, &gateway.request("GET", &path))?;
        found.push(api::total(&reply).with_context(|| format!("GET /api{path}"))?);
    }
    let (mut accepted, mut duplicates) = (0, 0);
    let today = Utc::now().format("%Y%m%d").to_string();
    for days_ago in 1..=6 {
        let events = day(&today, days_ago, &products, &found);
        let request = gateway
            .request("POST", "/events")
            .json(json!({ "events": events }).to_string());
        let reply = gateway.send(ctx, &request)?;
        if reply.status != 202 {
            bail!("POST /api/events: {}", reply.describe());
        }
        let data = &reply.json["data"];
        accepted += data["accepted"].as_u64().unwrap_or(0);
        duplicates += data["duplicates"].as_u64().unwrap_or(0);
    }
    Ok(format!(
        "clickstream: {accepted} events of the last six days sent, {duplicates} there already"
    ))
}

fn day(today: &str, days_ago: usize, products: &[String], found: &[u64]) -> Vec<Value> {
    let mut events = Vec::new();
    for (n, (search, product, carted, checked_out)) in visits(days_ago).into_iter().enumerate() {
        let session = format!("seed-{today}-{days_ago}-{n}");
        let start = Utc::now() - Duration::days(days_ago as i64) + Duration::minutes(7 * n as i64);
        let mut step = 0;
        let mut push = |kind: &str, extra: Value| {
            step += 1;
            let mut e = json!({"id": format!("e-{step:07}"), "type": kind, "sessionId": &session,
                "at": (start + Duration::seconds(20 * step)).to_rfc3339()});
            if let (Some(e), Some(extra)) = (e.as_object_mut(), extra.as_object()) {
                e.extend(extra.clone());
            }
            events.push(e);
        };
        let product = &products[product % products.len()];
        push("page_view", json!({"path": "/"}));
        push(
            "search",
            json!({"query": SEARCHES[search], "results": found[search]}),
        );
        push("view_product", json!({"productId": product}));
        if carted {
            push("add_to_cart", json!({"productId": product}));
        }
        if carted && checked_out {
            push("checkout_started", json!({}));
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_has_visits_that_narrow_from_views_to_checkouts_and_fit_one_batch() {
        let products = vec!["0123456789abcdef01234567".to_owned()];
        let found = [3, 2, 1, 0, 4, 0];
        for days_ago in 1..=6 {
            let events = day("20261206", days_ago, &products, &found);
            let count = |kind: &str| events.iter().filter(|e| e["type"] == kind).count();
            assert!(events.len() <= 100);
            assert!(count("view_product") >= count("add_to_cart"));
            assert!(count("add_to_cart") >= count("checkout_started"));
        }
        let all: Vec<_> = (1..=6).flat_map(visits).collect();
        assert!(
            all.iter().any(|v| found[v.0] == 0),
            "some searches find nothing"
        );
        assert!(
            all.iter().any(|v| v.2 && v.3),
            "some visits reach the checkout"
        );
    }
}
