//! Stock per location (issue 19): the admin spreads a product's units over warehouses and
//! stores; a reservation takes from warehouses first, then stores, each location guarded so
//! none goes below zero, once per order, and a cancellation puts the units back where they
//! came from; two instances racing for the last units across locations give exactly them.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use product_service::store::stock::located::parts_of;
use reqwest::Method;
use serde_json::{Value, json};
use shared::events::keys;

use crate::{
    helpers::{As, TestApp, assert_no_per_order_fields, product, spawn_app},
    order_service::{OrderService, new_order_id, order_cancelled, order_created},
    replicas::{distinct, every_buyer_answered, lowest_stock, two_instances},
};

async fn add_location(app: &TestApp, id: &str, kind: &str, priority: i64) {
    let body = json!({ "id": id, "name": format!("The {id}"), "kind": kind, "priority": priority });
    let (status, answer) = app
        .request(Method::POST, "/locations", As::Admin, Some(&body))
        .await;
    assert_eq!(status, 201, "{answer}");
}

async fn set_inventory(app: &TestApp, id: &str, who: As, levels: &[(&str, i64)]) -> (u16, Value) {
    let locations: Vec<Value> = levels
        .iter()
        .map(|(l, n)| json!({ "id": l, "stock": n }))
        .collect();
    let body = json!({ "locations": locations });
    app.request(
        Method::PUT,
        &format!("/products/{id}/inventory"),
        who,
        Some(&body),
    )
    .await
}

/// The product's units per location, as `GET /products/{id}/inventory` shows them.
async fn levels(app: &TestApp, id: &str) -> (i64, Vec<(String, i64)>) {
    let (status, body) = app.app.get(&format!("/products/{id}/inventory")).await;
    assert_eq!(status, 200, "{body}");
    let inventory: shared::api::inventory::Inventory =
        serde_json::from_value(body["data"].clone()).expect("the declared answer type");
    let levels = inventory
        .locations
        .into_iter()
        .map(|l| (l.id, l.stock))
        .collect();
    (inventory.total, levels)
}

fn owned(levels: &[(&str, i64)]) -> Vec<(String, i64)> {
    levels.iter().map(|(l, n)| ((*l).to_owned(), *n)).collect()
}

#[tokio::test]
async fn an_admin_spreads_a_products_units_over_locations_and_bad_inventories_change_nothing() {
    let app = spawn_app().await;
    add_location(&app, "store-a", "store", 0).await;
    add_location(&app, "north", "warehouse", 1).await;
    let created = app.create_ok(&product("Spread Lamp", 20.0, 10)).await;
    let id = created["id"].as_str().unwrap();

    // Before: everything in the main warehouse; every location listed, warehouses first.
    let (status, listed) = app.app.get("/locations").await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["main", "north", "store-a"]);
    assert_eq!(
        levels(&app, id).await,
        (10, owned(&[("main", 10), ("north", 0), ("store-a", 0)]))
    );

    let (status, body) = set_inventory(
        &app,
        id,
        As::Admin,
        &[("main", 3), ("north", 2), ("store-a", 4)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["total"], 9);
    assert_eq!(
        levels(&app, id).await,
        (9, owned(&[("main", 3), ("north", 2), ("store-a", 4)]))
    );
    let (_, shown) = app.get_product(id).await;
    assert_eq!(shown["data"]["stock"], 9, "the product's stock is the sum");

    // Refused, changing nothing: an unknown location, a location twice, a customer, a
    // product edit that would change the stock (an edit keeping it is fine).
    assert_eq!(
        set_inventory(&app, id, As::Admin, &[("attic", 1)]).await.0,
        422
    );
    assert_eq!(
        set_inventory(&app, id, As::Admin, &[("main", 1), ("main", 2)])
            .await
            .0,
        400
    );
    assert_eq!(
        set_inventory(&app, id, As::Customer, &[("main", 1)])
            .await
            .0,
        403
    );
    let (status, body) = app.replace(id, &product("Spread Lamp", 21.0, 50)).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = app.replace(id, &product("Spread Lamp", 21.0, 9)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        levels(&app, id).await,
        (9, owned(&[("main", 3), ("north", 2), ("store-a", 4)]))
    );
    let (status, _) = app
        .request(
            Method::POST,
            "/locations",
            As::Admin,
            Some(&json!({"id": "north", "name": "Again", "kind": "warehouse"})),
        )
        .await;
    assert_eq!(status, 409, "a location's id is its own");
    let missing = bson::oid::ObjectId::new().to_hex();
    assert_eq!(
        app.app
            .get(&format!("/products/{missing}/inventory"))
            .await
            .0,
        404
    );
    app.app.stop_and_clean().await;
}

#[tokio::test]
async fn a_reservation_takes_from_warehouses_first_and_a_cancellation_puts_units_back_where_they_came_from()
 {
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*"]).await;
    add_location(&app, "store-a", "store", 0).await;
    add_location(&app, "north", "warehouse", 1).await;
    let mut body = product("Split Chair", 40.0, 0);
    body["lowStockThreshold"] = json!(0);
    let id = app.create_ok(&body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    set_inventory(
        &app,
        &id,
        As::Admin,
        &[("main", 2), ("north", 1), ("store-a", 3)],
    )
    .await;

    // Four units: the main warehouse's two, the north's one, one from the store.
    let first = new_order_id();
    orders.publish(&order_created(&first, &[(&id, 4)])).await;
    orders
        .wait_for(keys::STOCK_RESERVED, |d| d["orderId"] == first.as_str())
        .await;
    assert_eq!(
        levels(&app, &id).await,
        (2, owned(&[("main", 0), ("north", 0), ("store-a", 2)]))
    );
    let holds = app.holds_of(&id).await;
    let mut from = parts_of(holds[0].get_document("from").unwrap());
    from.sort();
    assert_eq!(from, owned(&[("main", 2), ("north", 1), ("store-a", 1)]));

    // More than is left anywhere: refused, nothing taken.
    let greedy = new_order_id();
    orders.publish(&order_created(&greedy, &[(&id, 3)])).await;
    let refused = orders
        .wait_for(keys::STOCK_REJECTED, |d| d["orderId"] == greedy.as_str())
        .await;
    assert_eq!(refused.data["lines"][0]["available"], 2);
    assert_eq!(levels(&app, &id).await.0, 2);

    orders.publish(&order_cancelled(&first)).await;
    orders
        .wait_for(keys::STOCK_RELEASED, |d| d["orderId"] == first.as_str())
        .await;
    crate::order_service::marker(&orders, &id).await;
    // The marker took one unit again, from the main warehouse (it is first once refilled).
    assert_eq!(
        levels(&app, &id).await,
        (5, owned(&[("main", 1), ("north", 1), ("store-a", 3)]))
    );
    assert_no_per_order_fields(&app.product_doc(&id).await);
    orders.stop().await;
    app.app.stop_and_clean().await;
}

#[tokio::test]
async fn two_instances_racing_for_the_last_units_across_locations_give_exactly_them() {
    let (first, second, orders) = two_instances().await;
    add_location(&first, "store-a", "store", 0).await;
    add_location(&first, "north", "warehouse", 1).await;
    let mut body = product("Last Across", 5.0, 0);
    body["lowStockThreshold"] = json!(0);
    let scarce = first.create_ok(&body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    set_inventory(
        &first,
        &scarce,
        As::Admin,
        &[("main", 2), ("north", 1), ("store-a", 2)],
    )
    .await;
    const BUYERS: usize = 30;
    let events: Vec<_> = (0..BUYERS)
        .map(|_| order_created(&new_order_id(), &[(&scarce, 1)]))
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = lowest_stock(&first.db, &scarce, done.clone());

    futures::future::join_all(events.iter().map(|e| orders.publish(e))).await;
    every_buyer_answered(&orders, BUYERS).await;
    done.store(true, Ordering::SeqCst);

    assert_eq!(distinct(&orders.seen(keys::STOCK_RESERVED)).len(), 5);
    assert_eq!(
        distinct(&orders.seen(keys::STOCK_REJECTED)).len(),
        BUYERS - 5
    );
    assert!(sampler.await.unwrap() >= 0);
    assert_eq!(
        levels(&first, &scarce).await,
        (0, owned(&[("main", 0), ("north", 0), ("store-a", 0)])),
        "every location emptied, none below zero"
    );
    let taken: i64 = first
        .holds_of(&scarce)
        .await
        .iter()
        .map(|h| {
            parts_of(h.get_document("from").unwrap())
                .iter()
                .map(|(_, n)| n)
                .sum::<i64>()
        })
        .sum();
    assert_eq!(taken, 5, "the holds account for every unit");
    assert_no_per_order_fields(&first.product_doc(&scarce).await);
    orders.stop().await;
    second.app.stop_and_clean().await;
    first.app.stop_and_clean().await;
}

async fn patch_location(app: &TestApp, id: String, who: As, body: Value) -> (u16, Value) {
    let path = format!("/locations/{id}");
    app.request(Method::PATCH, &path, who, Some(&body)).await
}

async fn remove_location(app: &TestApp, id: String) -> (u16, Value) {
    let path = format!("/locations/{id}");
    app.request(Method::DELETE, &path, As::Admin, None).await
}

async fn location_ids(app: &TestApp) -> Vec<String> {
    let (status, listed) = app.app.get("/locations").await;
    assert_eq!(status, 200);
    listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_admin_renames_and_reorders_locations_and_removes_one_only_once_nothing_is_there() {
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*"]).await;
    add_location(&app, "store-a", "store", 0).await;
    add_location(&app, "north", "warehouse", 1).await;
    let patch = |id: &str, who: As, body: Value| patch_location(&app, id.to_owned(), who, body);

    // Renamed, then made a warehouse taken before the others.
    let (status, body) = patch("north", As::Admin, json!({"name": "North hub"})).await;
    assert_eq!(
        (status, &body["data"]["name"]),
        (200, &json!("North hub")),
        "{body}"
    );
    assert_eq!(location_ids(&app).await, ["main", "north", "store-a"]);
    let (status, _) = patch(
        "store-a",
        As::Admin,
        json!({"kind": "warehouse", "priority": 0}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(location_ids(&app).await, ["main", "store-a", "north"]);
    // Refused, changing nothing.
    assert_eq!(
        patch("attic", As::Admin, json!({"name": "Attic"})).await.0,
        404
    );
    assert_eq!(
        patch("north", As::Customer, json!({"name": "Mine"}))
            .await
            .0,
        403
    );
    assert_eq!(
        patch("north", As::Admin, json!({"priority": 5000})).await.0,
        400
    );
    assert_eq!(
        patch("north", As::Admin, json!({"name": null, "colour": 1}))
            .await
            .0,
        400
    );

    // Units there, then an order holding units taken from there: it stays.
    let mut body = product("Moving Lamp", 12.0, 0);
    body["lowStockThreshold"] = json!(0);
    let id = app.create_ok(&body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    set_inventory(&app, &id, As::Admin, &[("store-a", 2)]).await;
    let remove = |id: &str| remove_location(&app, id.to_owned());
    let (status, body) = remove("store-a").await;
    assert_eq!(status, 409, "{body}");
    let order = new_order_id();
    orders.publish(&order_created(&order, &[(&id, 2)])).await;
    orders
        .wait_for(keys::STOCK_RESERVED, |d| d["orderId"] == order.as_str())
        .await;
    set_inventory(&app, &id, As::Admin, &[("main", 4)]).await;
    let (status, body) = remove("store-a").await;
    assert_eq!(status, 409, "a held order's units go back there: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(&order));

    // Released: its units are back there; moved away, the location can go.
    orders.publish(&order_cancelled(&order)).await;
    orders
        .wait_for(keys::STOCK_RELEASED, |d| d["orderId"] == order.as_str())
        .await;
    assert_eq!(levels(&app, &id).await.0, 6);
    assert_eq!(remove("store-a").await.0, 409, "two units are there again");
    set_inventory(&app, &id, As::Admin, &[("main", 6)]).await;
    assert_eq!(remove("store-a").await.0, 200);
    assert_eq!(location_ids(&app).await, ["main", "north"]);
    assert_eq!(remove("store-a").await.0, 404);
    assert_eq!(remove("main").await.0, 409, "the main warehouse stays");
    assert_eq!(
        levels(&app, &id).await,
        (6, owned(&[("main", 6), ("north", 0)]))
    );
    orders.stop().await;
    app.app.stop_and_clean().await;
}
