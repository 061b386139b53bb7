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

/// `stock.released` goes out only after the stock is back: whoever reads the stock on it (live
/// stock streams) must see the units returned. Cancellations one after the other make the
/// relay's pass woken by one order run while the next is between its decision and its giving
/// back, which is where an event staged with the decision went out too early.
#[tokio::test]
async fn stock_released_goes_out_only_after_the_order_s_stock_is_back() {
    use std::sync::{Arc, Mutex};

    use bson::{Document, doc};
    use shared::events::ConsumerSpec;

    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*"]).await;
    let id = app.create_ok(&product("Released", 2.0, 40)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids: Vec<String> = (0..20).map(|_| new_order_id()).collect();
    for order in &ids {
        orders.publish(&order_created(order, &[(&id, 1)])).await;
    }
    orders.wait_count(keys::STOCK_RESERVED, ids.len()).await;
    assert_eq!(app.stock_of(&id).await, 20);

    // On each stock.released, as it arrives: is that order's unit back on the product?
    let early = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = Arc::new(Mutex::new(0_usize));
    let (holds, products) = (
        app.db.collection::<Document>("stock_holds"),
        app.db.collection::<Document>("products"),
    );
    let (product_id, sink, count) = (id.clone(), early.clone(), seen.clone());
    let watching = orders.bus.consume(
        ConsumerSpec::new("test.released-watch", &[keys::STOCK_RELEASED]),
        move |event| {
            let (holds, products, product_id) =
                (holds.clone(), products.clone(), product_id.clone());
            let (sink, count) = (sink.clone(), count.clone());
            async move {
                let order = event.data["orderId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let hold = holds
                    .find_one(doc! { "_id": format!("{order}/{product_id}") })
                    .await
                    .expect("hold read");
                let product = products
                    .find_one(doc! { "_id": bson::oid::ObjectId::parse_str(&product_id).unwrap() })
                    .await
                    .expect("product read")
                    .expect("the product");
                let returned = hold.is_some_and(|h| h.get_str("state") == Ok("returned"));
                let settling = product
                    .get_document("givingBack")
                    .is_ok_and(|markers| markers.contains_key(&order));
                if !returned || settling {
                    sink.lock().unwrap().push(order);
                }
                *count.lock().unwrap() += 1;
                Ok(())
            }
        },
    );
    assert!(watching.wait_subscribed(WAIT).await, "the watch subscribed");

    // Edits of another product keep the relay passing all the while (each write nudges it).
    let spare = app.create_ok(&product("Busy", 1.0, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let busy = tokio_util::sync::CancellationToken::new();
    let editing = {
        let (client, url, admin, stop) = (
            app.app.client.clone(),
            app.app.url(&format!("/products/{spare}")),
            app.admin.clone(),
            busy.clone(),
        );
        let mut body = product("Busy", 1.0, 5);
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.is_cancelled() {
                n += 1;
                body["description"] = format!("edit {n}").into();
                let edit = client.put(&url).header("authorization", &admin).json(&body);
                assert_eq!(edit.send().await.expect("edit").status().as_u16(), 200);
            }
        })
    };
    let cancels: Vec<_> = ids.iter().map(|order| order_cancelled(order)).collect();
    futures::future::join_all(cancels.iter().map(|event| orders.publish(event))).await;
    eventually("every stock.released checked", WAIT, || async {
        (*seen.lock().unwrap() >= ids.len()).then_some(())
    })
    .await;
    busy.cancel();
    editing.await.unwrap();
    assert_eq!(
        early.lock().unwrap().clone(),
        Vec::<String>::new(),
        "stock.released arrived before these orders' units were back"
    );
    assert_eq!(app.stock_of(&id).await, 40);
    for order in &ids {
        let reservation = app.reservation(order).await.unwrap();
        assert!(
            !reservation.contains_key(product_service::store::stock::ANNOUNCE),
            "the marker is cleared with the event"
        );
    }
    drop(watching);
    orders.stop().await;
    app.stop().await;
}

/// A release that stopped after its decision (status `released`, the announcement owed, the
/// units still held) is finished by the redelivery: the units come back and `stock.released`
/// goes out once, however often the cancellation comes again.
#[tokio::test]
async fn a_release_stopped_after_its_decision_is_given_back_and_announced_once_on_redelivery() {
    use bson::{Document, doc};
    use product_service::store::stock::ANNOUNCE;

    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*"]).await;
    let id = app.create_ok(&product("Interrupted", 3.0, 5)).await["id"]
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
    // What a crash right after the decision leaves.
    app.db
        .collection::<Document>("reservations")
        .update_one(
            doc! { "_id": &order },
            doc! { "$set": { "status": "released", ANNOUNCE: keys::STOCK_RELEASED } },
        )
        .await
        .unwrap();
    assert_eq!(app.stock_of(&id).await, 3);

    orders.publish(&order_cancelled(&order)).await;
    orders
        .wait_for(keys::STOCK_RELEASED, |d| d["orderId"] == order.as_str())
        .await;
    assert_eq!(app.stock_of(&id).await, 5);
    orders.publish(&order_cancelled(&order)).await;
    marker(&orders, &spare).await;

    assert_eq!(orders.seen_for(keys::STOCK_RELEASED, &order).len(), 1);
    assert_eq!(app.stock_of(&id).await, 5);
    let reservation = app.reservation(&order).await.unwrap();
    assert!(!reservation.contains_key(ANNOUNCE));
    assert_eq!(reservation.get_str("status").unwrap(), "released");
    orders.stop().await;
    app.stop().await;
}
