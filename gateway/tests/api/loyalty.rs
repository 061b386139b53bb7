//! Saved addresses and loyalty through the gateway (issue 15): routed to customer-service,
//! bodies checked at the door, and points earned when a real order is delivered.

use reqwest::Method;
use serde_json::{Value, json};
use shared::{Money, testing::eventually};

use crate::suite_helpers::{Fulfilment, WAIT, spawn_shop};

#[tokio::test]
async fn a_delivered_order_earns_points_and_addresses_are_kept_through_the_gateway() {
    let shop = spawn_shop(Fulfilment::Off).await;
    let ada = shop.register("Ada", "ada.loyalty@example.com").await;
    let lamp = shop.product("Loyalty Lamp", 260.0, 10, &[]).await;
    let lamp = lamp["id"].as_str().unwrap();

    // Addresses: the one given at sign-up is the first; a bad body never reaches the service.
    let home = json!({"street": "2 Elm St", "city": "Springfield", "zipCode": "12345", "country": "US", "label": "Home", "isDefault": true});
    let saved = shop
        .ok(
            Method::POST,
            "/api/customers/me/addresses",
            Some(&home),
            Some(&ada.bearer),
        )
        .await;
    let (refused, refusal) = shop
        .call(
            Method::POST,
            "/api/customers/me/addresses",
            Some(&json!({"street": "3 Elm St", "city": "", "zipCode": "1", "country": "US"})),
            Some(&ada.bearer),
        )
        .await;
    let book = shop
        .ok(
            Method::GET,
            "/api/customers/me/addresses",
            None,
            Some(&ada.bearer),
        )
        .await;
    let me = shop
        .ok(
            Method::GET,
            &format!("/api/customers/{}", ada.id),
            None,
            Some(&ada.bearer),
        )
        .await;
    assert_eq!(saved["isDefault"], true);
    assert_eq!(
        (refused, refusal["error"]["details"].get("city").is_some()),
        (400, true),
        "{refusal}"
    );
    assert_eq!(book.as_array().unwrap().len(), 2, "{book}");
    assert_eq!(me["address"]["street"], "2 Elm St");

    // Loyalty: the tiers are public, the account is not.
    let tiers = shop.ok(Method::GET, "/api/loyalty/tiers", None, None).await;
    let (anonymous, _) = shop.call(Method::GET, "/api/loyalty", None, None).await;
    assert_eq!(
        tiers[1],
        json!({"name": "Silver", "minPoints": 500, "discountPercent": 5})
    );
    assert_eq!(anonymous, 401);

    let order = shop.order(&ada, lamp, 2).await;
    shop.set_status(
        &order,
        json!({"status": "SHIPPED", "carrier": "UPS", "trackingNumber": "1Z999"}),
    )
    .await;
    let delivered = shop
        .set_status(&order, json!({"status": "DELIVERED"}))
        .await;
    let total = Money::from_json(&delivered["total"]).unwrap();
    let earned = total.cents() / 100;

    let account: Value = eventually("points for the delivered order", WAIT, || async {
        let account = shop
            .ok(Method::GET, "/api/loyalty", None, Some(&ada.bearer))
            .await;
        (account["points"].as_i64() > Some(0)).then_some(account)
    })
    .await;
    assert!(earned >= 520, "{delivered}");
    assert_eq!(account["points"].as_i64(), Some(earned), "{account}");
    assert_eq!(account["tier"], "Silver");
    assert_eq!(account["history"][0]["orderId"], order.as_str());
    shop.stop().await;
}
