//! Live-stream clients for tests: SSE over reqwest + eventsource-stream, WebSocket over
//! tokio-tungstenite.

use std::{pin::Pin, time::Duration};

use eventsource_stream::{Event, Eventsource};
use futures::{SinkExt, Stream, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

/// How long to wait for one message.
pub const NEXT: Duration = Duration::from_secs(20);

pub type SseStream = Pin<Box<dyn Stream<Item = Event> + Send>>;

/// Opens `GET url` as an event stream; the status and the events (comments are skipped).
pub async fn sse(url: &str, bearer: &str, last_event_id: Option<&str>) -> (u16, SseStream) {
    let client = shared::http::client_builder(&shared::http::Trust::system())
        .build()
        .expect("a client");
    let mut request = client
        .get(url)
        .header("authorization", bearer)
        .header("accept", "text/event-stream");
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let events = response
        .bytes_stream()
        .eventsource()
        .filter_map(|r| async move { r.ok() })
        .boxed();
    (status, events)
}

/// The next SSE event, or `None` when the stream ended.
pub async fn next_event(stream: &mut SseStream) -> Option<Event> {
    tokio::time::timeout(NEXT, stream.next())
        .await
        .expect("an SSE event (or the end) within the time limit")
}

/// The raw bytes of `GET url` until `until` is seen in them (or the time limit passes).
pub async fn sse_raw_until(url: &str, bearer: &str, until: &str) -> String {
    let response = shared::http::client_builder(&shared::http::Trust::system())
        .build()
        .expect("a client")
        .get(url)
        .header("authorization", bearer)
        .send()
        .await
        .expect("request");
    let mut body = response.bytes_stream();
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + NEXT;
    while !seen.contains(until) {
        match tokio::time::timeout_at(deadline, body.next()).await {
            Ok(Some(Ok(chunk))) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            _ => break,
        }
    }
    seen
}

pub type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects to `ws://.../ws/orders` with the bearer in the header.
pub async fn ws(base_url: &str, bearer: Option<&str>) -> Socket {
    let url = base_url.replacen("http://", "ws://", 1) + "/ws/orders";
    let mut request = url.into_client_request().expect("a websocket request");
    if let Some(bearer) = bearer {
        request.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(bearer).expect("a header"),
        );
    }
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket connect");
    socket
}

/// Connects with the token in the query string.
pub async fn ws_with_query_token(base_url: &str, token: &str) -> Socket {
    let url = format!(
        "{}/ws/orders?token={token}",
        base_url.replacen("http://", "ws://", 1)
    );
    let (socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket connect");
    socket
}

/// Sends a JSON message.
pub async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("send");
}

/// Subscribes to one order.
pub async fn subscribe(socket: &mut Socket, order_id: &str) {
    send(socket, json!({ "type": "subscribe", "orderId": order_id })).await;
}

/// What the server sent next, skipping heartbeats: `Ok(message)`, or `Err(close code)`.
pub async fn next_message(socket: &mut Socket) -> Result<Value, Option<u16>> {
    // One deadline for all: heartbeats keep coming while the awaited message never does.
    let deadline = tokio::time::Instant::now() + NEXT;
    loop {
        let next = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("a websocket message within the time limit");
        match next {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(text.as_str()).expect("JSON messages");
                if value["type"] != "heartbeat" {
                    return Ok(value);
                }
            }
            Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Err(None),
        }
    }
}

/// The next message, which must be JSON.
pub async fn expect_message(socket: &mut Socket) -> Value {
    next_message(socket)
        .await
        .expect("a message, not the end of the stream")
}

/// The `(oldStatus, newStatus)` of a status change message or SSE event data.
pub fn transition(message: &Value) -> (String, String) {
    (
        message["oldStatus"].as_str().unwrap_or_default().to_owned(),
        message["newStatus"].as_str().unwrap_or_default().to_owned(),
    )
}
