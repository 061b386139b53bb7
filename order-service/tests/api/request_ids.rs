//! Request ids a caller sends: only a short, plain one is kept; any other is replaced at once,
//! so that it can never reach an event's AMQP `correlation_id` (one 60,000-character id once
//! stopped the outbox relay, and with it every order placed after it).

use reqwest::header::HeaderValue;
use serde_json::Value;

use crate::{
    helpers::{TestApp, spawn_without_fulfilment},
    requests::order_body,
};

/// `POST /orders` of one `product` with `x-request-id: id`.
async fn place_with_request_id(
    t: &TestApp,
    bearer: &str,
    product: &str,
    id: HeaderValue,
) -> reqwest::Response {
    t.orders
        .app
        .client
        .post(t.orders.app.url("/orders"))
        .header("authorization", bearer)
        .header("x-request-id", id)
        .json(&order_body(&[(product, 1)]))
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn orders_placed_with_an_oversized_or_unprintable_request_id_still_reach_processing() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 20).await;
    let buyer = t.customer();
    let oversized = "r".repeat(60_000);
    let refused: [&[u8]; 4] = [
        oversized.as_bytes(),
        b"tab\there",
        "caf\u{e9}".as_bytes(),
        b"two words",
    ];

    let mut placed = Vec::new();
    for given in refused {
        let id = HeaderValue::from_bytes(given).unwrap();
        let response = place_with_request_id(&t, &buyer.bearer, &lamp, id).await;
        assert_eq!(response.status(), 201);
        let echoed = response.headers()["x-request-id"].as_bytes().to_vec();
        assert_ne!(echoed, given, "a refused id is not echoed");
        assert!(shared::telemetry::is_acceptable_request_id(&echoed));
        let body: Value = response.json().await.unwrap();
        placed.push(body["data"]["id"].as_str().unwrap().to_owned());
    }
    let (status, kept, headers) = t
        .place_with_key(&buyer.bearer, &order_body(&[(&lamp, 1)]), None)
        .await;
    assert_eq!(status, 201, "{kept}");
    assert!(headers.contains_key("x-request-id"));
    placed.push(kept["data"]["id"].as_str().unwrap().to_owned());

    for id in &placed {
        t.wait_for_status(id, "PROCESSING").await;
    }
    t.stop().await;
}

#[tokio::test]
async fn a_short_plain_request_id_is_kept_and_echoed() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 5).await;
    let buyer = t.customer();

    let id = HeaderValue::from_static("checkout-42");
    let response = place_with_request_id(&t, &buyer.bearer, &lamp, id).await;

    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["x-request-id"], "checkout-42");
    t.stop().await;
}
