//! Request ids from outside (issue 14, item 0): the gateway is the first hop, so it accepts a
//! caller's `x-request-id` only when it is short and plain, makes a fresh one otherwise, and
//! forwards and echoes only the id it kept — in both lanes.

use crate::{
    helpers::{spawn_echo, spawn_gateway},
    raw::{Answer, ID, Raw},
};

/// Ids no hop may take as they are: one too long for the fast lane's head (hyper serves it
/// then), one too long that fits it, one with a control character (tab: the only one HTTP
/// lets through), one that is not ASCII.
fn unacceptable_ids() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("60,000 characters", vec![b'a'; 60_000]),
        ("200 characters", vec![b'b'; 200]),
        ("a tab", b"abc\tdef".to_vec()),
        ("non-ASCII", "caf\u{e9}-\u{1F600}".as_bytes().to_vec()),
    ]
}

/// A `GET` (the fast lane when its head fits) or a `POST` with a body (hyper and the router)
/// with `id` as its request id.
fn request(method: &str, id: &[u8], bearer: &str) -> Vec<u8> {
    let body = r#"{"stars":5}"#;
    let mut out = match method {
        "GET" => format!("GET /api/products/{ID} HTTP/1.1\r\nhost: x\r\nx-request-id: "),
        _ => format!(
            "POST /api/products/{ID}/questions HTTP/1.1\r\nhost: x\r\nauthorization: {bearer}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\nx-request-id: ",
            body.len()
        ),
    }
    .into_bytes();
    out.extend_from_slice(id);
    out.extend_from_slice(b"\r\n\r\n");
    if method == "POST" {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

fn fresh_uuid(answer: &Answer, case: &str) -> String {
    let echoed = answer.header("x-request-id").expect("an x-request-id");
    let uuid = uuid::Uuid::parse_str(echoed).unwrap_or_else(|_| panic!("{case}: {echoed:.40}…"));
    assert_eq!(uuid.get_version_num(), 7, "{case}");
    echoed.to_owned()
}

#[tokio::test]
async fn an_oversized_or_unplain_request_id_is_replaced_by_a_fresh_one_in_both_lanes() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let bearer = gw.bearer(shared::auth::Role::Admin);

    for method in ["GET", "POST"] {
        for (what, id) in unacceptable_ids() {
            let case = format!("{method} with {what}");
            let mut raw = Raw::connect(&gw.app.url("")).await;
            raw.send_bytes(&request(method, &id, &bearer)).await;
            let answer = raw.answer(false).await;

            assert_eq!(answer.status, 200, "{case}");
            let echoed = fresh_uuid(&answer, &case);
            let seen = answer.json()["requestId"].as_str().map(str::to_owned);
            assert_eq!(seen.as_deref(), Some(echoed.as_str()), "{case}: forwarded");
        }
    }
    gw.stop().await;
}

#[tokio::test]
async fn an_acceptable_request_id_is_forwarded_and_echoed_as_it_came_in_both_lanes() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let bearer = gw.bearer(shared::auth::Role::Admin);
    let id = "trace-42.abc_DEF:7";

    for method in ["GET", "POST"] {
        let mut raw = Raw::connect(&gw.app.url("")).await;
        raw.send_bytes(&request(method, id.as_bytes(), &bearer))
            .await;
        let answer = raw.answer(false).await;

        assert_eq!(answer.status, 200, "{method}");
        assert_eq!(answer.header("x-request-id"), Some(id), "{method}");
        assert_eq!(answer.json()["requestId"], id, "{method}");
    }
    gw.stop().await;
}

#[tokio::test]
async fn a_websocket_upgrade_passes_on_a_fresh_id_in_place_of_an_unacceptable_one() {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("ALERT_SERVICE_URL", echo.url.clone())]).await;
    let url = gw.app.url("/api/ws/alerts").replacen("http://", "ws://", 1);

    for (what, id) in unacceptable_ids() {
        let mut request = url.as_str().into_client_request().unwrap();
        let headers = request.headers_mut();
        headers.insert(
            "authorization",
            gw.bearer(shared::auth::Role::Admin).parse().unwrap(),
        );
        headers.insert("x-request-id", http::HeaderValue::from_bytes(&id).unwrap());
        let (mut socket, answer) = tokio_tungstenite::connect_async(request)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let seen = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .expect("the service's message in time");

        let echoed = answer.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let uuid =
            uuid::Uuid::parse_str(&echoed).unwrap_or_else(|_| panic!("{what}: {echoed:.40}"));
        assert_eq!(uuid.get_version_num(), 7, "{what}");
        assert!(
            matches!(&seen, Some(Ok(Message::Text(t))) if t.as_str() == echoed),
            "{what}: the service saw {seen:.60?}"
        );
    }
    gw.stop().await;
}
