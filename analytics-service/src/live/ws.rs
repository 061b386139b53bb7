//! The `/ws/analytics` socket: admins only (a bad token closes with 4401, a customer gets 403
//! before the upgrade). Server messages: `dashboard` (`{type, data}`, first at once, then
//! whenever the figures change, never twice within [`super::MIN_INTERVAL`]), `heartbeat`
//! while idle, `error`.

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
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use shared::{ApiError, auth::Caller};

use super::MIN_INTERVAL;
use crate::state::AppState;

/// Close code for a missing or bad token.
pub const UNAUTHORIZED: u16 = 4401;
/// Heartbeat interval while nothing changes.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// How often the admin's token is checked against revocations (a local lookup): a logout
/// closes the socket within this. Admin sockets are few, so more often than the heartbeat.
const REVOCATION_CHECK: Duration = Duration::from_secs(2);

/// The handler: authenticates, requires an admin, then upgrades.
pub async fn upgrade(
    State(state): State<AppState>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    caller: Result<Caller, ApiError>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws.max_message_size(16 * 1024),
        Err(e) => return ApiError::field("upgrade", e.body_text()).into_response(),
    };
    match caller {
        Ok(caller) => match caller.require_admin() {
            Ok(()) => ws.on_upgrade(move |socket| session(socket, state, caller)),
            Err(e) => e.into_response(),
        },
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

fn message(kind: &str, data: Value) -> Message {
    Message::Text(Utf8Bytes::from(
        json!({ "type": kind, "data": data }).to_string(),
    ))
}

async fn session(socket: WebSocket, state: AppState, caller: Caller) {
    let (mut sink, mut source) = socket.split();
    let mut rx = state.dashboard.subscribe();
    let (first, mut last) = match crate::live::figures(state.infra.db()).await {
        Ok(v) => (message("dashboard", v.clone()), Some(v)),
        Err(e) => (
            message(
                "error",
                json!({ "code": e.code(), "message": e.to_string() }),
            ),
            None,
        ),
    };
    let mut last_sent = tokio::time::Instant::now();
    if sink.send(first).await.is_err() {
        return;
    }
    rx.mark_unchanged();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.reset();
    let cancel = state.cancel.clone();
    // A logout (or any revocation) of the admin's token closes the socket.
    let verifier = state.infra.verifier.clone();
    let revoked = async move {
        verifier
            .until_revoked(&caller.claims, REVOCATION_CHECK)
            .await
    };
    let mut revoked = std::pin::pin!(revoked);
    let close = loop {
        tokio::select! {
            () = cancel.cancelled() => break (1001, "server shutting down"),
            () = &mut revoked => break (UNAUTHORIZED, "token revoked"),
            changed = rx.changed() => {
                if changed.is_err() { break (1001, "server shutting down"); }
                // Never twice within the interval: wait it out, then send the latest.
                tokio::time::sleep_until(last_sent + MIN_INTERVAL).await;
                let Some(value) = rx.borrow_and_update().clone() else { continue };
                if last.as_ref() == Some(&*value) { continue; }
                last = Some((*value).clone());
                let sent = tokio::time::timeout(Duration::from_secs(10), sink.send(message("dashboard", (*value).clone()))).await;
                if !matches!(sent, Ok(Ok(()))) { return; }
                last_sent = tokio::time::Instant::now();
                heartbeat.reset();
            }
            incoming = source.next() => match incoming {
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                _ => {}
            },
            _ = heartbeat.tick() => {
                let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                let beat = Message::Text(Utf8Bytes::from(json!({ "type": "heartbeat", "at": at }).to_string()));
                if sink.send(beat).await.is_err() { return; }
            }
        }
    };
    let frame = CloseFrame {
        code: close.0,
        reason: Utf8Bytes::from(close.1),
    };
    let _ = sink.send(Message::Close(Some(frame))).await;
}
