//! Live updates over SSE and WebSocket: the purchase flow, heartbeats, authentication and
//! clean-up (resuming: `resume.rs`; slow clients: `slow.rs`).

use std::time::Duration;

use serde_json::json;
use shared::testing::eventually;

use crate::{
    helpers::{Options, WAIT, spawn_with, spawn_without_fulfilment},
    streams::{
        expect_message, next_event, next_message, send, sse, sse_raw_until, subscribe, transition,
        ws, ws_with_query_token,
    },
};

#[tokio::test]
async fn the_purchase_flow_is_watched_over_sse_and_websocket_until_delivered() {
    let t = spawn_with(Options {
        adjust: Box::new(|c| {
            c.fulfilment.min_delay = Duration::from_millis(300);
            c.fulfilment.max_delay = Duration::from_millis(400);
        }),
        ..Options::default()
    })
    .await;
    let lamp = t.product("Desk lamp", 24.5, 10).await;
    let buyer = t.customer();
    let (_, catalog) = t.products.get("/products?search=lamp").await;
    assert!(
        catalog["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == lamp.as_str())
    );
    let mut socket = ws(&t.orders.app.base_url, Some(&buyer.bearer)).await;
    send(&mut socket, json!({ "type": "subscribe", "all": true })).await;
    assert_eq!(expect_message(&mut socket).await["type"], "subscribed");

    let order = t.place_ok(&buyer, &[(&lamp, 2)]).await;
    let id = order["id"].as_str().unwrap();
    let (status, mut events) = sse(
        &t.orders.app.url(&format!("/orders/{id}/stream")),
        &buyer.bearer,
        None,
    )
    .await;

    assert_eq!(status, 200);
    let snapshot = next_event(&mut events).await.expect("a snapshot");
    assert_eq!(snapshot.event, "snapshot");
    let snapshot: serde_json::Value = serde_json::from_str(&snapshot.data).unwrap();
    let mut seen = vec![snapshot["order"]["status"].as_str().unwrap().to_owned()];
    let mut ids = vec![];
    while let Some(event) = next_event(&mut events).await {
        assert_eq!(event.event, "order.status_changed");
        let data: serde_json::Value = serde_json::from_str(&event.data).unwrap();
        let (old, new) = transition(&data);
        assert_eq!(&old, seen.last().unwrap(), "no gap between changes");
        assert_eq!(data["order"]["status"], new.as_str());
        seen.push(new);
        ids.push(event.id.parse::<i64>().unwrap());
    }
    let expected = ["PENDING", "PROCESSING", "SHIPPED", "DELIVERED"];
    assert_eq!(
        seen,
        expected[expected.len() - seen.len()..],
        "the stream ends after DELIVERED"
    );
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1));
    let mut over_ws = Vec::new();
    while over_ws.len() < 3 {
        let message = expect_message(&mut socket).await;
        if message["type"] == "order.status_changed" && message["orderId"] == id {
            assert!(message["at"].is_string());
            over_ws.push(transition(&message));
        }
    }
    let pairs: Vec<(String, String)> = expected
        .windows(2)
        .map(|w| (w[0].to_owned(), w[1].to_owned()))
        .collect();
    assert_eq!(over_ws, pairs);
    t.wait_for_stock(&lamp, 8).await;
    t.stop().await;
}

#[tokio::test]
async fn idle_streams_send_heartbeats() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let id = t.place_id(&buyer, &[(&lamp, 1)]).await;
    t.wait_for_status(&id, "PROCESSING").await;

    let raw = sse_raw_until(
        &t.orders.app.url(&format!("/orders/{id}/stream")),
        &buyer.bearer,
        ": heartbeat",
    )
    .await;
    let mut socket = ws_with_query_token(
        &t.orders.app.base_url,
        buyer.bearer.trim_start_matches("Bearer "),
    )
    .await;
    subscribe(&mut socket, &id).await;
    let snapshot = expect_message(&mut socket).await;
    let heartbeat = loop {
        let next = tokio::time::timeout(
            Duration::from_secs(10),
            futures::StreamExt::next(&mut socket),
        )
        .await
        .unwrap();
        if let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = next {
            break serde_json::from_str::<serde_json::Value>(text.as_str()).unwrap();
        }
    };

    assert!(
        raw.contains("event: snapshot") && raw.contains(": heartbeat"),
        "{raw}"
    );
    assert_eq!(snapshot["type"], "snapshot");
    assert_eq!(snapshot["order"]["id"], id.as_str());
    assert_eq!(heartbeat["type"], "heartbeat");
    t.stop().await;
}

#[tokio::test]
async fn a_websocket_with_a_bad_token_is_closed_with_4401() {
    let t = spawn_without_fulfilment().await;

    let mut without = ws(&t.orders.app.base_url, None).await;
    let mut forged = ws_with_query_token(&t.orders.app.base_url, "not.a.token").await;

    assert_eq!(next_message(&mut without).await, Err(Some(4401)));
    assert_eq!(next_message(&mut forged).await, Err(Some(4401)));
    t.stop().await;
}

#[tokio::test]
async fn closed_streams_are_removed_at_once_and_counted_on_metrics() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let id = t.place_id(&buyer, &[(&lamp, 1)]).await;
    let (_, mut events) = sse(
        &t.orders.app.url(&format!("/orders/{id}/stream")),
        &buyer.bearer,
        None,
    )
    .await;
    next_event(&mut events).await.unwrap();
    let mut socket = ws(&t.orders.app.base_url, Some(&buyer.bearer)).await;
    subscribe(&mut socket, &id).await;
    expect_message(&mut socket).await;

    assert_eq!(t.orders.hub.len(), 2);
    assert!(
        t.orders
            .app
            .get_text("/metrics")
            .await
            .contains("order_live_streams{kind=\"ws\"}")
    );
    drop(events);
    socket.close(None).await.unwrap();
    eventually("both streams to be removed", WAIT, || async {
        t.orders.hub.is_empty().then_some(())
    })
    .await;
    t.stop().await;
}
