//! Alerts forwarded to a webhook: signed, retried with backoff, never holding up the consumer.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use alert_service::{config::WebhookConfig, webhook::sign};
use axum::{Router, body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use serde_json::json;
use shared::{
    events::{Envelope, keys},
    testing::https::HttpsServer,
};

use crate::helpers::{TestApp, WAIT, spawn_trusting, spawn_with};

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

impl Receiver {
    fn router(&self) -> Router {
        Router::new()
            .route("/hook", post(receive))
            .with_state(self.clone())
    }
}

async fn start_receiver(fail_first: usize) -> (String, Receiver) {
    let receiver = Receiver {
        fail_first,
        ..Receiver::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = receiver.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, receiver)
}

/// A receiver on `https://`, under a CA made for the test.
async fn start_https_receiver() -> (HttpsServer, Receiver) {
    let receiver = Receiver::default();
    (HttpsServer::start(receiver.router()).await, receiver)
}

fn https_hook(server: &HttpsServer) -> WebhookConfig {
    WebhookConfig {
        url: server.url("/hook"),
        secret: "hook-secret".to_owned().into(),
        max_attempts: 2,
        backoff: Duration::from_millis(20),
        timeout: Duration::from_secs(2),
    }
}

fn stock_low() -> Envelope {
    Envelope::new(
        keys::PRODUCT_STOCK_LOW,
        "product-service",
        "req",
        json!({"productId": "p1", "name": "Mug", "stock": 0, "threshold": 5}),
    )
}

/// The first alert's `webhookState` once it is `state`.
async fn wait_webhook_state(app: &TestApp, state: &str) {
    shared::testing::eventually(&format!("the webhook {state}"), WAIT, || async {
        let docs = app.documents().await;
        (docs.first()?.get_str("webhookState").ok() == Some(state)).then_some(())
    })
    .await;
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

#[tokio::test]
async fn an_alert_is_delivered_to_an_https_receiver_whose_ca_is_an_extra_ca() {
    let (server, receiver) = start_https_receiver().await;
    let app = spawn_trusting(Some(https_hook(&server)), server.trust()).await;

    app.publish(&stock_low()).await;

    wait_webhook_state(&app, "sent").await;
    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "one delivery");
    let payload: serde_json::Value = serde_json::from_slice(&seen[0].1).unwrap();
    assert_eq!(payload["type"], "alert");

    app.stop().await;
}

#[tokio::test]
async fn an_https_receiver_under_an_unknown_ca_gets_nothing_and_the_webhook_is_given_up() {
    let (server, receiver) = start_https_receiver().await;
    let app = spawn_with(Some(https_hook(&server))).await;

    app.publish(&stock_low()).await;

    wait_webhook_state(&app, "failed").await;
    assert!(
        receiver.seen.lock().unwrap().is_empty(),
        "no request got past the TLS handshake"
    );

    app.stop().await;
}
