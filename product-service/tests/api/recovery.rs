//! A redelivered `order.created` after a crash at any stage finishes the same outcome: what a
//! crash leaves behind is written here by hand (a claimed reservation, lines already taken, a
//! decision whose stock was not given back yet), then the event is delivered again.
//!
//! Lines are taken here in the shape versions before issue 22 kept them
//! (`reservations.<order>` on the product), so these also pin that a product not migrated yet
//! is read correctly; `holds.rs` covers the same crashes in today's shape, and the last test
//! here the start-up migration.
//!
//! "Nothing more happened" is shown with a marker (see [`crate::order_service::marker`]).

use bson::{Document, doc, oid::ObjectId};
use shared::{events::keys, testing::eventually};

use crate::{
    helpers::{TestApp, WAIT, assert_no_per_order_fields, product, spawn_app, spawn_with},
    order_service::{OrderService, marker, new_order_id, order_cancelled, order_created},
};

/// What a crash left: the reservation claimed with `status`, and `taken` units of `product`
/// already held by the order (and gone from its stock).
async fn crashed(
    app: &TestApp,
    order: &str,
    status: &str,
    lines: &[(&str, i64)],
    taken: &[(&str, i64)],
) {
    let lines: Vec<Document> = lines
        .iter()
        .map(|(p, q)| doc! { "productId": *p, "quantity": *q })
        .collect();
    app.db
        .collection::<Document>("reservations")
        .insert_one(doc! {
            "_id": order, "status": status, "lines": lines,
            "outbox": {}, "outboxCount": 0_i64, "createdAt": bson::DateTime::now(),
        })
        .await
        .unwrap();
    for (product, quantity) in taken {
        let held = format!("reservations.{order}");
        app.db
            .collection::<Document>("products")
            .update_one(
                doc! { "_id": ObjectId::parse_str(product).unwrap() },
                doc! { "$inc": { "stock": -quantity }, "$set": { &held: *quantity } },
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_redelivery_after_a_crash_half_way_takes_no_line_twice_and_answers_once() {
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*"]).await;
    let first = app.create_ok(&product("First", 1.0, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = app.create_ok(&product("Second", 1.0, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let order = new_order_id();
    // Crashed after taking the first line, before the second.
    crashed(
        &app,
        &order,
        "pending",
        &[(&first, 2), (&second, 1)],
        &[(&first, 2)],
    )
    .await;

    orders
        .publish(&order_created(&order, &[(&first, 2), (&second, 1)]))
        .await;
    orders
        .wait_for(keys::STOCK_RESERVED, |d| d["orderId"] == order.as_str())
        .await;
    marker(&orders, &second).await;

    assert_eq!(
        app.stock_of(&first).await,
        3,
        "the first line was not taken again"
    );
    assert_eq!(
        app.stock_of(&second).await,
        5 - 1 - 1,
        "the second line, and the marker's"
    );
    assert_eq!(orders.seen_for(keys::STOCK_RESERVED, &order).len(), 1);
    assert_eq!(
        app.reservation(&order)
            .await
            .unwrap()
            .get_str("status")
            .unwrap(),
        "reserved"
    );
    orders.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_redelivery_after_a_crash_between_rejecting_and_giving_back_gives_back_without_answering_again()
 {
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*"]).await;
    let taken = app.create_ok(&product("Taken", 1.0, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let short = app.create_ok(&product("Short", 1.0, 0)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let order = new_order_id();
    // Decided (and its stock.rejected staged) but crashed before giving the first line back.
    crashed(
        &app,
        &order,
        "rejected",
        &[(&taken, 2), (&short, 1)],
        &[(&taken, 2)],
    )
    .await;
    assert_eq!(app.stock_of(&taken).await, 3);

    orders
        .publish(&order_created(&order, &[(&taken, 2), (&short, 1)]))
        .await;
    eventually("the held line to come back", WAIT, || async {
        (app.stock_of(&taken).await == 5).then_some(())
    })
    .await;
    marker(&orders, &taken).await;

    assert_eq!(
        app.stock_of(&taken).await,
        4,
        "given back once; then the marker's unit"
    );
    assert!(
        orders.seen_for(keys::STOCK_REJECTED, &order).is_empty(),
        "decided before the crash"
    );
    assert!(orders.seen_for(keys::STOCK_RESERVED, &order).is_empty());
    orders.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_new_instance_moves_legacy_reservations_into_holds_and_they_are_given_back_once() {
    let first = spawn_app().await;
    let orders = OrderService::start(&first.names, &["stock.*"]).await;
    let old = first.create_ok(&product("Old", 1.0, 10)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (held, returned) = (new_order_id(), new_order_id());
    crashed(&first, &held, "reserved", &[(&old, 3)], &[(&old, 3)]).await;
    crashed(&first, &returned, "released", &[(&old, 2)], &[]).await;
    let products = first.db.collection::<Document>("products");
    let id = ObjectId::parse_str(&old).unwrap();
    let given_back = format!("reservations.{returned}");
    products
        .update_one(doc! { "_id": id }, doc! { "$set": { &given_back: 0_i64 } })
        .await
        .unwrap();

    // A new instance (as after a deploy) migrates at start-up.
    let second = spawn_with(first.names.clone(), |_| {}).await;
    second.app.wait_healthy(WAIT).await;
    eventually("the legacy entries to be moved", WAIT, || async {
        let stored = first.product_doc(&old).await;
        (!stored.contains_key("reservations")).then_some(stored)
    })
    .await;

    assert_eq!(first.stock_of(&old).await, 7);
    let holds = first.holds_of(&old).await;
    assert_eq!(holds.len(), 1, "the held entry only: {holds:?}");
    assert_eq!(holds[0].get_str("orderId"), Ok(held.as_str()));
    assert_eq!(holds[0].get_str("state"), Ok("held"));
    orders.publish(&order_cancelled(&held)).await;
    orders
        .wait_for(keys::STOCK_RELEASED, |d| d["orderId"] == held.as_str())
        .await;
    orders.publish(&order_cancelled(&held)).await;
    marker(&orders, &old).await;
    assert_eq!(
        first.stock_of(&old).await,
        10 - 1,
        "given back once; the marker's unit"
    );
    assert_no_per_order_fields(&first.product_doc(&old).await);
    orders.stop().await;
    second.app.stop_and_clean().await;
    first.stop().await;
}
