//! Returns through the gateway (issue 17): routed to order-service, bodies and ids checked at
//! the door, the admin-only actions refused to a customer there, and a return of a delivered
//! order taken to `REFUNDED`.

use reqwest::Method;
use serde_json::json;
use shared::testing::eventually;

use crate::suite_helpers::{Fulfilment, WAIT, spawn_shop};

#[tokio::test]
async fn a_customer_returns_part_of_a_delivered_order_and_an_admin_takes_it_to_refunded() {
    let shop = spawn_shop(Fulfilment::Off).await;
    let ada = shop.register("Ada", "ada.returns@example.com").await;
    let lamp = shop.product("Return Lamp", 30.0, 10, &[]).await;
    let lamp = lamp["id"].as_str().unwrap();
    let order = shop.order(&ada, lamp, 2).await;
    shop.set_status(&order, json!({"status": "SHIPPED"})).await;
    shop.set_status(&order, json!({"status": "DELIVERED"}))
        .await;
    let path = format!("/api/orders/{order}/returns");

    let (bad, problem) = shop
        .call(
            Method::POST,
            &path,
            Some(&json!({"items": [{"productId": lamp, "quantity": 0}], "reason": " "})),
            Some(&ada.bearer),
        )
        .await;
    let made = shop
        .ok(
            Method::POST,
            &path,
            Some(&json!({"items": [{"productId": lamp, "quantity": 1}], "reason": "Too bright"})),
            Some(&ada.bearer),
        )
        .await;
    let id = made["id"].as_str().unwrap();
    let (by_customer, _) = shop
        .call(
            Method::POST,
            &format!("/api/returns/{id}/approve"),
            None,
            Some(&ada.bearer),
        )
        .await;
    let (not_an_id, _) = shop
        .call(
            Method::GET,
            "/api/returns/not-an-id",
            None,
            Some(&ada.bearer),
        )
        .await;
    let (anonymous, _) = shop.call(Method::GET, "/api/returns", None, None).await;
    assert_eq!(
        (bad, by_customer, not_an_id, anonymous),
        (400, 403, 400, 401),
        "{problem}"
    );
    let details = problem["error"]["details"].as_object().unwrap();
    assert!(
        details.contains_key("items[0].quantity") && details.contains_key("reason"),
        "{problem}"
    );

    for action in ["approve", "receive"] {
        shop.ok(
            Method::POST,
            &format!("/api/returns/{id}/{action}"),
            None,
            Some(&shop.admin),
        )
        .await;
    }
    let refunded = eventually("the return to be refunded", WAIT, || async {
        let ret = shop
            .ok(
                Method::GET,
                &format!("/api/returns/{id}"),
                None,
                Some(&ada.bearer),
            )
            .await;
        (ret["status"] == "REFUNDED").then_some(ret)
    })
    .await;
    let mine = shop
        .ok(Method::GET, "/api/returns", None, Some(&ada.bearer))
        .await;
    assert_eq!(refunded["orderId"], order.as_str());
    assert_eq!(mine[0]["id"], id, "{mine}");
    shop.stop().await;
}
