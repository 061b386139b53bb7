//! Stock through order events: no oversell under concurrency, all-or-nothing orders, replays
//! and malformed events that change nothing.
//!
//! "Nothing more happened" is shown with a marker (see [`crate::order_service::marker`]): an
//! event published after the ones under test is consumed after them (one queue, handled in
//! order), and its answer is published after theirs (the relay publishes older documents
//! first, and one document's events in order), so once the marker's answer arrives, any answer
//! to the earlier events has too.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicI64, Ordering},
    },
    time::Duration,
};

use bson::{Document, doc};
use serde_json::json;
use shared::{
    events::{keys, topology},
    testing::{eventually, queue_depth},
};

use crate::{
    helpers::{TestApp, WAIT, assert_no_per_order_fields, product, spawn_app},
    order_service::{OrderService, marker, new_order_id, order_created},
};

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

async fn reservations_with(app: &TestApp, status: &str) -> u64 {
    app.db
        .collection::<Document>("reservations")
        .count_documents(doc! { "status": status })
        .await
        .unwrap()
}

#[tokio::test]
async fn fifty_concurrent_orders_for_ten_units_reserve_exactly_ten_and_replaying_them_changes_nothing()
 {
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*"]).await;
    let mut body = product("Last Ten", 5.0, 10);
    body["lowStockThreshold"] = json!(0);
    let scarce = app.create_ok(&body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let spare = app.create_ok(&product("Marker", 1.0, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let events: Vec<_> = (0..50)
        .map(|_| order_created(&new_order_id(), &[(&scarce, 1)]))
        .collect();
    // Sample the stock while the orders are processed: it must never be seen below zero.
    let lowest = Arc::new(AtomicI64::new(i64::MAX));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (db, id, lowest, done) = (app.db.clone(), scarce.clone(), lowest.clone(), done.clone());
        tokio::spawn(async move {
            let id = bson::oid::ObjectId::parse_str(&id).unwrap();
            while !done.load(Ordering::SeqCst) {
                if let Ok(Some(d)) = db
                    .collection::<Document>("products")
                    .find_one(doc! { "_id": id })
                    .await
                {
                    let stock = product_service::store::int(&d, "stock").unwrap();
                    lowest.fetch_min(stock, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };

    futures::future::join_all(events.iter().map(|e| orders.publish(e))).await;
    eventually("an answer to every order", WAIT, || async {
        (orders.seen(keys::STOCK_RESERVED).len() + orders.seen(keys::STOCK_REJECTED).len() >= 50)
            .then_some(())
    })
    .await;
    done.store(true, Ordering::SeqCst);
    sampler.await.unwrap();

    let reserved = orders.seen(keys::STOCK_RESERVED);
    let rejected = orders.seen(keys::STOCK_REJECTED);
    assert_eq!((reserved.len(), rejected.len()), (10, 40));
    let mut answered: Vec<String> = reserved
        .iter()
        .chain(&rejected)
        .map(|e| e.data["orderId"].as_str().unwrap().to_owned())
        .collect();
    answered.sort();
    answered.dedup();
    assert_eq!(answered.len(), 50, "one answer per order");
    assert_eq!(
        rejected[0].data["lines"],
        json!([{ "productId": scarce, "requested": 1, "available": 0, "reason": "insufficient_stock" }])
    );
    assert_eq!(
        reserved[0].data["items"],
        json!([{ "productId": scarce, "quantity": 1 }])
    );
    assert_eq!(app.stock_of(&scarce).await, 0);
    assert!(lowest.load(Ordering::SeqCst) >= 0, "stock went below zero");
    assert_eq!(
        (
            reservations_with(&app, "reserved").await,
            reservations_with(&app, "rejected").await
        ),
        (10, 40)
    );

    futures::future::join_all(events.iter().map(|e| orders.publish(e))).await;
    marker(&orders, &spare).await;
    let queue = orders.bus.queue_name(topology::PRODUCT_ORDERS.suffix);
    eventually("the replays to be consumed", WAIT, || async {
        (queue_depth(&orders.bus, &queue).await == Some(0) && consumed(&app).await == 101)
            .then_some(())
    })
    .await;

    assert_eq!(
        orders.seen(keys::STOCK_RESERVED).len(),
        10 + 1,
        "only the marker's answer is new"
    );
    assert_eq!(orders.seen(keys::STOCK_REJECTED).len(), 40);
    assert_eq!(app.stock_of(&scarce).await, 0);
    assert_eq!(
        (
            reservations_with(&app, "reserved").await,
            reservations_with(&app, "rejected").await
        ),
        (11, 40)
    );
    let held = app.holds_of(&scarce).await;
    assert_eq!(held.len(), 10, "ten orders hold one unit each");
    assert!(held.iter().all(|h| h.get_str("state") == Ok("held")));
    assert_no_per_order_fields(&app.product_doc(&scarce).await);
    orders.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn an_order_with_one_short_line_is_rejected_and_gives_back_the_lines_it_took() {
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*"]).await;
    let plenty = app.create_ok(&product("Plenty", 2.0, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let scarce = app.create_ok(&product("Scarce", 2.0, 1)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let missing = bson::oid::ObjectId::new().to_hex();
    let order = new_order_id();

    // Lines are taken in product-id order: "Plenty" (older) first, then "Scarce" falls short.
    orders
        .publish(&order_created(
            &order,
            &[(&scarce, 3), (&plenty, 2), (&missing, 1)],
        ))
        .await;

    let rejected = orders
        .wait_for(keys::STOCK_REJECTED, |d| d["orderId"] == order.as_str())
        .await;
    assert_eq!(
        rejected.data["lines"],
        json!([
            { "productId": scarce, "requested": 3, "available": 1, "reason": "insufficient_stock" },
            { "productId": missing, "requested": 1, "available": 0, "reason": "not_found" },
        ])
    );
    assert_eq!(rejected.correlation_id, format!("req-{order}"));
    eventually("the taken line to come back", WAIT, || async {
        (app.stock_of(&plenty).await == 5).then_some(())
    })
    .await;
    assert_eq!(app.stock_of(&scarce).await, 1);
    let reservation = app.reservation(&order).await.unwrap();
    assert_eq!(reservation.get_str("status").unwrap(), "rejected");

    // Delivered again: nothing is taken, nothing is answered.
    orders
        .publish(&order_created(
            &order,
            &[(&scarce, 3), (&plenty, 2), (&missing, 1)],
        ))
        .await;
    marker(&orders, &plenty).await;
    assert_eq!(orders.seen_for(keys::STOCK_REJECTED, &order).len(), 1);
    assert!(orders.seen_for(keys::STOCK_RESERVED, &order).is_empty());
    assert_eq!(
        app.stock_of(&plenty).await,
        4,
        "only the marker's unit is held"
    );
    orders.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn malformed_order_events_are_dead_lettered_without_touching_stock() {
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*"]).await;
    let id = app.create_ok(&product("Untouched", 1.0, 3)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let spare = app.create_ok(&product("Marker", 1.0, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    for data in [
        json!({ "orderId": "o-1", "items": [] }),
        json!({ "orderId": "o.2", "items": [{ "productId": id, "quantity": 1 }] }),
        json!({ "orderId": "o-3", "items": [{ "productId": id, "quantity": 0 }] }),
        json!({ "items": [{ "productId": id, "quantity": 1 }] }),
    ] {
        let event =
            shared::events::Envelope::new(keys::ORDER_CREATED, "order-service", "req", data);
        orders.publish(&event).await;
    }
    marker(&orders, &spare).await;

    let dead = orders.bus.dead_letter_queue();
    eventually("four dead letters", WAIT, || async {
        (queue_depth(&orders.bus, &dead).await == Some(4)).then_some(())
    })
    .await;
    assert_eq!(app.stock_of(&id).await, 3);
    assert_eq!(orders.seen(keys::STOCK_REJECTED).len(), 0);
    orders.stop().await;
    app.stop().await;
}
