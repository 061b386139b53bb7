//! Alerts forwarded to a webhook: signed, retried with backoff, never holding up the consumer.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use alert_service::{config::WebhookConfig, webhook::sign};
use axum::{Router, body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use serde_json::json;
use shared::events::{Envelope, keys};

use crate::helpers::{WAIT, spawn_with};

#[derive(Clone, Default)]
struct Receiver {
    /// Requests received: headers and body.
    seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    /// Answer 500 to this many requests first.
    fail_first: usize,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut seen = r.seen.lock().unwrap();
    seen.push((headers, body));
    if seen.len() <= r.fail_first {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    }
}

async fn start_receiver(fail_first: usize) -> (String, Receiver) {
    let receiver = Receiver {
        fail_first,
        ..Receiver::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(receiver.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, receiver)
}

#[tokio::test]
async fn an_alert_is_posted_signed_and_retried_with_backoff_until_the_receiver_takes_it() {
    let (url, receiver) = start_receiver(2).await;
    let app = spawn_with(Some(WebhookConfig {
        url,
        secret: "hook-secret".to_owned().into(),
        max_attempts: 5,
        backoff: Duration::from_millis(50),
        timeout: Duration::from_secs(2),
    }))
    .await;
    let event = Envelope::new(
        keys::PRODUCT_STOCK_LOW,
        "product-service",
        "req",
        json!({"productId": "p1", "name": "Mug", "stock": 0, "threshold": 5}),
    );

    app.publish(&event).await;

    shared::testing::eventually("three deliveries", WAIT, || async {
        (receiver.seen.lock().unwrap().len() >= 3).then_some(())
    })
    .await;
    let alerts = app.wait_total(1).await;
    let id = alerts[0]["id"].as_str().unwrap();
    let (headers, body) = receiver.seen.lock().unwrap()[2].clone();
    assert_eq!(headers["x-alert-id"], id);
    let timestamp: i64 = headers["x-alert-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        headers["x-alert-signature"].to_str().unwrap(),
        sign::signature(b"hook-secret", timestamp, &body)
    );
    let payload: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(payload["type"], "alert");
    assert_eq!(payload["alert"]["id"], id);
    assert_eq!(payload["alert"]["severity"], "critical");
    shared::testing::eventually("the delivery recorded", WAIT, || async {
        let docs = app.documents().await;
        (docs[0].get_str("webhookState").ok() == Some("sent")).then_some(())
    })
    .await;
    assert_eq!(
        receiver.seen.lock().unwrap().len(),
        3,
        "no delivery after success"
    );

    app.stop().await;
}

#[tokio::test]
async fn a_receiver_that_never_answers_does_not_hold_up_alerts_and_is_given_up() {
    let app = spawn_with(Some(WebhookConfig {
        url: "http://127.0.0.1:9/hook".to_owned(),
        secret: "s".to_owned().into(),
        max_attempts: 2,
        backoff: Duration::from_millis(20),
        timeout: Duration::from_millis(500),
    }))
    .await;
    for i in 0..5 {
        app.publish(&Envelope::new(
            keys::PRODUCT_STOCK_LOW,
            "product-service",
            "req",
            json!({"productId": format!("p{i}"), "stock": 1}),
        ))
        .await;
    }

    app.wait_total(5).await;
    shared::testing::eventually("every webhook given up", WAIT, || async {
        let docs = app.documents().await;
        docs.iter()
            .all(|d| d.get_str("webhookState").ok() == Some("failed"))
            .then_some(())
    })
    .await;

    app.stop().await;
}
