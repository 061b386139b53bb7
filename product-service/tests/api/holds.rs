//! Holds in their own collection (issue 22): the product document keeps no per-order field
//! once a step is finished, and a redelivery finishes a take or a give-back wherever a crash
//! stopped it (the crash's leftovers are written here by hand: markers, staged units, holds).
//!
//! "Nothing more happened" is shown with a marker order (see
//! [`crate::order_service::marker`]).

use bson::{Document, doc, oid::ObjectId};
use serde_json::json;
use shared::{events::keys, testing::eventually};

use crate::{
    helpers::{TestApp, WAIT, assert_no_per_order_fields, product, spawn_app},
    order_service::{OrderService, marker, new_order_id, order_cancelled, order_created},
};

/// Units every order here takes of its product.
const Q: i64 = 2;

/// Writes the order's reservation as a crash left it.
async fn reservation(app: &TestApp, order: &str, status: &str, product: &str) {
    app.db
        .collection::<Document>("reservations")
        .insert_one(doc! {
            "_id": order, "status": status,
            "lines": [{ "productId": product, "quantity": Q }],
            "outbox": {}, "outboxCount": 0_i64, "createdAt": bson::DateTime::now(),
        })
        .await
        .unwrap();
}

/// Applies `update` to the product, as a step of a crashed attempt did.
async fn on_product(app: &TestApp, product: &str, update: Document) {
    app.db
        .collection::<Document>("products")
        .update_one(
            doc! { "_id": ObjectId::parse_str(product).unwrap() },
            update,
        )
        .await
        .unwrap();
}

/// Writes the hold of `order` on `product`, taken by `taken_by` and, when given, returned by
/// `returned_by`.
async fn hold(
    app: &TestApp,
    order: &str,
    product: &str,
    taken_by: &str,
    returned_by: Option<&str>,
) {
    let mut hold = doc! {
        "_id": format!("{order}/{product}"), "orderId": order, "productId": product,
        "quantity": Q, "state": "held", "takenBy": taken_by,
    };
    if let Some(by) = returned_by {
        hold.extend(doc! { "state": "returned", "returnedBy": by });
    }
    app.db
        .collection::<Document>("stock_holds")
        .insert_one(hold)
        .await
        .unwrap();
}

async fn new_product(app: &TestApp, name: &str, stock: i64) -> String {
    let mut body = product(name, 1.0, stock);
    body["lowStockThreshold"] = json!(0);
    app.create_ok(&body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The product document's size without its outbox, which the relay empties on its own time.
async fn bookkeeping_size(app: &TestApp, product: &str) -> usize {
    let mut stored = app.product_doc(product).await;
    for volatile in ["outbox", "outboxCount", "updatedAt"] {
        stored.remove(volatile);
    }
    bson::to_vec(&stored).unwrap().len()
}

#[tokio::test]
async fn after_many_orders_reserve_and_release_the_product_document_keeps_no_per_order_fields() {
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*"]).await;
    let popular = new_product(&app, "Popular", 100).await;
    let before = bookkeeping_size(&app, &popular).await;
    let ids: Vec<String> = (0..30).map(|_| new_order_id()).collect();

    for order in &ids {
        orders
            .publish(&order_created(order, &[(&popular, Q)]))
            .await;
    }
    orders.wait_count(keys::STOCK_RESERVED, ids.len()).await;
    assert_no_per_order_fields(&app.product_doc(&popular).await);
    for order in &ids {
        orders.publish(&order_cancelled(order)).await;
    }
    orders.wait_count(keys::STOCK_RELEASED, ids.len()).await;

    let stored = app.product_doc(&popular).await;
    assert_eq!(product_service::store::int(&stored, "stock"), Some(100));
    assert_no_per_order_fields(&stored);
    let after = bookkeeping_size(&app, &popular).await;
    assert!(
        after <= before + 64,
        "grew from {before} to {after} bytes: {stored}"
    );
    let holds = app.holds_of(&popular).await;
    assert_eq!(holds.len(), ids.len(), "one hold per order");
    assert!(holds.iter().all(|h| h.get_str("state") == Ok("returned")));
    orders.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_redelivered_order_created_finishes_a_take_stopped_at_any_step_with_one_hold() {
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*"]).await;
    let spare = new_product(&app, "Marker", 5).await;
    // Stopped after taking (marker, no hold); after recording the hold (marker left); and a
    // second take by a copy of the event that stopped before putting its units back.
    let cases = [
        ("after the take", 10 - Q, None),
        ("after the hold", 10 - Q, Some("t-first")),
        ("after a duplicate take", 10 - 2 * Q, Some("t-other")),
    ];
    let mut scenes = Vec::new();
    for (name, stock, recorded) in cases {
        let id = new_product(&app, name, 10).await;
        let order = new_order_id();
        reservation(&app, &order, "pending", &id).await;
        let taking = format!("taking.{order}");
        on_product(
            &app,
            &id,
            doc! { "$set": { "stock": stock, &taking: "t-first" } },
        )
        .await;
        if let Some(by) = recorded {
            // The duplicate's marker is "t-first"; the hold records the other attempt.
            hold(&app, &order, &id, by, None).await;
        }
        scenes.push((name, id, order, recorded.unwrap_or("t-first")));
    }

    for (_, id, order, _) in &scenes {
        orders.publish(&order_created(order, &[(id, Q)])).await;
    }
    for (_, _, order, _) in &scenes {
        orders
            .wait_for(keys::STOCK_RESERVED, |d| d["orderId"] == order.as_str())
            .await;
    }
    marker(&orders, &spare).await;

    for (name, id, order, taken_by) in &scenes {
        let stored = app.product_doc(id).await;
        assert_eq!(
            product_service::store::int(&stored, "stock"),
            Some(10 - Q),
            "{name}"
        );
        assert_no_per_order_fields(&stored);
        let holds = app.holds_of(id).await;
        assert_eq!(holds.len(), 1, "{name}: one hold");
        assert_eq!(holds[0].get_str("takenBy"), Ok(*taken_by), "{name}");
        assert_eq!(holds[0].get_str("state"), Ok("held"), "{name}");
        assert_eq!(
            orders.seen_for(keys::STOCK_RESERVED, order).len(),
            1,
            "{name}"
        );
    }
    orders.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_redelivered_release_finishes_a_give_back_stopped_at_any_step_returning_the_units_once() {
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*"]).await;
    let spare = new_product(&app, "Marker", 5).await;
    // (name, stock, taking marker, hold (taken by, returned by), givingBack marker, returning)
    type Case = (
        &'static str,
        i64,
        Option<&'static str>,
        Option<(&'static str, Option<&'static str>)>,
        Option<&'static str>,
        i64,
    );
    let cases: [Case; 5] = [
        (
            "decided, nothing given",
            10 - Q,
            None,
            Some(("t", None)),
            None,
            0,
        ),
        ("taken, never recorded", 10 - Q, Some("t"), None, None, 0),
        ("staged", 10 - Q, None, Some(("t", None)), Some("g"), Q),
        (
            "recorded returned",
            10 - Q,
            None,
            Some(("t", Some("g"))),
            Some("g"),
            Q,
        ),
        (
            "a duplicate staged",
            10,
            None,
            Some(("t", Some("g"))),
            Some("g-dup"),
            Q,
        ),
    ];
    let mut scenes = Vec::new();
    for (name, stock, taking, recorded, giving, returning) in cases {
        let id = new_product(&app, name, 10).await;
        let order = new_order_id();
        reservation(&app, &order, "released", &id).await;
        let mut set = doc! { "stock": stock, "returningUnits": returning };
        if let Some(t) = taking {
            set.insert(format!("taking.{order}"), t);
        }
        if let Some(g) = giving {
            set.insert(format!("givingBack.{order}"), g);
        }
        on_product(&app, &id, doc! { "$set": set }).await;
        if let Some((taken_by, returned_by)) = recorded {
            hold(&app, &order, &id, taken_by, returned_by).await;
        }
        scenes.push((name, id, order));
    }

    for (_, _, order) in &scenes {
        orders.publish(&order_cancelled(order)).await;
    }
    for (_, id, _) in &scenes {
        eventually("the units to come back", WAIT, || async {
            (app.stock_of(id).await == 10).then_some(())
        })
        .await;
    }
    // Delivered once more: nothing comes back twice.
    for (_, _, order) in &scenes {
        orders.publish(&order_cancelled(order)).await;
    }
    marker(&orders, &spare).await;

    for (name, id, order) in &scenes {
        let stored = app.product_doc(id).await;
        assert_eq!(
            product_service::store::int(&stored, "stock"),
            Some(10),
            "{name}"
        );
        assert_no_per_order_fields(&stored);
        let holds = app.holds_of(id).await;
        assert_eq!(holds.len(), 1, "{name}: one hold");
        assert_eq!(holds[0].get_str("state"), Ok("returned"), "{name}");
        assert!(
            orders.seen_for(keys::STOCK_RELEASED, order).is_empty(),
            "{name}: decided before the crash"
        );
    }
    orders.stop().await;
    app.stop().await;
}
