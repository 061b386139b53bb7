//! A refusal does not kill a kept-alive connection without saying so (issue 14, item 1):
//! on one TCP connection a client writes a request's head, pauses, writes its body (as httpx,
//! Node's http and many libraries do), reads the door's refusal and sends another request;
//! that one is answered, or the refusal said `Connection: close` and the connection closed.

use std::time::Duration;

use shared::auth::Role;

use crate::{
    helpers::{TestGateway, spawn_echo, spawn_gateway_with},
    raw::{ID, Raw},
};

/// Between a request's head and its body on the wire.
const PAUSE: Duration = Duration::from_millis(10);

/// A gateway with small limits, so that every refusal is easy to provoke: a 64-byte body
/// limit, and one `/api/auth/*` request per minute (customer-service is not running: the
/// first is 503, the next 429).
async fn gateway() -> TestGateway {
    let echo = spawn_echo().await;
    spawn_gateway_with(
        &[("PRODUCT_SERVICE_URL", echo.url.clone())],
        &[("MAX_BODY_BYTES", "64"), ("RATE_LIMIT_AUTH_PER_MIN", "1")],
    )
    .await
}

/// Sends `head`, then, after [`PAUSE`], `body`; reads the answer and checks its status; then
/// checks the connection is still good for `GET /api/products/{ID}`, unless the answer said
/// it would close.
async fn refused_then_next(gw: &TestGateway, raw: &mut Raw, head: &str, body: &str, status: u16) {
    raw.send(head).await;
    if !body.is_empty() {
        tokio::time::sleep(PAUSE).await;
        raw.send(body).await;
    }
    let case = head.lines().next().unwrap_or_default().to_owned();
    let refusal = raw.answer(false).await;
    assert_eq!(refusal.status, status, "{case}");
    if refusal.header("connection") == Some("close") {
        assert!(raw.closed().await, "{case}: closed as announced");
        *raw = Raw::connect(&gw.app.url("")).await;
        return;
    }
    raw.send(&format!(
        "GET /api/products/{ID} HTTP/1.1\r\nhost: x\r\n\r\n"
    ))
    .await;
    let next = raw.answer(false).await;
    assert_eq!(
        next.status, 200,
        "{case}: the next request on the connection"
    );
}

/// A `POST` head with `extra` header lines and a body of `len` bytes.
fn post(path: &str, extra: &str, len: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\n{extra}content-type: application/json\r\n\
         content-length: {len}\r\n\r\n"
    )
}

#[tokio::test]
async fn every_refusal_of_a_request_with_a_body_leaves_the_connection_usable_or_says_close() {
    let gw = gateway().await;
    let admin = format!("authorization: {}\r\n", gw.bearer(Role::Admin));
    let customer = format!(
        "authorization: {}\r\n",
        gw.names.bearer("65a1b2c3d4e5f60718293a4c", Role::Customer)
    );
    let two = format!("{admin}{admin}");
    let body = r#"{"name":"x"}"#;
    let large = format!(r#"{{"name":"{}"}}"#, "x".repeat(100));
    let login = r#"{"email":"a@example.com","password":"p"}"#;
    let cases: Vec<(String, &str, u16)> = vec![
        (
            post("/api/products/not-an-id/reviews", &admin, body.len()),
            body,
            400,
        ),
        (
            post(&format!("/api/products/{ID}/reviews"), &two, body.len()),
            body,
            400,
        ),
        (post("/api/products", "", body.len()), body, 401),
        (post("/api/products", &customer, body.len()), body, 403),
        (post("/api/nowhere", "", body.len()), body, 404),
        (post("/nowhere", "", body.len()), body, 404),
        (post("/api/products", &admin, large.len()), &large, 413),
        (post("/api/auth/login", "", login.len()), login, 503),
        (post("/api/auth/login", "", login.len()), login, 429),
    ];

    let mut raw = Raw::connect(&gw.app.url("")).await;
    for (head, body, status) in &cases {
        refused_then_next(&gw, &mut raw, head, body, *status).await;
    }
    gw.stop().await;
}

#[tokio::test]
async fn a_small_body_after_a_refusal_is_read_and_the_connection_kept() {
    let gw = gateway().await;
    let body = r#"{"name":"x"}"#;

    let mut raw = Raw::connect(&gw.app.url("")).await;
    raw.send(&post("/api/products", "", body.len())).await;
    tokio::time::sleep(PAUSE).await;
    raw.send(body).await;
    let refusal = raw.answer(false).await;

    assert_eq!(refusal.status, 401);
    assert_eq!(refusal.header("connection"), None, "kept, as nginx does");
    raw.send(&format!(
        "GET /api/products/{ID} HTTP/1.1\r\nhost: x\r\n\r\n"
    ))
    .await;
    assert_eq!(raw.answer(false).await.status, 200);
    gw.stop().await;
}

#[tokio::test]
async fn every_refusal_in_the_fast_lane_leaves_the_connection_usable() {
    let gw = gateway().await;
    let customer = format!(
        "authorization: {}\r\n",
        gw.names.bearer("65a1b2c3d4e5f60718293a4c", Role::Customer)
    );
    let get = |path: &str, extra: &str| format!("GET {path} HTTP/1.1\r\nhost: x\r\n{extra}\r\n");
    let cases = [
        (get("/api/products/not-an-id", ""), 400),
        (get("/api/orders", ""), 401),
        (get("/api/dashboard/performance", &customer), 403),
        (get("/api/nowhere", ""), 404),
        (get("/api/auth/jwks", ""), 503),
        (get("/api/auth/jwks", ""), 429),
        (
            format!("DELETE /api/products/{ID} HTTP/1.1\r\nhost: x\r\n\r\n"),
            401,
        ),
    ];

    let mut raw = Raw::connect(&gw.app.url("")).await;
    for (head, status) in &cases {
        refused_then_next(&gw, &mut raw, head, "", *status).await;
    }
    gw.stop().await;
}
