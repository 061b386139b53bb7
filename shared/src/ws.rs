//! One WebSocket scaffold for every socket of the suite (`/ws/orders`, `/ws/alerts`,
//! `/ws/analytics`, `/ws/chat/{id}`): the upgrade's authentication ([`Upgrade`]), named close
//! codes ([`Close`]), one error and heartbeat message, and a driver ([`Driver`]) that runs a
//! [`Session`] over any `Sink`/`Stream` of messages, so channels stand in for the socket in
//! unit tests.
//!
//! # One behaviour for every socket
//! The four sockets had drifted; this is what each of them does now (DESIGN.md, "Wire
//! details", is the contract).
//! - **Token**: the `Authorization` header, or a `token` query parameter (browsers cannot set
//!   headers on a WebSocket). A missing or bad token upgrades and closes at once with 4401
//!   ([`code::UNAUTHORIZED`]) — a browser cannot read a refused upgrade's status, but it can read
//!   a close code. The chat answered 401 before the upgrade; it closes with 4401 now. Anything
//!   decided before the upgrade (a bad query, a customer on an admin socket, a session that is
//!   not the caller's, a token that cannot be checked because Redis or the keys are down) is an
//!   HTTP answer in the usual envelope, as is a request that is not an upgrade at all.
//! - **Frame limits**: client messages of at most 64 KiB ([`MAX_MESSAGE`]) through a 4 KiB read
//!   buffer that grows when needed ([`READ_BUFFER`]); analytics had 16 KiB, the chat 64 MiB.
//! - **Revocation**: the token the socket opened with is checked against revocations every
//!   heartbeat (the analytics socket, whose sockets are few, every 2 s); a revoked one closes
//!   with 4401 "token revoked".
//! - **Client messages**: JSON text with a string `type`, handed to the session as its own
//!   serde enum. Anything else — not JSON, no `type`, an unknown one, a binary frame — is
//!   answered with an error frame and the socket stays open (the analytics socket ignored them).
//! - **Error frames**: `{"type":"error","code","message"}` with the envelope's codes
//!   ([`error`], [`api_error`]); an internal error's cause is logged, its message is "internal
//!   error" (the analytics socket sent `{type, data:{code, message}}`, and order and alert
//!   sockets printed causes).
//! - **Heartbeat**: `{"type":"heartbeat","at":<RFC 3339, ms>}` once a heartbeat interval has
//!   passed without anything sent (the service's `STREAM_HEARTBEAT_SECS`, 15 s by default).
//! - **Outgoing buffer**: pushes come from a bounded per-client buffer (the hub's
//!   `STREAM_BUFFER`, 64, for orders and alerts; a `watch` that keeps only the latest figures
//!   for analytics; one turn at a time for the chat). A full hub buffer drops the client at once
//!   ([`Driver::dropped_by`]): close 1008, counted by the hub.
//! - **Send timeout**: a write the socket takes at once costs no timer; one that waits longer
//!   than [`SEND_TIMEOUT`] (30 s; analytics had 10 s, the chat none) drops the client too:
//!   logged, counted in the session's [`Session::DROPPED_COUNTER`] (`kind="ws"`, the hubs'
//!   `order_live_dropped_total` and `alert_live_dropped_total`), closed with 1008.
//! - **Close codes**: 1000 when the session is done (every followed order final, a chat that
//!   ended), 1001 at shutdown, 1008 for a laggard, 1011 when the server cannot go on, 4401 for
//!   a bad or revoked token. A close frame is given [`CLOSE_TIMEOUT`] to go out.
//! - **Clean-up**: the session (its hub subscription, its watch receiver) is dropped the moment
//!   the socket ends, before any close frame is written.
//!
//! # Layout
//! - this file: [`Upgrade`], [`Close`], [`Reply`] and the shared messages.
//! - `ws/driver.rs`: [`Session`] and [`Driver`].
//! - `ws/tests.rs`: the driver over channels standing in for the socket.

mod driver;
#[cfg(test)]
mod tests;

use std::{borrow::Cow, time::Duration};

use axum::{
    extract::{
        FromRef, FromRequestParts,
        ws::{CloseFrame, Message, Utf8Bytes, WebSocketUpgrade},
    },
    http::request::Parts,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

pub use driver::{Driver, Session};

use crate::{
    ApiError,
    auth::{Caller, Verifier, bearer_token},
};

/// The largest client message accepted.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// The read buffer a socket starts with: tungstenite's default (128 KiB, zero-filled on the
/// first read) made every idle socket hold 140 KiB (`cargo xtask bench streams`).
pub const READ_BUFFER: usize = 4 * 1024;
/// The longest one write may wait before the client is dropped as too slow.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest a close frame may take to go out.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// The close codes the server sends.
pub mod code {
    /// The session is done.
    pub const NORMAL: u16 = 1000;
    /// The server is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// The client reads too slowly.
    pub const TOO_SLOW: u16 = 1008;
    /// The server cannot go on (the client may reconnect and resume).
    pub const INTERNAL: u16 = 1011;
    /// A missing, bad or revoked token.
    pub const UNAUTHORIZED: u16 = 4401;
}

/// A close frame the server sends: a [`code`] and a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Close {
    /// One of [`code`].
    pub code: u16,
    /// Why, for people.
    pub reason: Cow<'static, str>,
}

impl Close {
    /// 1000: the session is done.
    pub fn normal(reason: &'static str) -> Self {
        Self::new(code::NORMAL, reason)
    }

    /// 1001: the server is shutting down.
    pub fn going_away() -> Self {
        Self::new(code::GOING_AWAY, "server shutting down")
    }

    /// 1008: the client read too slowly.
    pub fn too_slow() -> Self {
        Self::new(code::TOO_SLOW, "too slow: buffer full")
    }

    /// 1011: the server cannot go on.
    pub fn internal(reason: &'static str) -> Self {
        Self::new(code::INTERNAL, reason)
    }

    /// 4401: a missing, bad or revoked token.
    pub fn unauthorized(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(code::UNAUTHORIZED, reason)
    }

    fn new(code: u16, reason: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }

    /// The close message.
    pub fn message(&self) -> Message {
        Message::Close(Some(CloseFrame {
            code: self.code,
            reason: Utf8Bytes::from(self.reason.as_ref()),
        }))
    }
}

/// What a session sends in answer to something: messages, then perhaps a close.
#[derive(Debug, Default)]
pub struct Reply {
    /// The messages, as JSON text, in order.
    pub messages: Vec<Utf8Bytes>,
    /// Close the socket after them.
    pub close: Option<Close>,
}

impl Reply {
    /// Nothing to send.
    pub fn none() -> Self {
        Self::default()
    }

    /// These JSON messages.
    pub fn json<'a>(values: impl IntoIterator<Item = &'a Value>) -> Self {
        let mut reply = Self::none();
        for value in values {
            reply.push(value);
        }
        reply
    }

    /// These messages, already text (a message shared by many clients is not copied).
    pub fn texts(messages: Vec<Utf8Bytes>) -> Self {
        Self {
            messages,
            close: None,
        }
    }

    /// One error frame for `e` ([`api_error`]).
    pub fn error(e: &ApiError) -> Self {
        Self::json([&api_error(e)])
    }

    /// Only a close.
    pub fn close(close: Close) -> Self {
        Self::none().then(close)
    }

    /// Adds one JSON message.
    pub fn push(&mut self, value: &Value) {
        self.messages.push(Utf8Bytes::from(value.to_string()));
    }

    /// Closes the socket once the messages are sent.
    pub fn then(mut self, close: Close) -> Self {
        self.close = Some(close);
        self
    }
}

/// `{type: "error", code, message}`.
pub fn error(code: &str, message: &str) -> Value {
    json!({ "type": "error", "code": code, "message": message })
}

/// The error frame for `e`: its envelope code and message; an internal error's cause is logged
/// and its message is opaque.
pub fn api_error(e: &ApiError) -> Value {
    let message = match e {
        ApiError::Internal(_) => {
            tracing::error!(error = %e, "websocket request failed");
            "internal error".to_owned()
        }
        ApiError::Validation { message, .. } => message.clone(),
        other => other.to_string(),
    };
    error(e.code(), &message)
}

/// `{type: "heartbeat", at}`.
pub fn heartbeat() -> Value {
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    json!({ "type": "heartbeat", "at": at })
}

/// The upgrade of a socket and its caller, as an extractor: a request that is not an upgrade is
/// a 400 in the envelope. The token is checked here, the verdict is the handler's to apply
/// ([`Upgrade::require`], [`Upgrade::into_parts`]) after its own checks.
pub struct Upgrade {
    ws: WebSocketUpgrade,
    /// `Ok(None)` without a token.
    caller: Result<Option<Caller>, ApiError>,
}

impl<S> FromRequestParts<S> for Upgrade
where
    S: Send + Sync,
    Verifier: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ws = WebSocketUpgrade::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::field("upgrade", e.body_text()))?
            .max_message_size(MAX_MESSAGE)
            .read_buffer_size(READ_BUFFER);
        let caller = match bearer_token(parts) {
            None => Ok(None),
            Some(_) => Caller::from_request_parts(parts, state).await.map(Some),
        };
        Ok(Self { ws, caller })
    }
}

// The `Err` is the handler's own answer, returned at once as handlers return responses anyway.
#[allow(clippy::result_large_err)]
impl Upgrade {
    /// The upgrade and the caller, `None` without a token; `Err` is the answer to give now: a
    /// bad token upgrades and closes with 4401, a token that cannot be checked is a 503.
    pub fn into_parts(self) -> Result<(WebSocketUpgrade, Option<Caller>), Response> {
        match self.caller {
            Ok(caller) => Ok((self.ws, caller)),
            Err(ApiError::Unauthorized(reason)) => Err(refuse(self.ws, reason)),
            Err(other) => Err(other.into_response()),
        }
    }

    /// As [`Upgrade::into_parts`], for a socket that needs a caller: without a token it also
    /// closes with 4401.
    pub fn require(self) -> Result<(WebSocketUpgrade, Caller), Response> {
        match self.into_parts()? {
            (ws, Some(caller)) => Ok((ws, caller)),
            (ws, None) => Err(refuse(ws, "a bearer token is required".to_owned())),
        }
    }
}

/// Upgrades, then closes at once with 4401 and `reason`.
fn refuse(ws: WebSocketUpgrade, reason: String) -> Response {
    ws.on_upgrade(move |mut socket| async move {
        let close = Close::unauthorized(reason).message();
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.send(close)).await;
    })
}
