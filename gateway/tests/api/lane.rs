//! The fast lane on the wire: raw HTTP/1.1 over one TCP connection, so that what the lane
//! does by hand (keep-alive, pipelining, the hand-over to hyper, framing, the upstream pool)
//! is seen byte for byte.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

use crate::{
    helpers::{spawn_echo, spawn_gateway},
    raw::{Answer, ID, LIMIT, Raw, find},
};

#[tokio::test]
async fn pipelined_requests_are_answered_in_order_across_the_hand_over_to_hyper() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let mut raw = Raw::connect(&gw.app.url("")).await;

    // Two for the fast lane (one a chunked event stream), then one with a chunked body
    // (hyper's), then one the lane would take but that now stays with hyper: all in one write.
    let body = r#"{"stars":5}"#;
    raw.send(&format!(
        "GET /api/products/{ID}/events HTTP/1.1\r\nhost: x\r\n\r\n\
         GET /api/products/{ID}?n=1 HTTP/1.1\r\nhost: x\r\n\r\n\
         POST /api/products/{ID}/questions HTTP/1.1\r\nhost: x\r\nauthorization: {}\r\n\
         content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n\
         GET /api/products/{ID}?n=2 HTTP/1.1\r\nhost: x\r\n\r\n",
        gw.bearer(shared::auth::Role::Admin),
        body.len()
    ))
    .await;

    let events = raw.answer(false).await;
    let first = raw.answer(false).await;
    let posted = raw.answer(false).await;
    let last = raw.answer(false).await;
    assert_eq!(events.status, 200);
    let text = String::from_utf8_lossy(&events.body);
    assert!(
        text.contains("data: one") && text.contains("data: two"),
        "{text}"
    );
    assert_eq!(
        (first.status, first.json()["query"].as_str()),
        (200, Some("n=1"))
    );
    assert_eq!(posted.status, 200);
    assert_eq!(posted.json()["body"], body);
    assert_eq!(
        (last.status, last.json()["query"].as_str()),
        (200, Some("n=2"))
    );
    assert_eq!(echo.hits(), 4);
    gw.stop().await;
}

#[tokio::test]
async fn both_lanes_answer_with_the_same_headers() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let names = |answer: &Answer| {
        let mut names: Vec<String> = answer
            .headers
            .iter()
            .map(|(n, _)| n.clone())
            .filter(|n| !matches!(n.as_str(), "connection" | "keep-alive"))
            .collect();
        names.sort();
        names
    };

    // HTTP/1.1: the fast lane. HTTP/1.0: hyper and the router.
    let mut fast = Raw::connect(&gw.app.url("")).await;
    fast.send(&format!(
        "GET /api/products/{ID} HTTP/1.1\r\nhost: x\r\n\r\n"
    ))
    .await;
    let fast = fast.answer(false).await;
    let mut routed = Raw::connect(&gw.app.url("")).await;
    routed
        .send(&format!(
            "GET /api/products/{ID} HTTP/1.0\r\nhost: x\r\n\r\n"
        ))
        .await;
    let routed = routed.answer(false).await;

    assert_eq!((fast.status, routed.status), (200, 200));
    assert_eq!(names(&fast), names(&routed));
    for name in [
        "x-content-type-options",
        "ratelimit-remaining",
        "vary",
        "x-request-id",
    ] {
        assert!(fast.header(name).is_some(), "{name}");
    }
    assert_eq!(fast.body.len(), routed.body.len());
    gw.stop().await;
}

#[tokio::test]
async fn a_head_request_gets_a_head_only_and_the_connection_goes_on() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let mut raw = Raw::connect(&gw.app.url("")).await;

    raw.send(&format!(
        "HEAD /api/products/{ID} HTTP/1.1\r\nhost: x\r\n\r\n\
         GET /api/products/{ID} HTTP/1.1\r\nhost: x\r\n\r\n"
    ))
    .await;
    let head = raw.answer(true).await;
    let get = raw.answer(false).await;

    assert_eq!(head.status, 200);
    assert_eq!(
        (get.status, get.json()["method"].as_str()),
        (200, Some("GET"))
    );
    assert!(raw.buf.is_empty(), "nothing after the GET's body");
    gw.stop().await;
}

#[tokio::test]
async fn a_refused_request_is_answered_in_the_lane_and_connection_close_is_honoured() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let mut raw = Raw::connect(&gw.app.url("")).await;

    raw.send(
        "GET /api/products/not-an-id HTTP/1.1\r\nhost: x\r\n\r\n\
         GET /api/orders HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    let invalid = raw.answer(false).await;
    let unauthorized = raw.answer(false).await;

    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.json()["error"]["code"], "VALIDATION_ERROR");
    assert!(invalid.header("date").is_some());
    assert_eq!(unauthorized.status, 401);
    assert_eq!(unauthorized.header("connection"), Some("close"));
    assert!(
        raw.closed().await,
        "closed after the answer it asked to be the last"
    );
    assert_eq!(echo.hits(), 0, "nothing refused reached the service");
    gw.stop().await;
}

/// A service that answers the first request on each connection and drops the connection
/// when a second one comes on it (as a service does that closes an idle connection just as
/// the gateway sends on it): a kept connection always fails once used again.
async fn spawn_forgetful_service() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                for answered in [false, true] {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 1024];
                    while find(&buf, b"\r\n\r\n").is_none() {
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    if answered {
                        return;
                    }
                    let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                                  content-length: 11\r\n\r\n{\"ok\":true}";
                    let _ = stream.write_all(answer.as_bytes()).await;
                }
            });
        }
    });
    (url, accepted)
}

#[tokio::test]
async fn a_get_on_a_kept_connection_the_service_drops_is_sent_again_on_a_new_one() {
    let (url, accepted) = spawn_forgetful_service().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", url)]).await;
    let mut raw = Raw::connect(&gw.app.url("")).await;

    for n in 0..5 {
        raw.send(&format!(
            "GET /api/products/{ID} HTTP/1.1\r\nhost: x\r\n\r\n"
        ))
        .await;
        let answer = raw.answer(false).await;
        assert_eq!(answer.status, 200, "request {n}");
        assert_eq!(answer.json()["ok"], true);
    }

    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 5);
    gw.stop().await;
}

/// The gateway's `gateway_open_streams` gauge, as `/metrics` shows it.
async fn open_streams(gw: &crate::helpers::TestGateway) -> f64 {
    gw.metric("gateway_open_streams").await
}

#[tokio::test]
async fn an_event_stream_is_counted_while_open_and_closed_when_its_client_leaves() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let mut raw = Raw::connect(&gw.app.url("")).await;
    raw.send(&format!(
        "GET /api/products/{ID}/live HTTP/1.1\r\nhost: x\r\n\r\n"
    ))
    .await;
    let head_and_event = loop {
        raw.fill().await;
        if find(&raw.buf, b"data: live").is_some() {
            break String::from_utf8_lossy(&raw.buf).into_owned();
        }
    };
    assert!(
        head_and_event.starts_with("HTTP/1.1 200"),
        "{head_and_event}"
    );
    assert_eq!(open_streams(&gw).await, 1.0);

    drop(raw);

    let deadline = tokio::time::Instant::now() + LIMIT;
    while open_streams(&gw).await != 0.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stream stayed open"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    gw.stop().await;
}
