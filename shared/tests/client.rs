//! `shared::client` against a real HTTP server: what a call passes on and how each answer reads.

use std::time::{Duration, Instant};

use axum::{
    Json, Router,
    http::{HeaderMap, StatusCode},
    routing::get,
};
use serde_json::{Value, json};
use shared::client::{Call, Service, UpstreamError, pooled};

async fn server() -> String {
    let app = Router::new()
        .route(
            "/echo",
            get(|headers: HeaderMap| async move {
                let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
                Json(json!({ "authorization": header("authorization"), "requestId": header("x-request-id") }))
            }),
        )
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route("/forbidden", get(|| async { StatusCode::FORBIDDEN }))
        .route("/unauthorized", get(|| async { StatusCode::UNAUTHORIZED }))
        .route(
            "/bad",
            get(|| async {
                (StatusCode::BAD_REQUEST, Json(json!({"success": false, "error": {"code": "VALIDATION_ERROR", "message": "limit: too big"}})))
            }),
        )
        .route("/broken", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .route("/slow", get(|| async { tokio::time::sleep(Duration::from_secs(30)).await; "late" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn service(base: &str, deadline: Duration) -> Service {
    let client = pooled(&shared::http::Trust::default(), deadline).unwrap();
    Service::new("echo-service", base, client)
}

#[tokio::test]
async fn a_call_passes_on_the_callers_authorization_and_request_id() {
    let base = server().await;
    let echo = service(&base, Duration::from_secs(5));
    let mut headers = HeaderMap::new();
    headers.insert("authorization", "Bearer abc".parse().unwrap());
    headers.insert("x-request-id", "req-42".parse().unwrap());

    let from_request = echo
        .get_json("/echo", &[], &Call::from_headers(&headers))
        .await
        .unwrap();
    let with_token = echo
        .get_json("/echo", &[], &Call::with_token(Some("xyz"), "req-43"))
        .await
        .unwrap();
    let anonymous = echo
        .get_json("/echo", &[], &Call::with_token(None, "req-44"))
        .await
        .unwrap();

    assert_eq!(
        from_request,
        json!({"authorization": "Bearer abc", "requestId": "req-42"})
    );
    assert_eq!(
        with_token,
        json!({"authorization": "Bearer xyz", "requestId": "req-43"})
    );
    assert_eq!(anonymous["authorization"], Value::Null);
}

#[tokio::test]
async fn every_answer_reads_the_same_way() {
    let base = server().await;
    let echo = service(&base, Duration::from_secs(5));
    let call = Call::with_token(None, "req-1");
    let at = |path: &'static str| echo.get_json(path, &[], &call);

    assert_eq!(at("/missing").await, Err(UpstreamError::NotFound));
    assert_eq!(at("/forbidden").await, Err(UpstreamError::NotFound));
    assert_eq!(at("/unauthorized").await, Err(UpstreamError::Unauthorized));
    assert_eq!(
        at("/bad").await,
        Err(UpstreamError::Rejected("limit: too big".to_owned()))
    );
    assert_eq!(
        at("/broken").await,
        Err(UpstreamError::Unavailable("echo-service"))
    );
}

#[tokio::test]
async fn a_slow_or_absent_service_is_unavailable_within_the_deadline() {
    let base = server().await;
    let slow = service(&base, Duration::from_millis(300));
    let call = Call::with_token(None, "req-1");

    let started = Instant::now();
    assert_eq!(
        slow.get_json("/slow", &[], &call).await,
        Err(UpstreamError::Unavailable("echo-service"))
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let closed = service(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2));
    assert_eq!(
        closed.get_json("/echo", &[], &call).await,
        Err(UpstreamError::Unavailable("echo-service"))
    );
}
