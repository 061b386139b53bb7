//! A redelivered `order.created` after a crash at any stage finishes the same outcome: what a
//! crash leaves behind is written here by hand (a claimed reservation, lines already taken, a
//! decision whose stock was not given back yet), then the event is delivered again.
//!
//! "Nothing more happened" is shown with a marker (see [`crate::order_service::marker`]).

use bson::{Document, doc, oid::ObjectId};
use shared::{events::keys, testing::eventually};

use crate::{
    helpers::{TestApp, WAIT, product, spawn_app},
    order_service::{OrderService, marker, new_order_id, order_created},
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
