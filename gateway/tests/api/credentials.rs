//! One request, one credential (issue 14, item 0b): a request with two `Authorization`
//! headers is refused in both lanes, whichever comes first, because the gateway and the
//! service behind it could each read another one.

use crate::{
    helpers::{spawn_echo, spawn_gateway},
    raw::{ID, Raw},
};

#[tokio::test]
async fn a_request_with_two_authorization_headers_is_refused_in_both_lanes() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let valid = gw.bearer(shared::auth::Role::Admin);
    let revoked = "Bearer not-a-token-any-more";
    let body = r#"{"stars":5}"#;

    for (first, last) in [(revoked, valid.as_str()), (valid.as_str(), revoked)] {
        let auth = format!("authorization: {first}\r\nauthorization: {last}\r\n");
        let fast = format!("GET /api/products/{ID} HTTP/1.1\r\nhost: x\r\n{auth}\r\n");
        let routed = format!(
            "POST /api/products/{ID}/questions HTTP/1.1\r\nhost: x\r\n{auth}\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        for (lane, request) in [("fast lane", fast), ("router lane", routed)] {
            let mut raw = Raw::connect(&gw.app.url("")).await;
            raw.send(&request).await;
            let answer = raw.answer(false).await;

            let case = format!("{lane}, {first:.20}… first");
            assert_eq!(
                answer.status,
                400,
                "{case}: {:?}",
                String::from_utf8_lossy(&answer.body)
            );
            assert_eq!(answer.json()["error"]["code"], "VALIDATION_ERROR", "{case}");
        }
    }
    assert_eq!(echo.hits(), 0, "nothing reached the service");
    gw.stop().await;
}

#[tokio::test]
async fn one_authorization_header_still_passes_in_both_lanes() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let auth = format!(
        "authorization: {}\r\n",
        gw.bearer(shared::auth::Role::Admin)
    );
    let body = r#"{"stars":5}"#;

    let mut raw = Raw::connect(&gw.app.url("")).await;
    raw.send(&format!(
        "GET /api/products/{ID} HTTP/1.1\r\nhost: x\r\n{auth}\r\n\
         POST /api/products/{ID}/questions HTTP/1.1\r\nhost: x\r\n{auth}\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    ))
    .await;
    let (fast, routed) = (raw.answer(false).await, raw.answer(false).await);

    assert_eq!((fast.status, routed.status), (200, 200));
    assert_eq!(routed.json()["userRole"], "admin");
    assert_eq!(echo.hits(), 2);
    gw.stop().await;
}

#[tokio::test]
async fn a_head_request_needs_what_the_get_of_the_same_route_needs_in_both_lanes() {
    // The table has no HEAD routes: a HEAD was unknown to the door, so public, and went on to
    // the service without a token.
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("ORDER_SERVICE_URL", echo.url.clone())]).await;
    let fast = format!("HEAD /api/orders/{ID} HTTP/1.1\r\nhost: x\r\n\r\n");
    let routed = format!(
        "HEAD /api/orders/{ID} HTTP/1.1\r\nhost: x\r\norigin: http://localhost:3000\r\n\r\n"
    );

    for (lane, request) in [("fast lane", fast), ("router lane", routed)] {
        let mut raw = Raw::connect(&gw.app.url("")).await;
        raw.send(&request).await;
        let answer = raw.answer(true).await;

        assert_eq!(answer.status, 401, "{lane}");
    }
    assert_eq!(echo.hits(), 0, "nothing reached the service");
    gw.stop().await;
}

#[tokio::test]
async fn a_token_in_the_query_is_refused_outside_streams_and_websockets_in_both_lanes() {
    // A token in a URL ends up in logs, histories and referrers: only where a browser has
    // no other way (EventSource, WebSocket) is it read.
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("ORDER_SERVICE_URL", echo.url.clone())]).await;
    let token = gw.bearer(shared::auth::Role::Admin);
    let token = token.trim_start_matches("Bearer ");
    let fast = format!("GET /api/orders/{ID}?token={token} HTTP/1.1\r\nhost: x\r\n\r\n");
    let routed = format!(
        "GET /api/orders/{ID}?token={token} HTTP/1.1\r\nhost: x\r\norigin: http://localhost:3000\r\n\r\n"
    );

    for (lane, request) in [("fast lane", fast), ("router lane", routed)] {
        let mut raw = Raw::connect(&gw.app.url("")).await;
        raw.send(&request).await;
        let answer = raw.answer(false).await;

        assert_eq!(answer.status, 401, "{lane}");
    }
    assert_eq!(echo.hits(), 0, "nothing reached the service");
    let stream = format!("GET /api/orders/{ID}/stream?token={token} HTTP/1.1\r\nhost: x\r\n\r\n");
    let mut raw = Raw::connect(&gw.app.url("")).await;
    raw.send(&stream).await;
    let answer = raw.answer(false).await;
    // Past the door (the echo service itself knows no order streams).
    assert_eq!(answer.status, 404, "a stream takes the token");
    gw.stop().await;
}
