//! Coming back to a stream: the past before the present, each replayed change with the order
//! as it stood then, 204 once everything was seen, and gaps in the live feed filled from the
//! store, over SSE and WebSocket alike.

use std::time::Duration;

use bson::{doc, oid::ObjectId};
use chrono::Utc;
use order_service::{
    domain::{Change, transition},
    events,
    store::orders,
};
use reqwest::Method;
use serde_json::{Value, json};
use shared::events::{Envelope, keys};

use crate::{
    helpers::{TestApp, WAIT, spawn_without_fulfilment},
    streams::{expect_message, next_event, send, sse, subscribe, transition as moved, ws},
};

/// Places an order and takes it to `DELIVERED` through the admin route; its id.
async fn delivered_order(t: &TestApp) -> (String, crate::requests::Customer) {
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let id = t.place_id(&buyer, &[(&lamp, 1)]).await;
    t.wait_for_status(&id, "PROCESSING").await;
    for status in ["SHIPPED", "DELIVERED"] {
        let (code, body) = t
            .request(
                Method::PATCH,
                &format!("/orders/{id}/status"),
                Some(&t.admin),
                Some(&json!({ "status": status })),
            )
            .await;
        assert_eq!(code, 200, "{body}");
    }
    (id, buyer)
}

/// `(type, event id, order status, order version, history length)` of a message.
fn shown(kind: &str, id: &str, data: &Value) -> (String, String, String, i64, usize) {
    let order = &data["order"];
    (
        kind.to_owned(),
        id.to_owned(),
        order["status"].as_str().unwrap_or_default().to_owned(),
        order["version"].as_i64().unwrap_or(-1),
        order["statusHistory"].as_array().map_or(0, Vec::len),
    )
}

/// What a client that had index 1 must get: a snapshot as of 1, then changes 2 and 3, each
/// with the order as it stood at its index.
fn replayed_after_1() -> Vec<(String, String, String, i64, usize)> {
    let row = |kind: &str, id: &str, status: &str, version, len| {
        (
            kind.to_owned(),
            id.to_owned(),
            status.to_owned(),
            version,
            len,
        )
    };
    vec![
        row("snapshot", "", "PROCESSING", 1, 2),
        row("order.status_changed", "2", "SHIPPED", 2, 3),
        row("order.status_changed", "3", "DELIVERED", 3, 4),
    ]
}

#[tokio::test]
async fn a_resumed_stream_replays_the_past_in_order_each_change_with_the_order_as_it_stood_then() {
    // Arrange: the client saw index 1 (PROCESSING); the order has since been delivered.
    let t = spawn_without_fulfilment().await;
    let (id, buyer) = delivered_order(&t).await;
    let url = t.orders.app.url(&format!("/orders/{id}/stream"));

    // Act
    let (status, mut events) = sse(&url, &buyer.bearer, Some("1")).await;
    let mut received = Vec::new();
    while let Some(event) = next_event(&mut events).await {
        let data: Value = serde_json::from_str(&event.data).unwrap();
        received.push(shown(&event.event, &event.id, &data));
    }
    let (seen_all, _) = sse(&url, &buyer.bearer, Some("3")).await;
    let (seen_some, _) = sse(&url, &buyer.bearer, Some("2")).await;

    // Assert: the past in order, then the end; nothing more to say once all was seen.
    assert_eq!(status, 200);
    assert_eq!(received, replayed_after_1());
    assert_eq!(
        seen_all, 204,
        "a delivered order seen to the end: EventSource stops"
    );
    assert_eq!(seen_some, 200);
    t.stop().await;
}

#[tokio::test]
async fn a_websocket_subscription_after_an_index_replays_the_past_as_it_stood() {
    // Arrange
    let t = spawn_without_fulfilment().await;
    let (id, buyer) = delivered_order(&t).await;
    let mut socket = ws(&t.orders.app.base_url, Some(&buyer.bearer)).await;

    // Act
    send(
        &mut socket,
        json!({ "type": "subscribe", "orderId": id, "after": 1 }),
    )
    .await;
    let mut received = Vec::new();
    for _ in 0..3 {
        let message = expect_message(&mut socket).await;
        let index = message["index"].as_i64().map(|i| i.to_string());
        let kind = message["type"].as_str().unwrap().to_owned();
        received.push(shown(&kind, &index.unwrap_or_default(), &message));
    }

    // Assert
    assert_eq!(received, replayed_after_1());
    t.stop().await;
}

/// Writes the changes straight to the store, as a replica whose events never reached this
/// one's queue would have; returns each change as `order.status_changed` carries it.
async fn behind_the_bus(t: &TestApp, id: &str, changes: &[Change]) -> Vec<Value> {
    let id = ObjectId::parse_str(id).unwrap();
    let mut order = orders::by_id(&t.db, id).await.unwrap().expect("the order");
    let mut carried = Vec::new();
    for change in changes {
        let next = transition::apply(&order, change, Utc::now(), Duration::ZERO).unwrap();
        let written = orders::replace_if_unchanged(&t.db, &order, &next, &[], doc! {}).await;
        assert!(written.unwrap().is_some(), "written");
        carried.push(serde_json::to_value(events::status_change(&order, &next).unwrap()).unwrap());
        order = next;
    }
    carried
}

#[tokio::test]
async fn a_live_change_that_skips_indices_is_preceded_by_the_missing_ones_from_the_store() {
    // Arrange: both transports follow an order at PROCESSING (index 1).
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let id = t.place_id(&buyer, &[(&lamp, 1)]).await;
    t.wait_for_status(&id, "PROCESSING").await;
    let url = t.orders.app.url(&format!("/orders/{id}/stream"));
    let (_, mut events) = sse(&url, &buyer.bearer, None).await;
    assert_eq!(next_event(&mut events).await.unwrap().id, "1");
    let mut socket = ws(&t.orders.app.base_url, Some(&buyer.bearer)).await;
    subscribe(&mut socket, &id).await;
    assert_eq!(expect_message(&mut socket).await["order"]["version"], 1);

    // Act: SHIPPED (2) and DELIVERED (3) are stored, but only 3 reaches the queue.
    let ship = Change::Ship {
        carrier: None,
        tracking_number: None,
    };
    let carried = behind_the_bus(&t, &id, &[ship, Change::Deliver]).await;
    t.bus.wait_connected(WAIT).await;
    let last = Envelope::new(
        keys::ORDER_STATUS_CHANGED,
        "order-service",
        "test",
        carried[1].clone(),
    );
    shared::testing::publish(&t.bus, &last).await;

    // Assert
    let mut over_sse = Vec::new();
    while let Some(event) = next_event(&mut events).await {
        let data: Value = serde_json::from_str(&event.data).unwrap();
        over_sse.push((event.id, moved(&data), shown("", "", &data).2));
    }
    let mut over_ws = Vec::new();
    for _ in 0..2 {
        let message = expect_message(&mut socket).await;
        let index = message["index"].to_string();
        over_ws.push((index, moved(&message), shown("", "", &message).2));
    }
    let step = |index: &str, from: &str, to: &str| {
        (
            index.to_owned(),
            (from.to_owned(), to.to_owned()),
            to.to_owned(),
        )
    };
    let expected = vec![
        step("2", "PROCESSING", "SHIPPED"),
        step("3", "SHIPPED", "DELIVERED"),
    ];
    assert_eq!(over_sse, expected, "then the stream ends");
    assert_eq!(over_ws, expected);
    t.stop().await;
}
