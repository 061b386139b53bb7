//! `PATCH /orders/{id}/status`: admins only, legal transitions only.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_without_fulfilment};

async fn set(t: &TestApp, id: &str, bearer: &str, body: Value) -> (u16, Value) {
    t.request(
        Method::PATCH,
        &format!("/orders/{id}/status"),
        Some(bearer),
        Some(&body),
    )
    .await
}

#[tokio::test]
async fn admins_make_legal_transitions_and_illegal_ones_are_409() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let id = t.place_id(&buyer, &[(&lamp, 1)]).await;
    t.wait_for_status(&id, "PROCESSING").await;

    let (by_customer, _) = set(&t, &id, &buyer.bearer, json!({ "status": "SHIPPED" })).await;
    let (unknown, unknown_body) = set(&t, &id, &t.admin, json!({ "status": "LOST" })).await;
    let (skipping, _) = set(&t, &id, &t.admin, json!({ "status": "DELIVERED" })).await;
    let (backwards, _) = set(&t, &id, &t.admin, json!({ "status": "PENDING" })).await;
    let (shipped, shipped_body) = set(&t, &id, &t.admin, json!({ "status": "SHIPPED" })).await;
    let (cancel_shipped, _) = t
        .request(
            Method::POST,
            &format!("/orders/{id}/cancel"),
            Some(&buyer.bearer),
            None,
        )
        .await;
    let (delivered, delivered_body) =
        set(&t, &id, &t.admin, json!({ "status": "DELIVERED" })).await;
    let (after_final, _) = set(&t, &id, &t.admin, json!({ "status": "CANCELLED" })).await;

    assert_eq!(
        (by_customer, unknown, skipping, backwards),
        (403, 400, 409, 409)
    );
    assert!(unknown_body["error"]["details"]["status"].is_string());
    assert_eq!(shipped, 200, "{shipped_body}");
    let order = &shipped_body["data"];
    assert!(
        order["carrier"].is_string()
            && order["trackingNumber"].as_str().unwrap().starts_with("TRK")
    );
    assert_eq!((cancel_shipped, delivered, after_final), (409, 200, 409));
    let history: Vec<&str> = delivered_body["data"]["statusHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["PENDING", "PROCESSING", "SHIPPED", "DELIVERED"]);
    assert!(
        delivered_body["data"]["statusHistory"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["at"].is_string())
    );
    assert_eq!(delivered_body["data"]["version"], 3);
    t.stop().await;
}

#[tokio::test]
async fn an_admin_ships_with_a_given_carrier_and_cannot_take_over_the_stock_saga() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let id = t.place_id(&buyer, &[(&lamp, 1)]).await;
    t.wait_for_status(&id, "PROCESSING").await;

    let (carrier_too_early, _) = set(
        &t,
        &id,
        &t.admin,
        json!({ "status": "DELIVERED", "carrier": "DHL" }),
    )
    .await;
    let (saga_owned, saga_body) = set(&t, &id, &t.admin, json!({ "status": "REJECTED" })).await;
    let (shipped, body) = set(
        &t,
        &id,
        &t.admin,
        json!({ "status": "SHIPPED", "carrier": "DHL", "trackingNumber": "JD0001" }),
    )
    .await;
    let (admin_cancel, _) = t
        .request(
            Method::POST,
            &format!("/orders/{id}/cancel"),
            Some(&t.admin),
            None,
        )
        .await;

    assert_eq!(carrier_too_early, 400);
    assert_eq!(saga_owned, 409, "{saga_body}");
    assert_eq!(shipped, 200, "{body}");
    assert_eq!(body["data"]["carrier"], "DHL");
    assert_eq!(body["data"]["trackingNumber"], "JD0001");
    assert_eq!(admin_cancel, 409);
    t.stop().await;
}
