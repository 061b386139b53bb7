//! The stock consumer tells the relay about exactly what it staged (issue 22: fewer reads of
//! the database under load). A fresh reservation's decision is handed over whole, so
//! `stock.reserved` goes out without the relay reading `reservations`; an order that stages
//! nothing on its product wakes no read of `products`; `product.stock_low` still wakes one.
//!
//! The relay here polls once an hour, so only a hand or a nudge makes it publish, and a
//! "quiet" document in each collection (an event staged with no nudge) shows whether a pass
//! read that collection: it stays pending until one does.

use std::time::Duration;

use bson::{Document, doc, oid::ObjectId};
use product_service::{cache::Cache, events::orders::StockKeeper, store::stock::Stock};
use serde_json::json;
use shared::{
    config::MongoConfig,
    events::{Bus, Envelope, keys},
    outbox::{self, Relay},
    testing::{TestNames, bus_config, eventually, mongodb_uri},
};
use tokio_util::sync::CancellationToken;

use crate::{
    helpers::WAIT,
    order_service::{OrderService, new_order_id, order_created},
};

async fn database(names: &TestNames) -> mongodb::Database {
    let config = MongoConfig {
        uri: mongodb_uri(),
        database: names.database.clone(),
    };
    shared::store::mongo(&config, "handed-test").await.unwrap()
}

/// A product with `stock` units and a low-stock threshold of `threshold`.
async fn product(db: &mongodb::Database, stock: i64, threshold: i64) -> String {
    let id = ObjectId::new();
    db.collection::<Document>("products")
        .insert_one(doc! {
            "_id": id, "name": format!("Lamp {id}"), "price": 1000_i64,
            "stock": stock, "lowStockThreshold": threshold, "stockLow": false,
            "outbox": {}, "outboxCount": 0_i64,
        })
        .await
        .unwrap();
    id.to_hex()
}

/// A document of `collection` holding one event staged without telling the relay.
async fn quiet(db: &mongodb::Database, collection: &str, id: bson::Bson) {
    let event = Envelope::new(
        keys::PRODUCT_UPDATED,
        "product-service",
        "req-quiet",
        json!({ "orderId": "quiet" }),
    );
    let mut document = doc! { "_id": id, "status": "reserved", "lines": [] };
    document.extend(outbox::initial(&[event]).unwrap());
    db.collection::<Document>(collection)
        .insert_one(document)
        .await
        .unwrap();
}

async fn pending(db: &mongodb::Database, collection: &str, id: bson::Bson) -> i64 {
    let found = db
        .collection::<Document>(collection)
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .expect("the document");
    outbox::pending_count(&found)
}

#[tokio::test]
async fn a_fresh_reservation_goes_out_without_a_read_and_only_stock_low_wakes_one_of_products() {
    let names = TestNames::new();
    let db = database(&names).await;
    let cancel = CancellationToken::new();
    let orders = OrderService::start(&names, &["stock.*", "product.stock_low"]).await;
    let relay_bus = Bus::start(bus_config(&names), "product-service", cancel.clone());
    assert!(relay_bus.wait_connected(WAIT).await);
    let relay = Relay::new(
        db.clone(),
        &["products", "reservations", "reviews"],
        relay_bus,
        Duration::from_secs(3600),
    );
    let (nudge, heartbeat) = (relay.nudge(), relay.heartbeat());
    relay.spawn(cancel.clone());
    eventually("the relay's first pass", WAIT, || async {
        heartbeat
            .backlog()
            .contains_key("reservations")
            .then_some(())
    })
    .await;
    let keeper = StockKeeper {
        stock: Stock::new(&db).with_nudge(nudge),
        cache: Cache::new(None, Duration::from_secs(60)),
    };
    let plenty = product(&db, 10, 2).await;
    let quiet_product = ObjectId::new();
    quiet(&db, "products", quiet_product.into()).await;
    quiet(&db, "reservations", "quiet".into()).await;

    // Two units of ten: no stock_low. The decision is handed over.
    let order = new_order_id();
    keeper
        .handle(order_created(&order, &[(&plenty, 2)]))
        .await
        .unwrap();
    orders
        .wait_for(keys::STOCK_RESERVED, |d| d["orderId"] == order.as_str())
        .await;
    eventually("the handed stock.reserved marked sent", WAIT, || async {
        (pending(&db, "reservations", order.clone().into()).await == 0).then_some(())
    })
    .await;
    assert_eq!(
        pending(&db, "reservations", "quiet".into()).await,
        1,
        "reservations were not read"
    );
    assert_eq!(
        pending(&db, "products", quiet_product.into()).await,
        1,
        "products were not read"
    );

    // Down to one unit of a product whose threshold is two: stock_low is staged on the
    // product, and that wakes a read of products (which also finds the quiet one there).
    let scarce = product(&db, 2, 2).await;
    let low = new_order_id();
    keeper
        .handle(order_created(&low, &[(&scarce, 1)]))
        .await
        .unwrap();
    orders
        .wait_for(keys::STOCK_RESERVED, |d| d["orderId"] == low.as_str())
        .await;
    orders
        .wait_for(keys::PRODUCT_STOCK_LOW, |d| {
            d["productId"] == scarce.as_str()
        })
        .await;
    eventually(
        "the quiet product's event found by the read",
        WAIT,
        || async { (pending(&db, "products", quiet_product.into()).await == 0).then_some(()) },
    )
    .await;
    assert_eq!(
        pending(&db, "reservations", "quiet".into()).await,
        1,
        "still no read of reservations"
    );
    cancel.cancel();
    orders.stop().await;
    db.drop().await.unwrap();
}
