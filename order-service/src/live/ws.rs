//! `GET /ws/orders`: order changes over WebSocket.
//!
//! The token comes in the `Authorization` header or a `token` query parameter; without a valid
//! one the socket is opened and closed at once with code 4401. Client messages:
//! `{"type":"subscribe","orderId":"…"}` (own orders, or any for an admin),
//! `{"type":"subscribe","all":true}` (every order of the caller; every order for an admin) and
//! `{"type":"unsubscribe","orderId":"…"}`. Server messages: `snapshot`, `order.status_changed`,
//! `heartbeat` (while idle) and `error` (`{code, message}`); a subscription to one order is
//! acknowledged by its snapshot, one to all orders by `{"type":"subscribed","all":true}`
//! followed by a snapshot of each open order. A client that comes back after index `n` of an
//! order subscribes with `"after": n`: the snapshot is then the order as it stood at `n`,
//! followed by every change after `n` from the stored history, oldest first, each with the
//! order as it stood then, before any live change ([`super::resume`]). A live change that
//! skips indices of an order the client was sent is preceded by the missing ones from the
//! store (when the store cannot be read the socket closes with 1011, and the client resumes
//! with `after`). When every order followed one by one has reached a final status (and `all`
//! was not asked for), the socket closes normally. A client that does not read is dropped by
//! the hub as soon as its buffer is full.

use std::time::Duration;

use axum::{
    extract::{
        State,
        ws::{
            CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade,
            rejection::WebSocketUpgradeRejection,
        },
    },
    response::{IntoResponse, Response},
};
use futures::{SinkExt, StreamExt, stream::SplitSink};
use serde_json::Value;
use shared::{ApiError, auth::Caller};
use tokio_util::sync::CancellationToken;

use super::{Filter, messages};
use crate::state::AppState;

mod subscriptions;

use subscriptions::Session;

/// Close code for a missing or bad token.
pub const UNAUTHORIZED: u16 = 4401;
/// The longest a single write to a client may take before it is given up on.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// The handler: authenticates, then upgrades.
pub async fn upgrade(
    State(state): State<AppState>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    caller: Result<Caller, ApiError>,
) -> Response {
    let ws = match ws {
        // tungstenite's default read buffer is 128 KiB, zero-filled on the first read, so
        // every idle socket held 140 KiB (`cargo xtask bench streams`); clients send only
        // small JSON messages, and the buffer grows when one needs more.
        Ok(ws) => ws.max_message_size(64 * 1024).read_buffer_size(4 * 1024),
        Err(e) => return ApiError::field("upgrade", e.body_text()).into_response(),
    };
    match caller {
        Ok(caller) => ws.on_upgrade(move |socket| session(socket, state, caller)),
        Err(ApiError::Unauthorized(reason)) => ws.on_upgrade(move |mut socket| async move {
            let frame = CloseFrame {
                code: UNAUTHORIZED,
                reason: Utf8Bytes::from(reason),
            };
            let _ = socket.send(Message::Close(Some(frame))).await;
        }),
        Err(other) => other.into_response(),
    }
}

async fn session(socket: WebSocket, state: AppState, caller: Caller) {
    let (mut sink, mut source) = socket.split();
    let subscription = state.hub.subscribe("ws", Filter::default());
    let dropped = subscription.dropped();
    let cancel = state.cancel.clone();
    let mut heartbeat = tokio::time::interval(state.config.streams.heartbeat);
    heartbeat.reset();
    // A logout (or any revocation) of the token the socket was opened with closes it within a
    // heartbeat.
    let verifier = state.infra.verifier.clone();
    let claims = caller.claims.clone();
    let every = state.config.streams.heartbeat;
    let revoked = async move { verifier.until_revoked(&claims, every).await };
    let mut revoked = std::pin::pin!(revoked);
    let mut s = Session {
        state,
        caller,
        subscription,
        open: Default::default(),
        all: false,
        last: Default::default(),
    };
    let close = loop {
        tokio::select! {
            () = cancel.cancelled() => break Some((1001, "server shutting down")),
            () = &mut revoked => break Some((UNAUTHORIZED, "token revoked")),
            () = dropped.cancelled() => {
                tracing::warn!(customer.id = %s.caller.id, "websocket client dropped: too slow");
                break Some((1008, "too slow: buffer full"));
            }
            incoming = source.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let mut delivered = true;
                    for reply in s.handle(text.as_str()).await {
                        delivered = delivered && send(&mut sink, &reply, &dropped).await;
                    }
                    if !delivered { break None; }
                }
                Some(Ok(Message::Binary(_))) => {
                    let reply = messages::error("VALIDATION_ERROR", "messages must be JSON text");
                    if !send(&mut sink, &reply, &dropped).await { break None; }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => break None,
            },
            change = s.subscription.rx.recv() => {
                let Some(change) = change else { break None };
                // The filter should never let another customer's change through; checked again
                // here so that no slip in following can leak an order.
                if !s.caller.may_see(&change.customer_id) { continue; }
                let texts = match s.catch_up(&change).await {
                    Ok(texts) => texts,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot fill a gap in a live socket; closing it");
                        break Some((1011, "missed changes unavailable: subscribe again with after"));
                    }
                };
                if texts.is_empty() { continue; }
                let mut delivered = true;
                for text in texts {
                    delivered = delivered && send_text(&mut sink, text, &dropped).await;
                }
                if !delivered { break None; }
                heartbeat.reset();
                if change.new_status.is_final() && s.open.remove(&change.order_id) && s.open.is_empty() && !s.all {
                    break Some((1000, "every followed order is complete"));
                }
            }
            _ = heartbeat.tick() => {
                if !send(&mut sink, &messages::heartbeat(), &dropped).await { break None; }
            }
        }
    };
    if let Some((code, reason)) = close {
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from(reason),
        };
        let _ = tokio::time::timeout(
            Duration::from_secs(1),
            sink.send(Message::Close(Some(frame))),
        )
        .await;
    }
}

/// Writes one message; `false` when the client is gone, too slow, or dropped by the hub.
async fn send(
    sink: &mut SplitSink<WebSocket, Message>,
    message: &Value,
    dropped: &CancellationToken,
) -> bool {
    send_text(sink, Utf8Bytes::from(message.to_string()), dropped).await
}

/// Writes one message already in text form (a change's shared message is not copied).
async fn send_text(
    sink: &mut SplitSink<WebSocket, Message>,
    text: Utf8Bytes,
    dropped: &CancellationToken,
) -> bool {
    let mut send = sink.send(Message::Text(text));
    // Usually the socket takes the frame at once: no timer for that (a fan-out to thousands
    // of clients would arm and drop one per client).
    if let Some(sent) = futures::FutureExt::now_or_never(&mut send) {
        return sent.is_ok();
    }
    tokio::select! {
        sent = send => sent.is_ok(),
        () = dropped.cancelled() => false,
        () = tokio::time::sleep(SEND_TIMEOUT) => false,
    }
}
