//! Live stock (issue 19): `GET /products/{id}/stock/stream` without a token, fed by the stock
//! events on every replica's own queue, so a stream on one replica sees what the other did.

use std::{pin::Pin, time::Duration};

use eventsource_stream::{Event, Eventsource};
use futures::{Stream, StreamExt};
use serde_json::Value;
use shared::testing::TestNames;

use crate::{
    helpers::{TestApp, WAIT, product, spawn_app, spawn_with},
    order_service::{OrderService, new_order_id, order_cancelled, order_created},
};

type Events = Pin<Box<dyn Stream<Item = Event> + Send>>;

/// How long to wait for one event.
const NEXT: Duration = Duration::from_secs(20);

/// Opens the stream anonymously: its status and events.
async fn open(app: &TestApp, id: &str) -> (u16, Events) {
    let response = app
        .app
        .client
        .get(app.app.url(&format!("/products/{id}/stock/stream")))
        .header("accept", "text/event-stream")
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let events = response
        .bytes_stream()
        .eventsource()
        .filter_map(|r| async move { r.ok() })
        .boxed();
    (status, events)
}

/// The next event's name and data, or `None` at the end.
async fn next(events: &mut Events) -> Option<(String, Value)> {
    let event = tokio::time::timeout(NEXT, events.next())
        .await
        .expect("an event (or the end) within the time limit")?;
    Some((
        event.event,
        serde_json::from_str(&event.data).unwrap_or(Value::Null),
    ))
}

#[tokio::test]
async fn a_stream_on_one_replica_follows_stock_changed_through_the_other() {
    let names = TestNames::new();
    let first = spawn_with(names.clone(), |_| {}).await;
    let second = spawn_with(names.clone(), |_| {}).await;
    first.app.wait_healthy(WAIT).await;
    second.app.wait_healthy(WAIT).await;
    let orders = OrderService::start(&names, &["stock.*"]).await;
    let mut body = product("Live Lamp", 12.0, 6);
    body["lowStockThreshold"] = 3.into();
    let lamp = first.create_ok(&body).await;
    let id = lamp["id"].as_str().unwrap();

    let (status, mut events) = open(&second, id).await;
    assert_eq!(status, 200);
    let (kind, data) = next(&mut events).await.unwrap();
    assert_eq!(kind, "snapshot");
    assert_eq!(data["productId"], id);
    assert_eq!(
        (data["stock"].as_i64(), data["stockStatus"].as_str()),
        (Some(6), Some("in_stock"))
    );

    // Reserved by whichever replica takes the order: 6 → 2, low.
    let order = new_order_id();
    orders.publish(&order_created(&order, &[(id, 4)])).await;
    let (kind, data) = next(&mut events).await.unwrap();
    assert_eq!(kind, "stock");
    assert_eq!(
        (data["stock"].as_i64(), data["stockStatus"].as_str()),
        (Some(2), Some("low_stock"))
    );

    // Given back: 2 → 6.
    orders.publish(&order_cancelled(&order)).await;
    let (_, data) = next(&mut events).await.unwrap();
    assert_eq!(
        (data["stock"].as_i64(), data["stockStatus"].as_str()),
        (Some(6), Some("in_stock"))
    );

    // An admin's edit on the first replica: none left.
    body["stock"] = 0.into();
    assert_eq!(first.replace(id, &body).await.0, 200);
    let (_, data) = next(&mut events).await.unwrap();
    assert_eq!(
        (data["stock"].as_i64(), data["stockStatus"].as_str()),
        (Some(0), Some("out_of_stock"))
    );

    // Deleted: said, and the stream ends.
    assert_eq!(first.delete(id).await.0, 200);
    let (kind, data) = next(&mut events).await.unwrap();
    assert_eq!(
        (kind.as_str(), data["productId"].as_str()),
        ("deleted", Some(id))
    );
    assert!(next(&mut events).await.is_none(), "the stream ends");

    orders.stop().await;
    second.app.stop_and_clean().await;
    first.app.stop_and_clean().await;
}

#[tokio::test]
async fn a_stream_of_a_missing_product_or_a_bad_id_is_refused() {
    let app = spawn_app().await;

    let (status, _) = open(&app, &new_order_id()).await;
    assert_eq!(status, 404);
    let (status, body) = app.app.get("/products/not-an-id/stock/stream").await;
    assert_eq!(status, 400);
    assert!(body["error"]["details"]["id"].is_string(), "{body}");
    app.stop().await;
}
