//! `GET /ws/alerts`: live alerts, topics, replay since an id, authentication, slow clients.

use std::time::{Duration, Instant};

use serde_json::json;
use shared::events::{Envelope, keys};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

use crate::helpers::{next_message, send, spawn_app};

fn created(order: &str, customer: &str) -> Envelope {
    Envelope::new(
        keys::ORDER_CREATED,
        "order-service",
        "req",
        json!({"orderId": order, "customerId": customer, "items": [], "total": 5.0}),
    )
}

fn stock_low(product: &str) -> Envelope {
    Envelope::new(
        keys::PRODUCT_STOCK_LOW,
        "product-service",
        "req",
        json!({"productId": product, "name": "Mug", "stock": 1, "threshold": 5}),
    )
}

#[tokio::test]
async fn an_admin_subscriber_receives_a_new_orders_alert_within_a_second() {
    let app = spawn_app().await;
    let mut socket = app.ws("", &app.admin).await;
    assert_eq!(
        next_message(&mut socket).await.unwrap()["type"],
        "subscribed"
    );
    app.warm_up(&mut socket).await;
    send(
        &mut socket,
        json!({"type": "subscribe", "topics": ["orders"]}),
    )
    .await;
    let subscribed = next_message(&mut socket).await.unwrap();
    assert_eq!(
        subscribed,
        json!({"type": "subscribed", "topics": ["orders"]})
    );

    let started = Instant::now();
    app.publish(&stock_low("not-followed")).await;
    let order = created("o1", "c1");
    app.publish(&order).await;

    let message = next_message(&mut socket).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(message["type"], "alert");
    assert_eq!(message["replay"], false);
    assert_eq!(
        message["alert"]["eventId"],
        order.id.to_string(),
        "stock alerts are not followed"
    );
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");

    app.stop().await;
}

#[tokio::test]
async fn a_reconnect_with_since_replays_exactly_the_missed_alerts_in_order_then_live_ones() {
    let app = spawn_app().await;
    let (ada, ada_bearer) = app.customer();
    let mut warm = app.ws("?topics=stock", &app.admin).await;
    next_message(&mut warm).await;
    let warm_ups = app.warm_up(&mut warm).await as u64;
    app.publish(&created("o0", &ada)).await;
    let seen = app.wait_total(warm_ups + 1).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut missed = Vec::new();
    for i in 1..=3 {
        let e = created(&format!("o{i}"), &ada);
        app.publish(&e).await;
        missed.push(e.id.to_string());
        app.publish(&stock_low(&format!("p{i}"))).await;
    }
    app.wait_total(warm_ups + 7).await;

    // A customer replays its own alerts only; an admin following orders gets the same ones.
    for bearer in [&ada_bearer, &app.admin] {
        let query = format!("?since={seen}&topics=orders");
        let mut socket = app.ws(&query, bearer).await;
        assert_eq!(
            next_message(&mut socket).await.unwrap()["type"],
            "subscribed"
        );
        let mut replayed = Vec::new();
        loop {
            let m = next_message(&mut socket).await.unwrap();
            if m["type"] == "replayed" {
                assert_eq!(m["count"], missed.len());
                break;
            }
            assert_eq!(m["replay"], true);
            replayed.push(m["alert"]["eventId"].as_str().unwrap().to_owned());
        }
        assert_eq!(replayed, missed);
        let live = created("o-live", &ada);
        app.publish(&live).await;
        let m = next_message(&mut socket).await.unwrap();
        assert_eq!(m["alert"]["eventId"], live.id.to_string());
        assert_eq!(m["replay"], false);
        // Missed too, for the next reconnect from the same point.
        missed.push(live.id.to_string());
        socket.close(None).await.ok();
    }

    app.stop().await;
}

#[tokio::test]
async fn a_customer_gets_only_its_own_alerts_live() {
    let app = spawn_app().await;
    let (ada, ada_bearer) = app.customer();
    let mut warm = app.ws("?topics=stock", &app.admin).await;
    next_message(&mut warm).await;
    app.warm_up(&mut warm).await;
    let mut socket = app.ws("", &ada_bearer).await;
    assert_eq!(
        next_message(&mut socket).await.unwrap()["type"],
        "subscribed"
    );

    app.publish(&created("o1", "someone-else")).await;
    app.publish(&stock_low("p1")).await;
    let own = created("o2", &ada);
    app.publish(&own).await;

    let m = next_message(&mut socket).await.unwrap();
    assert_eq!(m["alert"]["eventId"], own.id.to_string());
    drop((socket, warm));
    shared::testing::eventually("closed sockets removed", crate::helpers::WAIT, || async {
        app.hub.is_empty().then_some(())
    })
    .await;

    app.stop().await;
}

#[tokio::test]
async fn a_bad_token_closes_with_4401_and_a_bad_since_is_refused_before_the_upgrade() {
    let app = spawn_app().await;

    let mut socket = app.ws("", "Bearer not-a-token").await;
    match socket.next_close().await {
        Some(code) => assert_eq!(code, 4401),
        None => panic!("expected a close frame"),
    }
    let url = app.app.base_url.replacen("http://", "ws://", 1) + "/ws/alerts?since=nope";
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", app.admin.parse().unwrap());
    let err = tokio_tungstenite::connect_async(request).await.unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(response) => {
            assert_eq!(response.status(), 400)
        }
        other => panic!("expected an HTTP refusal, got {other}"),
    }
    let (status, _) = app.request(reqwest::Method::GET, "/ws/alerts", None).await;
    assert!(status == 401 || status == 400, "{status}");

    app.stop().await;
}

#[tokio::test]
async fn idle_sockets_get_heartbeats() {
    let app = spawn_app().await;
    let mut socket = app.ws("", &app.admin).await;
    let mut heartbeat = false;
    for _ in 0..3 {
        if let Ok(Some(Ok(Message::Text(t)))) = tokio::time::timeout(
            Duration::from_secs(5),
            futures::StreamExt::next(&mut socket),
        )
        .await
        {
            heartbeat |= t.as_str().contains("\"heartbeat\"");
        }
    }
    assert!(heartbeat);

    app.stop().await;
}

/// The close code of the next close frame.
trait NextClose {
    async fn next_close(&mut self) -> Option<u16>;
}

impl NextClose for crate::helpers::Socket {
    async fn next_close(&mut self) -> Option<u16> {
        while let Ok(Some(message)) =
            tokio::time::timeout(Duration::from_secs(10), futures::StreamExt::next(self)).await
        {
            if let Ok(Message::Close(frame)) = message {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    }
}
