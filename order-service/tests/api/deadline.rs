//! The saga's deadline with the real product-service: an order whose `order.created` is never
//! heard ends `REJECTED` with `SAGA_TIMEOUT`, and a reservation made after that is given back,
//! once, whatever is redelivered.

use std::{collections::HashSet, time::Duration};

use bson::{doc, oid::ObjectId};
use serde_json::json;
use shared::{
    events::{Envelope, keys},
    testing::{eventually, take_one},
};

use crate::{
    helpers::{Options, TestApp, WAIT, spawn_products, spawn_with},
    replicas::second_replica,
    saga::consumed,
};

/// Short enough for a test, long enough that the order is read `PENDING` first.
const DEADLINE: Duration = Duration::from_millis(300);

/// order-service with a short saga deadline, and a product-service that answers prices and
/// stock but never hears of an order.
async fn spawn_unheard() -> TestApp {
    spawn_with(unheard()).await
}

/// The options of [`spawn_unheard`].
fn unheard() -> Options {
    Options {
        fulfilment: false,
        products_hear_orders: false,
        adjust: Box::new(|config| config.saga.timeout = DEADLINE),
        ..Options::default()
    }
}

#[tokio::test]
async fn an_order_whose_creation_is_never_heard_ends_rejected_for_saga_timeout() {
    let t = spawn_unheard().await;
    let lamp = t.product("Lamp", 10.0, 5).await;
    let buyer = t.customer();

    let placed = t.place_ok(&buyer, &[(&lamp, 2)]).await;
    let id = placed["id"].as_str().unwrap();
    let rejected = t.wait_for_status(id, "REJECTED").await;

    assert_eq!(placed["status"], "PENDING");
    let reason = rejected["rejectionReason"].as_str().unwrap();
    assert!(reason.starts_with("SAGA_TIMEOUT"), "{rejected}");
    let history: Vec<&str> = rejected["statusHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["PENDING", "REJECTED"]);
    assert_eq!(rejected["version"], 1);
    assert_eq!(t.stock_of(&lamp).await, 5);
    t.stop().await;
}

#[tokio::test]
async fn a_pending_order_stored_before_deadlines_existed_gets_one_and_ends_rejected() {
    use order_service::{
        domain::{Address, Order, Quote},
        store::orders,
    };
    let names = shared::testing::TestNames::new();
    let db = crate::helpers::database(&crate::helpers::order_config(
        &names,
        crate::helpers::NOWHERE,
        crate::helpers::NOWHERE,
    ))
    .await;
    let id = ObjectId::new();
    let address = Address {
        street: "1 Main St".to_owned(),
        city: "Springfield".to_owned(),
        zip_code: "12345".to_owned(),
        country: "US".to_owned(),
    };
    let old = Order::placed(
        id,
        ObjectId::new().to_hex(),
        vec![],
        Quote::default(),
        address,
        format!("order:{}", id.to_hex()),
        bson::DateTime::now().to_chrono(),
    );
    assert_eq!(old.next_due_at_ms, None);
    orders::insert(&db, &old, &[]).await.unwrap();

    let t = spawn_with(Options {
        names: Some(names),
        ..unheard()
    })
    .await;
    let rejected = t.wait_for_status(&id.to_hex(), "REJECTED").await;

    let reason = rejected["rejectionReason"].as_str().unwrap();
    assert!(reason.starts_with("SAGA_TIMEOUT"), "{rejected}");
    t.stop().await;
}

#[tokio::test]
async fn two_replicas_reject_each_order_past_its_deadline_once() {
    let t = spawn_unheard().await;
    let b = second_replica(&t, false).await;
    let lamp = t.product("Lamp", 10.0, 100).await;
    let buyer = t.customer();
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(t.place_id(&buyer, &[(&lamp, 1)]).await);
    }

    let mut rejected = Vec::new();
    for id in &ids {
        rejected.push(t.wait_for_status(id, "REJECTED").await);
    }

    // Every change's events are published once the orders' outboxes are empty; what waits,
    // unheard, in product-service's queue is then every event there will be.
    eventually("every event to leave the outbox", WAIT, || async {
        let pending =
            t.db.collection::<bson::Document>("orders")
                .count_documents(doc! { "outboxCount": { "$gt": 0 } })
                .await
                .ok()?;
        (pending == 0).then_some(())
    })
    .await;
    let queue = t.bus.queue_name("product.orders");
    let mut expired = std::collections::HashMap::<String, HashSet<uuid::Uuid>>::new();
    while let Some(event) = take_one(&t.bus, &queue).await {
        if event.kind == keys::ORDER_EXPIRED {
            let order = event.data["orderId"].as_str().unwrap().to_owned();
            // Two relays may publish one event twice: what counts is distinct events.
            expired.entry(order).or_default().insert(event.id);
        }
    }

    assert_eq!(expired.len(), ids.len(), "{expired:?}");
    assert!(expired.values().all(|e| e.len() == 1), "{expired:?}");
    for order in rejected {
        let history: Vec<&str> = order["statusHistory"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["status"].as_str().unwrap())
            .collect();
        assert_eq!(history, ["PENDING", "REJECTED"], "{order}");
        assert_eq!(order["version"], 1);
    }
    b.app.stop_and_clean().await;
    t.stop().await;
}

#[tokio::test]
async fn a_reservation_made_after_the_deadline_is_given_back_once_even_when_redelivered() {
    let t = spawn_unheard().await;
    let lamp = t.product("Lamp", 10.0, 5).await;
    let buyer = t.customer();
    let id = t.place_id(&buyer, &[(&lamp, 2)]).await;
    t.wait_for_status(&id, "REJECTED").await;

    // product-service starts hearing orders only now: `order.created` reserves late, then
    // `order.expired` gives it back; both wait in its queue in that order.
    let listening = spawn_products(&t.names).await;
    let created_again = Envelope::new(
        keys::ORDER_CREATED,
        "order-service",
        "test",
        json!({ "orderId": id, "customerId": buyer.id,
                "items": [{ "productId": lamp, "quantity": 2 }] }),
    );
    let expired_again = Envelope::new(
        keys::ORDER_EXPIRED,
        "order-service",
        "test",
        json!({ "orderId": id, "customerId": buyer.id, "items": [], "reason": "SAGA_TIMEOUT" }),
    );
    let reserved_again = Envelope::new(
        keys::STOCK_RESERVED,
        "product-service",
        "test",
        json!({ "orderId": id, "items": [] }),
    );
    let orders_queue = t.bus.queue_name("product.orders");
    eventually("the late reservation and its release", WAIT, || async {
        let metrics = listening.get_text("/metrics").await;
        (consumed(&metrics, &orders_queue).await >= 2).then_some(())
    })
    .await;
    t.bus.wait_connected(WAIT).await;
    for event in [&created_again, &expired_again, &reserved_again] {
        shared::testing::publish(&t.bus, event).await;
    }

    eventually(
        "product-service to consume the redeliveries",
        WAIT,
        || async {
            let metrics = listening.get_text("/metrics").await;
            (consumed(&metrics, &orders_queue).await >= 4).then_some(())
        },
    )
    .await;
    let stock_queue = t.bus.queue_name("order.stock");
    // The late stock.reserved, stock.released, and the redelivered stock.reserved.
    eventually(
        "order-service to consume every stock answer",
        WAIT,
        || async {
            let metrics = t.orders.app.get_text("/metrics").await;
            (consumed(&metrics, &stock_queue).await >= 3).then_some(())
        },
    )
    .await;
    assert_eq!(t.stock_of(&lamp).await, 5);
    let reservation =
        t.db.client()
            .database(&t.names.database)
            .collection::<bson::Document>("reservations")
            .find_one(doc! { "_id": &id })
            .await
            .unwrap()
            .expect("a reservation");
    assert_eq!(reservation.get_str("status").unwrap(), "released");
    assert!(
        !reservation.get_array("lines").unwrap().is_empty(),
        "the stock was reserved after the deadline, not refused unseen: {reservation}"
    );
    let (_, order) = t.order(&id, &buyer.bearer).await;
    assert_eq!(order["data"]["status"], "REJECTED");
    assert_eq!(order["data"]["version"], 1);
    let oid = ObjectId::parse_str(&id).unwrap();
    let stored =
        t.db.collection::<bson::Document>("orders")
            .find_one(doc! { "_id": oid })
            .await
            .unwrap()
            .unwrap();
    assert!(stored.contains_key("stockReleasedAt"), "{stored}");
    listening.stop_and_clean().await;
    t.stop().await;
}
