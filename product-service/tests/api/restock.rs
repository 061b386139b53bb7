//! A received return's stock goes back on the shelf (issue 17), once per return whatever is
//! redelivered, and a payload that can never apply changes nothing. "Nothing more happened" is
//! read from the return's record, which counts every handling after its lines were applied.

use bson::{doc, oid::ObjectId};
use serde_json::{Value, json};
use shared::{
    events::{Envelope, keys},
    testing::eventually,
};

use crate::{
    helpers::{TestApp, WAIT, product, spawn_app},
    order_service::OrderService,
};

fn received(return_id: &str, items: &[(&str, i64)]) -> Envelope {
    let items: Vec<Value> = items
        .iter()
        .map(|(p, q)| json!({ "productId": p, "quantity": q }))
        .collect();
    Envelope::new(
        keys::RETURN_RECEIVED,
        "order-service",
        format!("req-return-{return_id}"),
        json!({ "returnId": return_id, "orderId": ObjectId::new().to_hex(),
            "customerId": "customer-1", "items": items, "amount": 3.0, "status": "RECEIVED" }),
    )
}

/// Waits until the return `id` was handled `n` times.
async fn handled(app: &TestApp, id: &str, n: i64) {
    let restocks = app.db.collection::<bson::Document>("restocks");
    eventually(&format!("return {id} handled {n} times"), WAIT, || async {
        let found = restocks.find_one(doc! { "_id": id }).await.unwrap();
        let count = found.and_then(|d| {
            d.get_i64("handled")
                .ok()
                .or_else(|| d.get_i32("handled").ok().map(i64::from))
        });
        (count == Some(n)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_redelivered_return_received_puts_the_stock_back_once() {
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["return.*"]).await;
    let lamp = app.create_ok(&product("Returned Lamp", 30.0, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bulb = app.create_ok(&product("Returned Bulb", 3.0, 0)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = ObjectId::new().to_hex();
    let event = received(&id, &[(&lamp, 2), (&bulb, 1)]);

    orders.publish(&event).await;
    handled(&app, &id, 1).await;
    assert_eq!(app.stock_of(&lamp).await, 7);
    assert_eq!(app.stock_of(&bulb).await, 1);

    // The same event again, as the broker redelivers it.
    orders.publish(&event).await;
    handled(&app, &id, 2).await;
    assert_eq!(app.stock_of(&lamp).await, 7, "restocked once");
    assert_eq!(app.stock_of(&bulb).await, 1, "restocked once");
    let (status, shown) = app.get_product(&lamp).await;
    assert_eq!(status, 200);
    assert_eq!(shown["data"]["stock"], 7, "the cached read shows it too");

    orders.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_return_received_with_a_bad_line_is_refused_and_restocks_nothing() {
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["return.*"]).await;
    let lamp = app.create_ok(&product("Unreturned Lamp", 30.0, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bad = ObjectId::new().to_hex();
    orders
        .publish(&received(&bad, &[(&lamp, 1), ("not-an-id", 1)]))
        .await;
    let good = ObjectId::new().to_hex();
    orders.publish(&received(&good, &[(&lamp, 1)])).await;
    handled(&app, &good, 1).await;

    // One queue handled in order: the bad event was dealt with before the good one.
    assert_eq!(app.stock_of(&lamp).await, 6, "only the good return counted");
    let restocks = app.db.collection::<bson::Document>("restocks");
    assert!(
        restocks
            .find_one(doc! { "_id": &bad })
            .await
            .unwrap()
            .is_none(),
        "the refused return left no trace"
    );
    orders.stop().await;
    app.stop().await;
}
