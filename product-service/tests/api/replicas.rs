//! Two product-service instances on one database and one queue, as replicas run: their
//! reservations race for real (one consumer alone handles one delivery at a time, so it
//! cannot), and N buyers of the last k units still get exactly k.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicI64, Ordering},
};

use bson::{Document, doc, oid::ObjectId};
use serde_json::json;
use shared::{
    events::{Envelope, keys, topology},
    testing::{TestNames, eventually},
};

use crate::{
    helpers::{TestApp, WAIT, assert_no_per_order_fields, product, spawn_with},
    order_service::{OrderService, new_order_id, order_cancelled, order_created},
};

/// Buyers of one unit each.
const BUYERS: usize = 60;
/// Units left.
const LAST: i64 = 7;

/// `events` without the copies two relays may both publish (DESIGN.md: consumers deduplicate
/// by event id, as order-service does).
pub(crate) fn distinct(events: &[Envelope]) -> Vec<Envelope> {
    let mut seen = std::collections::HashSet::new();
    events
        .iter()
        .filter(|e| seen.insert(e.id))
        .cloned()
        .collect()
}

/// Samples the product's stock until `done`; the lowest value seen.
pub(crate) fn lowest_stock(
    db: &mongodb::Database,
    id: &str,
    done: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<i64> {
    let (db, id) = (db.clone(), ObjectId::parse_str(id).unwrap());
    tokio::spawn(async move {
        let lowest = AtomicI64::new(i64::MAX);
        while !done.load(Ordering::SeqCst) {
            if let Ok(Some(d)) = db
                .collection::<Document>("products")
                .find_one(doc! { "_id": id })
                .await
            {
                lowest.fetch_min(
                    product_service::store::int(&d, "stock").unwrap(),
                    Ordering::SeqCst,
                );
            }
            // A sampling rate, not a wait for anything.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        lowest.load(Ordering::SeqCst)
    })
}

/// Waits until `buyers` orders have each been reserved or rejected (copies counted once).
pub(crate) async fn every_buyer_answered(orders: &OrderService, buyers: usize) {
    eventually("an answer to every buyer", WAIT, || async {
        (distinct(&orders.seen(keys::STOCK_RESERVED)).len()
            + distinct(&orders.seen(keys::STOCK_REJECTED)).len()
            >= buyers)
            .then_some(())
    })
    .await;
}

/// Two instances on one database and one order queue, and the test's order-service.
pub(crate) async fn two_instances() -> (TestApp, TestApp, OrderService) {
    let names = TestNames::new();
    let first = spawn_with(names.clone(), |_| {}).await;
    let second = spawn_with(names.clone(), |_| {}).await;
    first.app.wait_healthy(WAIT).await;
    second.app.wait_healthy(WAIT).await;
    let orders = OrderService::start(&names, &["stock.*"]).await;
    let queue = orders.bus.queue_name(topology::PRODUCT_ORDERS.suffix);
    eventually(
        "both instances to consume the order queue",
        WAIT,
        || async {
            (shared::testing::queue_consumers(&orders.bus, &queue).await == Some(2)).then_some(())
        },
    )
    .await;
    (first, second, orders)
}

/// Order events consumed so far by both instances (one metrics recorder per test process).
async fn consumed(app: &TestApp) -> u64 {
    let metrics = app.app.get_text("/metrics").await;
    let series = format!(
        "events_consumed_total{{queue=\"{}.{}\"}} ",
        app.names.exchange,
        topology::PRODUCT_ORDERS.suffix
    );
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&series))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn two_instances_on_one_queue_give_the_last_units_to_exactly_as_many_buyers() {
    let (first, second, orders) = two_instances().await;
    let mut body = product("Last Units", 5.0, LAST);
    body["lowStockThreshold"] = json!(0);
    let scarce = first.create_ok(&body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let events: Vec<_> = (0..BUYERS)
        .map(|_| order_created(&new_order_id(), &[(&scarce, 1)]))
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = lowest_stock(&first.db, &scarce, done.clone());

    futures::future::join_all(events.iter().map(|e| orders.publish(e))).await;
    every_buyer_answered(&orders, BUYERS).await;
    done.store(true, Ordering::SeqCst);
    let lowest = sampler.await.unwrap();

    let reserved = distinct(&orders.seen(keys::STOCK_RESERVED));
    let rejected = distinct(&orders.seen(keys::STOCK_REJECTED));
    let mut answered: Vec<&str> = reserved
        .iter()
        .chain(&rejected)
        .map(|e| e.data["orderId"].as_str().unwrap())
        .collect();
    answered.sort_unstable();
    answered.dedup();
    assert_eq!(answered.len(), BUYERS, "a decision for every buyer");
    assert_eq!(reserved.len() + rejected.len(), BUYERS, "one decision each");
    assert_eq!(reserved.len(), usize::try_from(LAST).unwrap());
    assert_eq!(first.stock_of(&scarce).await, 0);
    assert_eq!(second.stock_of(&scarce).await, 0);
    assert!(lowest >= 0, "stock went below zero: {lowest}");
    orders.stop().await;
    second.app.stop_and_clean().await;
    first.app.stop_and_clean().await;
}

#[tokio::test]
async fn two_instances_handling_every_order_event_twice_hold_and_give_back_each_line_once() {
    let (first, second, orders) = two_instances().await;
    let mut body = product("Twice Told", 5.0, LAST);
    body["lowStockThreshold"] = json!(0);
    let scarce = first.create_ok(&body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids: Vec<String> = (0..BUYERS / 3).map(|_| new_order_id()).collect();
    // Each event twice in a row, as two relays of order-service may publish it: the copies
    // go to both instances at once and race.
    let created: Vec<_> = ids
        .iter()
        .map(|o| order_created(o, &[(&scarce, 1)]))
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = lowest_stock(&first.db, &scarce, done.clone());

    futures::future::join_all(
        created
            .iter()
            .flat_map(|e| [e, e])
            .map(|e| orders.publish(e)),
    )
    .await;
    let published = 2 * ids.len() as u64;
    eventually("every copy consumed", WAIT, || async {
        (consumed(&first).await >= published).then_some(())
    })
    .await;
    let reserved = distinct(&orders.seen(keys::STOCK_RESERVED));
    assert_eq!(reserved.len(), usize::try_from(LAST).unwrap());
    assert_eq!(first.stock_of(&scarce).await, 0);
    let holds = first.holds_of(&scarce).await;
    assert_eq!(
        holds.len(),
        reserved.len(),
        "one hold per winner: {holds:?}"
    );
    assert_no_per_order_fields(&first.product_doc(&scarce).await);

    let cancelled: Vec<_> = reserved
        .iter()
        .map(|e| order_cancelled(e.data["orderId"].as_str().unwrap()))
        .collect();
    futures::future::join_all(
        cancelled
            .iter()
            .chain(&cancelled)
            .map(|e| orders.publish(e)),
    )
    .await;
    let published = published + 2 * cancelled.len() as u64;
    eventually("every cancellation consumed", WAIT, || async {
        (consumed(&first).await >= published).then_some(())
    })
    .await;
    done.store(true, Ordering::SeqCst);

    assert_eq!(first.stock_of(&scarce).await, LAST, "each unit back once");
    assert!(sampler.await.unwrap() >= 0, "stock went below zero");
    let holds = first.holds_of(&scarce).await;
    assert!(holds.iter().all(|h| h.get_str("state") == Ok("returned")));
    assert_no_per_order_fields(&first.product_doc(&scarce).await);
    assert_eq!(
        distinct(&orders.seen(keys::STOCK_RELEASED)).len(),
        reserved.len()
    );
    orders.stop().await;
    second.app.stop_and_clean().await;
    first.app.stop_and_clean().await;
}
