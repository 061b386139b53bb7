//! The proxy's mechanics, against the echo server standing in for a service.

use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;
use shared::auth::Role;

use crate::helpers::{spawn_echo, spawn_gateway};

const ID: &str = "65a1b2c3d4e5f60718293a4b";

#[tokio::test]
async fn a_request_reaches_the_owning_service_with_method_path_query_body_and_caller() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;

    let res = gw
        .app
        .client
        .post(
            gw.app
                .url(&format!("/api/products/{ID}/questions?page=2&limit=5")),
        )
        .header("authorization", gw.bearer(Role::Admin))
        .header("x-request-id", "req-42")
        .header("content-type", "application/json")
        .body(r#"{"stars":5}"#)
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-request-id"], "req-42");
    let seen: Value = res.json().await.unwrap();
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], format!("/products/{ID}/questions"));
    assert_eq!(seen["query"], "page=2&limit=5");
    assert_eq!(seen["body"], r#"{"stars":5}"#);
    assert_eq!(seen["requestId"], "req-42");
    assert_eq!(seen["forwardedFor"], "127.0.0.1");
    assert_eq!(seen["userId"], "65a1b2c3d4e5f60718293a4b");
    assert_eq!(seen["userRole"], "admin");
    gw.stop().await;
}

#[tokio::test]
async fn a_request_without_an_id_gets_one_that_the_service_sees_too() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;

    let res = gw
        .app
        .client
        .get(gw.app.url(&format!("/api/products/{ID}")))
        .send()
        .await
        .unwrap();

    let given = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let seen: Value = res.json().await.unwrap();
    assert_eq!(seen["requestId"], given.as_str());
    assert_eq!(uuid_version(&given), Some(7));
    gw.stop().await;
}

fn uuid_version(id: &str) -> Option<u32> {
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    (hex.len() == 32)
        .then(|| hex[12..13].parse::<u32>().ok())
        .flatten()
}

#[tokio::test]
async fn a_streamed_answer_arrives_before_the_service_finishes_it() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;

    let res = gw
        .app
        .client
        .get(gw.app.url(&format!("/api/products/{ID}/stream")))
        .send()
        .await
        .unwrap();
    let mut body = res.bytes_stream();
    let first = tokio::time::timeout(Duration::from_secs(10), body.next())
        .await
        .expect("the first chunk came through while the stream is still open")
        .unwrap()
        .unwrap();

    assert_eq!(&first[..], b"data: first\n\n");
    drop(body);
    gw.stop().await;
}

#[tokio::test]
async fn an_unknown_area_is_a_404_in_the_envelope() {
    let gw = spawn_gateway(&[]).await;

    let (status, body) = gw.app.get("/api/nonsense/1").await;

    assert_eq!(status, 404);
    assert_eq!(body["success"], false);
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    gw.stop().await;
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;

    for path in [
        format!("/api/products/{ID}"),
        "/api/nonsense".to_owned(),
        "/api/health".to_owned(),
    ] {
        let res = gw.app.client.get(gw.app.url(&path)).send().await.unwrap();
        let headers = res.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert!(headers.contains_key("content-security-policy"), "{path}");
    }
    gw.stop().await;
}

#[tokio::test]
async fn an_event_stream_may_stay_quiet_longer_than_the_read_timeout() {
    let echo = spawn_echo().await;
    let gw = crate::helpers::spawn_gateway_with(
        &[("PRODUCT_SERVICE_URL", echo.url.clone())],
        &[("UPSTREAM_TIMEOUT_MS", "300")],
    )
    .await;

    let res = gw
        .app
        .client
        .get(gw.app.url(&format!("/api/products/{ID}/events")))
        .send()
        .await
        .unwrap();
    let body = tokio::time::timeout(Duration::from_secs(10), res.text())
        .await
        .unwrap()
        .unwrap();

    assert_eq!(
        body, "data: one\n\ndata: two\n\n",
        "the quiet gap did not cut the stream"
    );
    gw.stop().await;
}
