//! Giving stock back: cancellations release exactly once, and the low-stock alert fires once
//! per low period.
//!
//! "Nothing more happened" is shown with a marker (see [`crate::order_service::marker`]): an
//! event published after the ones under test is consumed after them (one queue, handled in
//! order), and its answer is published after theirs (the relay publishes older documents
//! first, and one document's events in order), so once the marker's answer arrives, any answer
//! to the earlier events has too.

use serde_json::json;
use shared::{events::keys, testing::eventually};

use crate::{
    helpers::{WAIT, product, spawn_app},
    order_service::{OrderService, marker, new_order_id, order_cancelled, order_created},
};

#[tokio::test]
async fn a_cancelled_order_gives_its_stock_back_once_even_when_cancelled_twice() {
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*"]).await;
    let id = app.create_ok(&product("Returnable", 3.0, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let spare = app.create_ok(&product("Marker", 1.0, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let order = new_order_id();
    orders.publish(&order_created(&order, &[(&id, 2)])).await;
    orders
        .wait_for(keys::STOCK_RESERVED, |d| d["orderId"] == order.as_str())
        .await;
    assert_eq!(app.stock_of(&id).await, 3);

    orders.publish(&order_cancelled(&order)).await;
    orders.publish(&order_cancelled(&order)).await;
    let released = orders
        .wait_for(keys::STOCK_RELEASED, |d| d["orderId"] == order.as_str())
        .await;
    marker(&orders, &spare).await;

    assert_eq!(
        released.data["items"],
        json!([{ "productId": id, "quantity": 2 }])
    );
    assert_eq!(orders.seen_for(keys::STOCK_RELEASED, &order).len(), 1);
    assert_eq!(app.stock_of(&id).await, 5);
    assert_eq!(
        app.reservation(&order)
            .await
            .unwrap()
            .get_str("status")
            .unwrap(),
        "released"
    );

    // Cancelled before it was seen: the late order.created reserves nothing.
    let early = new_order_id();
    orders.publish(&order_cancelled(&early)).await;
    orders.publish(&order_created(&early, &[(&id, 1)])).await;
    marker(&orders, &spare).await;
    assert_eq!(app.stock_of(&id).await, 5);
    assert!(orders.seen_for(keys::STOCK_RESERVED, &early).is_empty());
    assert!(orders.seen_for(keys::STOCK_RELEASED, &early).is_empty());
    orders.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn stock_low_fires_once_when_the_threshold_is_crossed_and_again_after_a_restock() {
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*", "product.*"]).await;
    let mut body = product("Lowering", 4.0, 6);
    body["lowStockThreshold"] = json!(5);
    let id = app.create_ok(&body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let buy = |order: String| {
        let orders = &orders;
        let id = id.clone();
        async move {
            orders.publish(&order_created(&order, &[(&id, 1)])).await;
            orders
                .wait_for(keys::STOCK_RESERVED, |d| d["orderId"] == order.as_str())
                .await;
        }
    };
    let first = [new_order_id(), new_order_id(), new_order_id()];

    buy(first[0].clone()).await; // 6 -> 5: at the threshold, not below it
    buy(first[1].clone()).await; // 5 -> 4: crosses
    let low = orders
        .wait_for(keys::PRODUCT_STOCK_LOW, |d| d["productId"] == id.as_str())
        .await;
    assert_eq!(
        low.data,
        json!({ "productId": id, "name": "Lowering", "stock": 4, "threshold": 5 })
    );
    buy(first[2].clone()).await; // 4 -> 3: still low, no second alert
    // Marker on the same document: its events go out in the order they were staged.
    let mut same = product("Lowering", 4.0, 3);
    same["lowStockThreshold"] = json!(5);
    assert_eq!(app.replace(&id, &same).await.0, 200);
    orders
        .wait_for(keys::PRODUCT_UPDATED, |d| d["id"] == id.as_str())
        .await;
    assert_eq!(orders.seen(keys::PRODUCT_STOCK_LOW).len(), 1);

    for order in &first[1..] {
        orders.publish(&order_cancelled(order)).await;
        orders
            .wait_for(keys::STOCK_RELEASED, |d| d["orderId"] == order.as_str())
            .await;
    }
    eventually("the low period to end", WAIT, || async {
        let stored = app.product_doc(&id).await;
        (product_service::store::int(&stored, "stock") == Some(5)
            && !product_service::store::flag(&stored, "stockLow"))
        .then_some(())
    })
    .await;
    buy(new_order_id()).await; // 5 -> 4: a new crossing
    orders.wait_count(keys::PRODUCT_STOCK_LOW, 2).await;
    orders.stop().await;
    app.stop().await;
}
