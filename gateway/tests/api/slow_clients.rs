//! Slow and greedy clients (issue 14, item 0b): a request head trickled one line at a time is
//! cut off by a deadline for the whole head (not per read), in both lanes; an idle kept-alive
//! connection is closed; one address holds at most `MAX_CONNECTIONS_PER_CLIENT` connections.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    time::Instant,
};

use crate::{
    helpers::{TestGateway, spawn_echo, spawn_gateway_with},
    raw::{ID, Raw},
};

/// Between two lines of a trickled head: far shorter than the head deadline, so a timeout per
/// read would never fire.
const TRICKLE: Duration = Duration::from_millis(50);
/// The head deadline and idle timeout of these tests.
const SHORT: &str = "300";
/// How long a test waits for the gateway to close a connection before it fails.
const GIVE_UP: Duration = Duration::from_secs(5);

async fn gateway(extra: &[(&str, &str)]) -> TestGateway {
    let echo = spawn_echo().await;
    spawn_gateway_with(&[("PRODUCT_SERVICE_URL", echo.url.clone())], extra).await
}

/// Writes `first`, then a header line every [`TRICKLE`], never ending the head; how long
/// until the gateway closed the connection, or `None` if it did not within [`GIVE_UP`].
async fn trickle(raw: &mut Raw, first: &str) -> Option<Duration> {
    let started = Instant::now();
    raw.send(first).await;
    let mut chunk = [0u8; 1024];
    while started.elapsed() < GIVE_UP {
        match tokio::time::timeout(TRICKLE, raw.stream.read(&mut chunk)).await {
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => panic!("an answer to a head that never ended"),
            Err(_) => {}
        }
        if raw
            .stream
            .write_all(b"x-slow: still here\r\n")
            .await
            .is_err()
        {
            return Some(started.elapsed());
        }
    }
    None
}

/// How long until the gateway closed an idle connection, or `None` within [`GIVE_UP`].
async fn idle_until_closed(raw: &mut Raw) -> Option<Duration> {
    let started = Instant::now();
    let mut chunk = [0u8; 64];
    match tokio::time::timeout(GIVE_UP, raw.stream.read(&mut chunk)).await {
        Ok(Ok(0) | Err(_)) => Some(started.elapsed()),
        Ok(Ok(_)) => panic!("bytes on an idle connection"),
        Err(_) => None,
    }
}

/// A request hyper and the router serve (it has a body): the connection stays with them.
fn post() -> String {
    let body = r#"{"stars":5}"#;
    format!(
        "POST /api/products/{ID}/questions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_trickled_head_is_cut_off_by_the_head_deadline_in_both_lanes() {
    let gw = gateway(&[("HEAD_TIMEOUT_MS", SHORT)]).await;
    let first = format!("GET /api/products/{ID} HTTP/1.1\r\nhost: x\r\n");

    let mut fast = Raw::connect(&gw.app.url("")).await;
    let fast_closed = trickle(&mut fast, &first).await;

    let mut routed = Raw::connect(&gw.app.url("")).await;
    routed.send(&post()).await;
    assert_eq!(routed.answer(false).await.status, 200, "the router lane's");
    let routed_closed = trickle(&mut routed, &first).await;

    for (lane, closed) in [("fast lane", fast_closed), ("router lane", routed_closed)] {
        let closed = closed.unwrap_or_else(|| panic!("{lane}: still open after {GIVE_UP:?}"));
        assert!(closed >= Duration::from_millis(250), "{lane}: {closed:?}");
    }
    gw.stop().await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_in_both_lanes() {
    let gw = gateway(&[("KEEP_ALIVE_TIMEOUT_MS", SHORT), ("HEAD_TIMEOUT_MS", SHORT)]).await;

    let mut fast = Raw::connect(&gw.app.url("")).await;
    fast.send(&format!(
        "GET /api/products/{ID} HTTP/1.1\r\nhost: x\r\n\r\n"
    ))
    .await;
    assert_eq!(fast.answer(false).await.status, 200);
    let mut routed = Raw::connect(&gw.app.url("")).await;
    routed.send(&post()).await;
    assert_eq!(routed.answer(false).await.status, 200);

    assert!(idle_until_closed(&mut fast).await.is_some(), "fast lane");
    assert!(
        idle_until_closed(&mut routed).await.is_some(),
        "router lane"
    );
    gw.stop().await;
}

#[tokio::test]
async fn one_address_holds_at_most_its_cap_of_connections() {
    const CAP: usize = 4;
    let gw = gateway(&[("MAX_CONNECTIONS_PER_CLIENT", "4")]).await;
    let get = format!("GET /api/products/{ID} HTTP/1.1\r\nhost: x\r\n\r\n");

    // The harness's own client may hold a kept connection too: open until refused.
    let mut held = Vec::new();
    let refused = loop {
        let mut raw = Raw::connect(&gw.app.url("")).await;
        raw.send(&get).await;
        let answer = raw.answer(false).await;
        if answer.status != 200 {
            break answer;
        }
        held.push(raw);
        assert!(
            held.len() <= CAP,
            "more than {CAP} connections from one address"
        );
    };

    assert_eq!(refused.status, 503);
    assert_eq!(refused.header("connection"), Some("close"));
    assert!(held.len() >= CAP - 1, "only {} admitted", held.len());
    held.pop();
    let deadline = Instant::now() + GIVE_UP;
    loop {
        let mut raw = Raw::connect(&gw.app.url("")).await;
        raw.send(&get).await;
        if raw.answer(false).await.status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a closed connection's slot never came back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    gw.stop().await;
}

/// A client that writes all of a body far over the limit before it reads (as most do) gets
/// the 413, not a reset: the gateway answers, then reads and throws away what still comes
/// until the client closes (a lingering close) instead of closing on unread input, which made
/// the kernel reset the connection and the answer was lost ("broken pipe" on an image upload).
#[tokio::test]
async fn a_client_still_writing_a_refused_body_reads_the_answer_before_the_close() {
    let gw = gateway(&[]).await;
    let admin = gw.bearer(shared::auth::Role::Admin);
    let body = vec![b' '; 4 * 1024 * 1024];
    let mut raw = Raw::connect(&gw.app.url("")).await;
    raw.send(&format!(
        "PUT /api/products/{ID} HTTP/1.1\r\nhost: x\r\nauthorization: {admin}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    ))
    .await;
    for chunk in body.chunks(64 * 1024) {
        raw.stream
            .write_all(chunk)
            .await
            .expect("the body is taken while the answer waits");
    }
    let answer = raw.answer(false).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.header("connection"), Some("close"));
}
