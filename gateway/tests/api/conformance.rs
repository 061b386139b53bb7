//! The gateway's HTTP/1.1 front against a corpus of awkward and hostile requests, on the wire,
//! in both lanes where a lane can take the request: smuggling attempts (a length beside chunked
//! coding, two lengths, folded headers, a bare LF), chunked bodies, and the hop-by-hop rule
//! that drops every header the `Connection` header names. Each answer is checked for what the
//! service behind it received, so that nothing is let through that one side reads one way and
//! the other another.

use serde_json::Value;
use shared::auth::Role;

use crate::{
    helpers::{spawn_echo, spawn_gateway},
    raw::{ID, Raw},
};

const PRODUCT: &str = r#"{"name":"Lamp","price":19.99,"category":"Home","stock":5}"#;

/// Sends `request` on a new connection; the answer's status, and whether the connection was
/// closed after it.
async fn one(url: &str, request: &str) -> (u16, Raw) {
    let mut raw = Raw::connect(url).await;
    raw.send(request).await;
    let answer = raw.answer(false).await;
    (answer.status, raw)
}

#[tokio::test]
async fn headers_named_in_connection_are_dropped_in_both_lanes() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let url = gw.app.url("");

    // A bodiless GET takes the fast lane; with an Origin it goes through the router.
    for extra in ["", "Origin: http://localhost:3000\r\n"] {
        let mut raw = Raw::connect(&url).await;
        raw.send(&format!(
            "GET /api/products/{ID} HTTP/1.1\r\nHost: x\r\n{extra}Connection: keep-alive, X-Secret\r\nX-Secret: 1\r\nX-Kept: 2\r\n\r\n"
        ))
        .await;
        let answer = raw.answer(false).await;

        assert_eq!(answer.status, 200, "{extra:?}");
        let seen: Vec<String> = serde_json::from_slice::<Value>(&answer.body).unwrap()["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap().to_owned())
            .collect();
        assert!(
            !seen.contains(&"x-secret".to_owned()),
            "{extra:?}: {seen:?}"
        );
        assert!(seen.contains(&"x-kept".to_owned()), "{extra:?}: {seen:?}");
    }
    gw.stop().await;
}

#[tokio::test]
async fn a_chunked_body_arrives_whole() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let (a, b) = PRODUCT.split_at(20);
    let request = format!(
        "PUT /api/products/{ID} HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
        gw.bearer(Role::Admin),
        a.len(),
        b.len(),
    );

    let mut raw = Raw::connect(&gw.app.url("")).await;
    raw.send(&request).await;
    let answer = raw.answer(false).await;

    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["body"], PRODUCT);
    gw.stop().await;
}

#[tokio::test]
async fn smuggling_attempts_are_refused_and_reach_no_service() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let url = gw.app.url("");
    let admin = gw.bearer(Role::Admin);
    let len = PRODUCT.len();
    let attempts = [
        (
            "two different lengths",
            format!(
                "PUT /api/products/{ID} HTTP/1.1\r\nHost: x\r\nAuthorization: {admin}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\nContent-Length: 3\r\n\r\n{PRODUCT}"
            ),
        ),
        (
            "a folded header",
            format!("GET /api/products/{ID} HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n"),
        ),
        (
            "a coding other than chunked last",
            format!(
                "PUT /api/products/{ID} HTTP/1.1\r\nHost: x\r\nAuthorization: {admin}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked, gzip\r\n\r\n{len:x}\r\n{PRODUCT}\r\n0\r\n\r\n"
            ),
        ),
        (
            "a space before the colon",
            format!("GET /api/products/{ID} HTTP/1.1\r\nHost : x\r\n\r\n"),
        ),
    ];

    for (what, request) in attempts {
        let (status, _) = one(&url, &request).await;
        assert!((400..500).contains(&status), "{what}: answered {status}");
    }
    assert_eq!(echo.hits(), 0, "a smuggling attempt reached the service");
    gw.stop().await;
}

/// RFC 9112, 6.3: a request with both a length and chunked coding may be read by the coding
/// alone, and then the connection must close. hyper reads it so (and drops the length before
/// the gateway sees the request); what the service gets is the chunked body, whole.
#[tokio::test]
async fn a_length_beside_chunked_coding_is_read_by_the_coding_and_the_connection_closes() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let len = PRODUCT.len();
    let request = format!(
        "PUT /api/products/{ID} HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Type: application/json\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n{len:x}\r\n{PRODUCT}\r\n0\r\n\r\nGET /api/products/{ID} HTTP/1.1\r\nHost: x\r\n\r\n",
        gw.bearer(Role::Admin),
    );

    let mut raw = Raw::connect(&gw.app.url("")).await;
    raw.send(&request).await;
    let answer = raw.answer(false).await;

    assert!(
        answer.status == 200 || (400..500).contains(&answer.status),
        "{}",
        answer.status
    );
    if answer.status == 200 {
        assert_eq!(
            answer.json()["body"],
            PRODUCT,
            "read by the coding, not the length"
        );
    }
    assert!(
        raw.closed().await,
        "the connection goes on after a request with two framings"
    );
    assert!(
        echo.hits() <= 1,
        "the bytes after the body were read as a second request"
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_bare_lf_head_is_read_as_one_request_or_refused_never_as_two() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;

    let (status, mut raw) = one(
        &gw.app.url(""),
        &format!("GET /api/products/{ID} HTTP/1.1\nHost: x\nConnection: close\n\n"),
    )
    .await;

    assert!(status == 200 || (400..500).contains(&status), "{status}");
    assert!(raw.closed().await);
    assert!(echo.hits() <= 1);
    gw.stop().await;
}
