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

#[tokio::test]
async fn an_admin_gives_points_and_a_customer_redeems_them_at_checkout_through_the_gateway() {
    let shop = spawn_shop(Fulfilment::Off).await;
    let bea = shop.register("Bea", "bea.points@example.com").await;
    let lamp = shop.product("Points Lamp", 30.0, 10, &[]).await;
    let lamp = lamp["id"].as_str().unwrap();
    let adjustments = format!("/api/customers/{}/loyalty/adjustments", bea.id);
    let gift = json!({"points": 1250, "reason": "welcome", "id": "gift-1"});

    let (by_customer, _) = shop
        .call(Method::POST, &adjustments, Some(&gift), Some(&bea.bearer))
        .await;
    let (bad, problem) = shop
        .call(
            Method::POST,
            &adjustments,
            Some(&json!({"points": 0, "reason": "x"})),
            Some(&shop.admin),
        )
        .await;
    let given = shop
        .ok(Method::POST, &adjustments, Some(&gift), Some(&shop.admin))
        .await;
    // The hold endpoint is for services: the gateway routes no /api/internal.
    let (internal, _) = shop
        .call(
            Method::POST,
            "/api/internal/loyalty/holds",
            Some(&json!({"key": "k", "orderId": lamp, "points": 1250})),
            Some(&bea.bearer),
        )
        .await;
    assert_eq!((by_customer, bad, internal), (403, 400, 404), "{problem}");
    assert_eq!(
        (given["points"].as_i64(), given["tier"].as_str()),
        (Some(1250), Some("Silver"))
    );

    shop.ok(
        Method::PUT,
        &format!("/api/cart/items/{lamp}"),
        Some(&json!({"quantity": 1})),
        Some(&bea.bearer),
    )
    .await;
    let (refused, refusal) = shop
        .call(
            Method::POST,
            "/api/checkout",
            Some(&json!({"redeemPoints": -5})),
            Some(&bea.bearer),
        )
        .await;
    let order = shop
        .ok(
            Method::POST,
            "/api/checkout",
            Some(
                &json!({"redeemPoints": 1000, "card": {"number": "4242 4242 4242 4242",
                "expMonth": 12, "expYear": 2030, "cvc": "123"}}),
            ),
            Some(&bea.bearer),
        )
        .await;
    let account = shop
        .ok(Method::GET, "/api/loyalty", None, Some(&bea.bearer))
        .await;

    assert_eq!(refused, 400, "{refusal}");
    assert!(
        refusal["error"]["details"]["redeemPoints"].is_string(),
        "{refusal}"
    );
    // Points come off after the coupon and the tier (Silver's share, once tiers price).
    let cents = |v: &Value| Money::from_json(v).unwrap().cents();
    let quote = &order["quote"];
    assert_eq!(cents(&quote["pointsDiscount"]), 1000, "{order}");
    assert_eq!(
        cents(&order["total"]),
        3000 - cents(&quote["couponDiscount"]) - cents(&quote["tierDiscount"]) - 1000,
        "{order}"
    );
    // Held, or already spent if the stock was reserved in between.
    assert_eq!(account["points"], 250, "{account}");
    let history = account["history"].as_array().unwrap();
    assert!(
        history.iter().any(|h| h["reason"] == "POINTS_HELD"),
        "{account}"
    );
    shop.stop().await;
}
