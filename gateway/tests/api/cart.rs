//! The cart through the gateway (issue 15): routed to order-service, its body checked before
//! it is forwarded, priced from product-service, and listed in the API document.

use reqwest::Method;
use serde_json::json;

use crate::suite_helpers::{Fulfilment, spawn_shop};

#[tokio::test]
async fn a_storefront_fills_and_empties_a_cart_through_the_gateway() {
    let shop = spawn_shop(Fulfilment::Off).await;
    let ada = shop.register("Ada", "ada.cart@example.com").await;
    let bob = shop.register("Bob", "bob.cart@example.com").await;
    let lamp = shop.product("Cart Lamp", 19.99, 10, &[]).await;
    let lamp = lamp["id"].as_str().unwrap();
    let line = format!("/api/cart/items/{lamp}");

    let cart = shop
        .ok(
            Method::PUT,
            &line,
            Some(&json!({"quantity": 3})),
            Some(&ada.bearer),
        )
        .await;
    let (refused, refusal) = shop
        .call(
            Method::PUT,
            &line,
            Some(&json!({"quantity": -1})),
            Some(&ada.bearer),
        )
        .await;
    let (bad_id, bad_id_answer) = shop
        .call(
            Method::PUT,
            "/api/cart/items/nope",
            Some(&json!({"quantity": 1})),
            Some(&ada.bearer),
        )
        .await;
    let (anonymous, _) = shop.call(Method::GET, "/api/cart", None, None).await;
    let bobs = shop
        .ok(Method::GET, "/api/cart", None, Some(&bob.bearer))
        .await;
    let again = shop
        .ok(Method::GET, "/api/cart", None, Some(&ada.bearer))
        .await;
    let emptied = shop
        .ok(Method::DELETE, "/api/cart", None, Some(&ada.bearer))
        .await;
    let (_, doc) = shop
        .call(Method::GET, "/api/openapi.json", None, None)
        .await;

    assert_eq!(cart["items"][0]["subtotal"], json!(59.97));
    // 59.97 ships free; tax 4.7976 → 4.80.
    assert_eq!(
        cart["quote"],
        json!({"subtotal": 59.97, "couponDiscount": 0.0, "tierDiscount": 0.0,
            "pointsDiscount": 0.0, "shipping": 0.0, "tax": 4.8, "total": 64.77})
    );
    assert_eq!(refused, 400);
    assert!(
        refusal["error"]["details"]["quantity"].is_string(),
        "{refusal}"
    );
    assert_eq!(bad_id, 400);
    assert!(
        bad_id_answer["error"]["details"]["productId"].is_string(),
        "{bad_id_answer}"
    );
    assert_eq!(anonymous, 401);
    assert_eq!(bobs["items"], json!([]));
    assert_eq!(again, cart);
    assert_eq!(emptied["items"], json!([]));
    let put = &doc["paths"]["/api/cart/items/{productId}"]["put"];
    assert_eq!(
        put["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/CartQuantity"
    );
    assert_eq!(
        put["parameters"][0]["schema"]["pattern"],
        "^[0-9a-fA-F]{24}$"
    );
    shop.stop().await;
}
