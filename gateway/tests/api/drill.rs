//! The fault drills, short and always on (`cargo xtask drill` runs the long ones against the
//! whole suite): order-service cut off the broker at a [`TcpProxy`], and order-service
//! killed abruptly mid-load and started again on the same databases. Afterwards every
//! accepted order is final, stock is the initial stock minus what confirmed orders hold,
//! analytics counts each order and its units once, alert-service holds one alert per event,
//! and live SSE subscribers that reconnect with `Last-Event-ID` saw every change once.
//!
//! The services are called directly with tokens signed by the test's key (no gateway or
//! customer-service: the orders carry their shipping address). The killed service runs on
//! a tokio runtime of its own, and "kill" drops that runtime without cancelling anything:
//! no graceful shutdown, no outbox flush, in-flight deliveries unacked, sockets closed as the
//! kernel closes them after a SIGKILL — the nearest an in-process test gets to one.
mod rig;

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use serde_json::Value;
use shared::{auth::Role, testing::eventually};
use tokio::task::JoinHandle;

use rig::{MAIN_STOCK, ORDERS_PER_WORKER, Rig, SCARCE_STOCK, WAIT, WORKERS, customer, subscriber};

/// The drill's orders as order-service lists them, by id.
type Orders = BTreeMap<String, Value>;
/// A subscriber: the order it follows, and what it saw (first snapshot id, change ids).
type Subscriber = (String, JoinHandle<(i64, Vec<i64>)>);

/// The fault a drill injects while the load runs.
enum Fault {
    /// order-service's broker connection severed for a while.
    Network,
    /// order-service killed and started again.
    Kill,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_severed_broker_link_under_load_loses_and_duplicates_nothing() {
    drill(Fault::Network).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_service_killed_under_load_loses_and_duplicates_nothing() {
    drill(Fault::Kill).await;
}

async fn drill(fault: Fault) {
    let mut rig = Rig::start().await;
    let products = (
        rig.product("Drill staple", MAIN_STOCK).await,
        rig.product("Drill rarity", SCARCE_STOCK).await,
    );
    let customers: Vec<String> = (0..WORKERS)
        .map(|i| {
            rig.names
                .bearer(&format!("00000000000000000000010{i}"), Role::Customer)
        })
        .collect();
    let load: Vec<_> = customers
        .iter()
        .enumerate()
        .map(|(worker, bearer)| {
            tokio::spawn(customer(
                rig.client.clone(),
                rig.orders_url.clone(),
                bearer.clone(),
                products.clone(),
                worker,
            ))
        })
        .collect();
    let subscribers = follow_first_orders(&rig, &customers).await;

    match fault {
        Fault::Network => {
            rig.proxy.sever();
            tokio::time::sleep(Duration::from_secs(3)).await;
            rig.proxy.restore();
        }
        Fault::Kill => rig.restart_orders().await,
    }
    let (mut accepted, mut unanswered) = (BTreeSet::new(), 0);
    for worker in load {
        let (ids, lost) = worker.await.expect("the load ran");
        accepted.extend(ids);
        unanswered += lost;
    }
    assert_eq!(
        accepted.len() + unanswered,
        WORKERS * ORDERS_PER_WORKER,
        "one order per key"
    );

    let orders = every_accepted_order_final(&rig, &accepted, unanswered).await;
    stock_is_what_confirmed_orders_left(&rig, &products, &orders).await;
    analytics_counts_each_order_once(&rig, &products, &orders).await;
    one_alert_per_event(&rig, &orders).await;
    for (order, task) in subscribers {
        let (joined, ids) = task.await.expect("the subscriber ran");
        let version = orders[&order]["version"].as_i64().expect("a version");
        assert_eq!(
            ids,
            (joined + 1..=version).collect::<Vec<_>>(),
            "subscriber of {order} saw every change after joining, once"
        );
    }
    rig.stop().await;
}

/// Subscribers on each customer's first order, so that they live through the fault.
async fn follow_first_orders(rig: &Rig, customers: &[String]) -> Vec<Subscriber> {
    let first: Vec<(String, String)> = eventually("the first orders", WAIT, || async {
        let mut found = Vec::new();
        for bearer in customers {
            let answer = rig
                .client
                .get(format!("{}/orders", rig.orders_url()))
                .header("authorization", bearer)
                .send()
                .await
                .ok()?;
            let body: Value = answer.json().await.ok()?;
            let id = body["data"].as_array()?.last()?["id"].as_str()?.to_owned();
            found.push((bearer.clone(), id));
        }
        Some(found)
    })
    .await;
    first
        .into_iter()
        .map(|(bearer, order)| {
            let task = subscriber(
                rig.client.clone(),
                rig.orders_url.clone(),
                bearer,
                order.clone(),
            );
            (order, tokio::spawn(task))
        })
        .collect()
}

fn is_final(order: &Value) -> bool {
    ["DELIVERED", "CANCELLED", "REJECTED"].contains(&order["status"].as_str().unwrap_or(""))
}

/// Every accepted order final, and no order beyond them and the unanswered ones.
async fn every_accepted_order_final(
    rig: &Rig,
    accepted: &BTreeSet<String>,
    unanswered: usize,
) -> Orders {
    let orders: Orders = eventually("every order to be final", WAIT, || async {
        let list = rig.admin_get(&rig.orders_url(), "/orders?limit=100").await;
        let orders: Orders = list
            .as_array()?
            .iter()
            .map(|o| (o["id"].as_str().unwrap_or("").to_owned(), o.clone()))
            .collect();
        let all_there = accepted.iter().all(|id| orders.contains_key(id));
        (all_there && orders.values().all(is_final)).then_some(orders)
    })
    .await;
    assert!(
        orders.len() <= accepted.len() + unanswered,
        "no order beyond the accepted ones and the {unanswered} unanswered: {} listed",
        orders.len()
    );
    orders
}

/// Units of `product` in orders whose stock stays taken.
fn held(orders: &Orders, product: &str) -> i64 {
    orders
        .values()
        .filter(|o| o["items"][0]["productId"] == product)
        .filter(|o| {
            ["PROCESSING", "SHIPPED", "DELIVERED"].contains(&o["status"].as_str().unwrap_or(""))
        })
        .map(|o| o["items"][0]["quantity"].as_i64().unwrap_or(0))
        .sum()
}

async fn stock_is_what_confirmed_orders_left(
    rig: &Rig,
    products: &(String, String),
    orders: &Orders,
) {
    for (product, initial) in [(&products.0, MAIN_STOCK), (&products.1, SCARCE_STOCK)] {
        let expected = initial - held(orders, product);
        eventually("stock to match the confirmed orders", WAIT, || async {
            let data = rig
                .admin_get(&rig.products.base_url, &format!("/products/{product}"))
                .await;
            (data["stock"] == expected).then_some(())
        })
        .await;
    }
}

/// Orders per status and units per product, as order-service has them.
async fn analytics_counts_each_order_once(rig: &Rig, products: &(String, String), orders: &Orders) {
    let analytics = rig.analytics.base_url.clone();
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    for order in orders.values() {
        let status = order["status"].as_str().unwrap_or("").to_owned();
        *expected.entry(status).or_default() += 1;
    }
    eventually("analytics to count every order once", WAIT, || async {
        let data = rig
            .admin_get(&analytics, "/analytics/dashboard-metrics")
            .await;
        let counted: BTreeMap<String, i64> = data["ordersByStatus"]
            .as_object()?
            .iter()
            .map(|(k, v)| (k.clone(), v.as_i64().unwrap_or(0)))
            .collect();
        (counted == expected).then_some(())
    })
    .await;
    let top = rig
        .admin_get(&analytics, "/analytics/top-products?limit=100")
        .await;
    for product in [&products.0, &products.1] {
        let units = top
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["productId"] == product.as_str()))
            .map_or(0, |r| r["units"].as_i64().unwrap_or(0));
        assert_eq!(
            units,
            held(orders, product),
            "units of {product} counted once"
        );
    }
}

/// One `order.created` alert per order, one per status change, one per cancellation, and
/// never two for one event.
async fn one_alert_per_event(rig: &Rig, orders: &Orders) {
    let expected = |order: &Value| {
        let version = order["version"].as_i64().unwrap_or(-1);
        (1, version, i64::from(order["status"] == "CANCELLED"))
    };
    let alerts = rig.alerts.base_url.clone();
    eventually("one alert per event", WAIT, || async {
        let mut events = BTreeSet::new();
        let mut per_order: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
        for page in 1..=20 {
            let list = rig
                .admin_get(&alerts, &format!("/alerts?limit=100&page={page}"))
                .await;
            let list = list.as_array().cloned().unwrap_or_default();
            for alert in &list {
                let order = alert["entity"]["id"].as_str();
                let Some(order) = order.filter(|o| orders.contains_key(*o)) else {
                    continue;
                };
                assert!(
                    events.insert(alert["eventId"].as_str().unwrap_or("").to_owned()),
                    "two alerts for one event: {alert}"
                );
                let counts = per_order.entry(order.to_owned()).or_default();
                match alert["type"].as_str() {
                    Some("order.created") => counts.0 += 1,
                    Some("order.status_changed") => counts.1 += 1,
                    Some("order.cancelled") => counts.2 += 1,
                    _ => {}
                }
            }
            if list.len() < 100 {
                break;
            }
        }
        orders
            .iter()
            .all(|(id, o)| per_order.get(id).copied().unwrap_or_default() == expected(o))
            .then_some(())
    })
    .await;
}
