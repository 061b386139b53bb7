//! A received return's stock goes back on the shelf (issue 17), once per return whatever is
//! redelivered, and a payload that can never apply changes nothing. "Nothing more happened" is
//! read from the return's record, which counts every handling after its lines were applied.

use bson::{doc, oid::ObjectId};
use product_service::store::restock::{Restock, ReturnedLine};
use serde_json::{Value, json};
use shared::{
    events::{Envelope, keys},
    testing::eventually,
};

use crate::{
    helpers::{TestApp, WAIT, assert_no_per_order_fields, product, spawn_app},
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

/// Fails unless `product` carries nothing of any return: no legacy `restocked`, no
/// `restocking` marker, nothing on its way back.
fn assert_no_per_return_fields(product: &bson::Document) {
    assert!(!product.contains_key("restocked"), "{product}");
    let left = product
        .get_document("restocking")
        .map(bson::Document::len)
        .unwrap_or(0);
    assert_eq!(left, 0, "restocking left on {product}");
    assert_no_per_order_fields(product);
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
    assert_no_per_return_fields(&app.product_doc(&lamp).await);
    assert_no_per_return_fields(&app.product_doc(&bulb).await);
    let lines = app.db.collection::<bson::Document>("restock_lines");
    let recorded = lines
        .count_documents(doc! { "returnId": &id })
        .await
        .unwrap();
    assert_eq!(recorded, 2, "one line per product, in its own collection");

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

#[tokio::test]
async fn concurrent_deliveries_of_one_return_put_its_stock_back_once() {
    let app = spawn_app().await;
    let lamp = app.create_ok(&product("Raced Lamp", 30.0, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lamp_id = ObjectId::parse_str(&lamp).unwrap();
    let restock = Restock::new(&app.db);
    let return_id = ObjectId::new().to_hex();
    let line = [ReturnedLine {
        product_id: lamp_id,
        quantity: 3,
    }];

    // Eight copies of one return.received handled at once, as by eight consumers.
    let attempts = (0..8).map(|_| restock.apply(&return_id, "order-1", &line));
    let changed = futures::future::join_all(attempts).await;

    let changed: Vec<bool> = changed.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        changed.iter().filter(|c| **c).count(),
        1,
        "exactly one attempt put the stock back: {changed:?}"
    );
    assert_eq!(app.stock_of(&lamp).await, 8);
    assert_eq!(restock.handled(&return_id).await.unwrap(), 8);
    assert_no_per_return_fields(&app.product_doc(&lamp).await);
    app.stop().await;
}

#[tokio::test]
async fn a_restock_stopped_after_staging_is_finished_once_by_the_redelivery() {
    let app = spawn_app().await;
    let lamp = app.create_ok(&product("Crashed Lamp", 30.0, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lamp_id = ObjectId::parse_str(&lamp).unwrap();
    let return_id = ObjectId::new().to_hex();
    // What an attempt that crashed after its first write leaves: units staged, a marker.
    app.db
        .collection::<bson::Document>("products")
        .update_one(
            doc! { "_id": lamp_id },
            doc! { "$inc": { "returningUnits": 2 },
            "$set": { format!("restocking.{return_id}"): "crashed-attempt" } },
        )
        .await
        .unwrap();
    let restock = Restock::new(&app.db);
    let line = [ReturnedLine {
        product_id: lamp_id,
        quantity: 2,
    }];

    assert!(restock.apply(&return_id, "order-1", &line).await.unwrap());
    assert!(!restock.apply(&return_id, "order-1", &line).await.unwrap());

    assert_eq!(app.stock_of(&lamp).await, 7, "the staged units, once");
    assert_no_per_return_fields(&app.product_doc(&lamp).await);
    app.stop().await;
}

#[tokio::test]
async fn a_return_recorded_on_the_product_by_an_older_version_is_migrated_and_not_restocked_again()
{
    let app = spawn_app().await;
    let lamp = app.create_ok(&product("Legacy Lamp", 30.0, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lamp_id = ObjectId::parse_str(&lamp).unwrap();
    let (old, older) = (ObjectId::new().to_hex(), ObjectId::new().to_hex());
    let products = app.db.collection::<bson::Document>("products");
    products
        .update_one(
            doc! { "_id": lamp_id },
            doc! { "$set": { format!("restocked.{old}"): 2, format!("restocked.{older}"): 1 } },
        )
        .await
        .unwrap();
    let restock = Restock::new(&app.db);
    let line = |q| {
        [ReturnedLine {
            product_id: lamp_id,
            quantity: q,
        }]
    };

    // Before the migration, the legacy entry already says done.
    assert!(!restock.apply(&old, "order-1", &line(2)).await.unwrap());
    assert_eq!(restock.migrate_legacy().await.unwrap(), 2);
    assert_eq!(restock.migrate_legacy().await.unwrap(), 0, "idempotent");
    assert!(!restock.apply(&older, "order-1", &line(1)).await.unwrap());

    assert_eq!(
        app.stock_of(&lamp).await,
        5,
        "nothing put back a second time"
    );
    assert_no_per_return_fields(&app.product_doc(&lamp).await);
    let lines = app.db.collection::<bson::Document>("restock_lines");
    assert_eq!(lines.count_documents(doc! {}).await.unwrap(), 2);
    app.stop().await;
}
