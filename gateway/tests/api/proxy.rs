//! The proxy's mechanics, against a small echo server standing in for a service's HTTP API.

use std::time::Duration;

use axum::{Json, Router, body::Body, extract::Request, routing::any};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::helpers::spawn_gateway;

async fn echo(request: Request) -> Json<Value> {
    let (parts, body) = request.into_parts();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    Json(json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "body": String::from_utf8_lossy(&bytes),
        "requestId": header("x-request-id"),
        "forwardedFor": header("x-forwarded-for"),
        "connection": header("connection"),
    }))
}

/// Sends one chunk, then holds the response open.
async fn slow_stream() -> Body {
    let first = futures::stream::once(async {
        Ok::<_, std::io::Error>(bytes::Bytes::from("data: first\n\n"))
    });
    Body::from_stream(first.chain(futures::stream::pending()))
}

async fn spawn_echo() -> String {
    let app = Router::new()
        .route("/products/stream", any(slow_stream))
        .route("/products/{*rest}", any(echo));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn a_request_reaches_the_owning_service_with_method_path_query_body_and_request_id() {
    let gateway = spawn_gateway(&[("PRODUCT_SERVICE_URL", spawn_echo().await)]).await;

    let res = gateway
        .client
        .post(gateway.url("/api/products/abc/reviews?page=2&limit=5"))
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
    assert_eq!(seen["path"], "/products/abc/reviews");
    assert_eq!(seen["query"], "page=2&limit=5");
    assert_eq!(seen["body"], r#"{"stars":5}"#);
    assert_eq!(seen["requestId"], "req-42");
    assert_eq!(seen["forwardedFor"], "127.0.0.1");
    gateway.stop_and_clean().await;
}

#[tokio::test]
async fn a_request_without_an_id_gets_one_that_the_service_sees_too() {
    let gateway = spawn_gateway(&[("PRODUCT_SERVICE_URL", spawn_echo().await)]).await;

    let res = gateway
        .client
        .get(gateway.url("/api/products/x"))
        .send()
        .await
        .unwrap();

    let given = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let seen: Value = res.json().await.unwrap();
    assert_eq!(seen["requestId"], given.as_str());
    assert_eq!(uuid_version(&given), Some(7));
    gateway.stop_and_clean().await;
}

fn uuid_version(id: &str) -> Option<u32> {
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    (hex.len() == 32)
        .then(|| hex[12..13].parse::<u32>().ok())
        .flatten()
}

#[tokio::test]
async fn a_streamed_answer_arrives_before_the_service_finishes_it() {
    let gateway = spawn_gateway(&[("PRODUCT_SERVICE_URL", spawn_echo().await)]).await;

    let res = gateway
        .client
        .get(gateway.url("/api/products/stream"))
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
    gateway.stop_and_clean().await;
}

#[tokio::test]
async fn an_unknown_area_is_a_404_in_the_envelope() {
    let gateway = spawn_gateway(&[]).await;

    let (status, body) = gateway.get("/api/nonsense/1").await;

    assert_eq!(status, 404);
    assert_eq!(body["success"], false);
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    gateway.stop_and_clean().await;
}
