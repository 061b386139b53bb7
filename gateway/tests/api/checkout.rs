//! Checkout through the gateway (issue 15): `/api/checkout` is routed to order-service, needs a
//! token, has its optional body checked before it is forwarded, passes `Idempotency-Key` on,
//! and turns the cart into one order shipped to the address on file, paid with a new card.

use reqwest::Method;
use serde_json::{Value, json};

use crate::suite_helpers::{Customer, Fulfilment, Shop, spawn_shop};

impl Shop {
    /// `POST /api/checkout` with `Idempotency-Key: key` and a new test card that approves (no
    /// address: the one on file); the status and JSON body.
    async fn checkout_with_key(&self, customer: &Customer, key: &str) -> (u16, Value) {
        let card = json!({"number": "4242 4242 4242 4242", "expMonth": 12, "expYear": 2030,
            "cvc": "123"});
        let response = self
            .gateway
            .client
            .post(self.gateway.url("/api/checkout"))
            .header("authorization", &customer.bearer)
            .header("idempotency-key", key)
            .json(&json!({ "card": card }))
            .send()
            .await
            .expect("the gateway answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn a_storefront_checks_out_its_cart_once_through_the_gateway() {
    let shop = spawn_shop(Fulfilment::Off).await;
    let ada = shop.register("Ada", "ada.checkout@example.com").await;
    let bob = shop.register("Bob", "bob.checkout@example.com").await;
    let lamp = shop.product("Checkout Lamp", 19.99, 10, &[]).await;
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
            Method::POST,
            "/api/checkout",
            Some(&json!({"card": {"number": "4242424242424242"}})),
            Some(&ada.bearer),
        )
        .await;
    let (anonymous, _) = shop.call(Method::POST, "/api/checkout", None, None).await;
    let (bobs, bobs_answer) = shop
        .call(
            Method::POST,
            "/api/checkout",
            Some(&json!({})),
            Some(&bob.bearer),
        )
        .await;
    let (placed, order) = shop.checkout_with_key(&ada, "checkout-1").await;
    let (retried, again) = shop.checkout_with_key(&ada, "checkout-1").await;
    let emptied = shop
        .ok(Method::GET, "/api/cart", None, Some(&ada.bearer))
        .await;
    let orders = shop
        .ok(Method::GET, "/api/orders", None, Some(&ada.bearer))
        .await;
    let id = order["data"]["id"].as_str().unwrap_or_default();
    let processing = shop.wait_for_status(&ada, id, "PROCESSING").await;
    let (_, doc) = shop
        .call(Method::GET, "/api/openapi.json", None, None)
        .await;

    assert_eq!(refused, 400, "{refusal}");
    assert!(
        refusal["error"]["details"]["card.expMonth"].is_string(),
        "{refusal}"
    );
    assert_eq!(anonymous, 401);
    assert_eq!(bobs, 422, "bob's own cart is empty: {bobs_answer}");
    assert_eq!(placed, 201, "{order}");
    assert_eq!(retried, 201, "{again}");
    assert_eq!(again, order, "the first answer, replayed");
    assert_eq!(orders.as_array().map(Vec::len), Some(1), "{orders}");
    assert_eq!(order["data"]["quote"], cart["quote"], "to the cent");
    assert_eq!(order["data"]["items"][0]["quantity"], 3);
    assert_eq!(
        order["data"]["shippingAddress"]["street"], "1 Main St",
        "on file"
    );
    assert_eq!(emptied["items"], json!([]));
    assert_eq!(processing["quote"], cart["quote"]);
    let post = &doc["paths"]["/api/checkout"]["post"];
    assert_eq!(
        post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Checkout"
    );
    shop.stop().await;
}
