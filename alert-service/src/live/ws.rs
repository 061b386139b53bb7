//! `GET /ws/alerts`: alerts over WebSocket.
//!
//! The token comes in the `Authorization` header or a `token` query parameter; without a valid
//! one the socket is opened and closed at once with code 4401. Admins follow topics (`orders`,
//! `stock`, `support`, `security`; all of them until they say otherwise); customers get only their own
//! alerts. The URL may carry `topics=orders,stock` and `since=<alert id>`: the alerts after
//! that one which the filter wants are replayed in order (`replay: true`, at most
//! [`REPLAY_LIMIT`], then a `replayed` message), before live ones. Client messages:
//! `{"type":"subscribe","topics":["orders","stock"],"since"?:"<alert id>"}` and
//! `{"type":"unsubscribe","topics":[...]}`. Server messages: `subscribed`, `alert`,
//! `replayed`, `heartbeat` (while idle), `error` (`{code, message}`). A client that does not
//! read is dropped by the hub as soon as its buffer is full (close code 1008).

use std::{collections::HashSet, time::Duration};

use axum::{
    extract::{
        Query, State,
        rejection::QueryRejection,
        ws::{
            CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade,
            rejection::WebSocketUpgradeRejection,
        },
    },
    response::{IntoResponse, Response},
};
use bson::oid::ObjectId;
use futures::{SinkExt, StreamExt, stream::SplitSink};
use serde::Deserialize;
use serde_json::Value;
use shared::{ApiError, auth::Caller};
use tokio_util::sync::CancellationToken;

use super::{Filter, Subscription, messages};
use crate::{domain::Topic, state::AppState, store::alerts};

/// Close code for a missing or bad token.
pub const UNAUTHORIZED: u16 = 4401;
/// The most alerts one replay sends; a client that gets this many asks again from the last.
pub const REPLAY_LIMIT: i64 = 1000;
/// The longest a single write to a client may take before it is given up on.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// The query of the upgrade (the token, if there, is read by the `Caller` extractor).
#[derive(Deserialize)]
pub struct WsQuery {
    /// Replay the alerts after this one.
    pub since: Option<String>,
    /// Comma-separated topics.
    pub topics: Option<String>,
}

fn parse_since(raw: &str) -> Result<ObjectId, ApiError> {
    ObjectId::parse_str(raw.trim())
        .map_err(|_| ApiError::field("since", "must be an alert id (24 hex digits)"))
}

/// Topic names; `all` (or nothing) means every topic.
pub fn parse_topics<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Vec<Topic>, ApiError> {
    let mut topics = Vec::new();
    for name in names.into_iter().map(str::trim).filter(|n| !n.is_empty()) {
        if name == "all" {
            return Ok(Topic::ALL.to_vec());
        }
        let topic = name
            .parse::<Topic>()
            .map_err(|e| ApiError::field("topics", e))?;
        if !topics.contains(&topic) {
            topics.push(topic);
        }
    }
    if topics.is_empty() {
        topics = Topic::ALL.to_vec();
    }
    topics.sort();
    Ok(topics)
}

/// The handler: checks the query and the token, then upgrades.
pub async fn upgrade(
    State(state): State<AppState>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    query: Result<Query<WsQuery>, QueryRejection>,
    caller: Result<Caller, ApiError>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws.max_message_size(64 * 1024),
        Err(e) => return ApiError::field("upgrade", e.body_text()).into_response(),
    };
    let Query(query) = match query {
        Ok(q) => q,
        Err(e) => return ApiError::field("query", e.body_text()).into_response(),
    };
    let since = match query.since.as_deref().map(parse_since).transpose() {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let topics = match parse_topics(query.topics.as_deref().unwrap_or("").split(',')) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    match caller {
        Ok(caller) => ws.on_upgrade(move |socket| session(socket, state, caller, topics, since)),
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

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum ClientMessage {
    Subscribe {
        #[serde(default)]
        topics: Vec<String>,
        since: Option<String>,
    },
    Unsubscribe {
        #[serde(default)]
        topics: Vec<String>,
    },
}

struct Session {
    state: AppState,
    filter: Filter,
    subscription: Subscription,
    /// Alerts sent by a replay, so that their live copies are not sent again.
    replayed: HashSet<String>,
    /// Live alerts at or below this sequence number were covered by `since`.
    floor: i64,
}

async fn session(
    socket: WebSocket,
    state: AppState,
    caller: Caller,
    topics: Vec<Topic>,
    since: Option<ObjectId>,
) {
    let (mut sink, mut source) = socket.split();
    let customer = (!caller.is_admin()).then(|| caller.id.clone());
    let filter = Filter {
        topics: topics.iter().copied().collect(),
        customer,
    };
    // Subscribe first, then replay: an alert made in between arrives live and is deduplicated.
    let subscription = state.hub.subscribe("ws", filter.clone());
    let dropped = subscription.dropped();
    let cancel = state.cancel.clone();
    let mut heartbeat = tokio::time::interval(state.config.streams.heartbeat);
    heartbeat.reset();
    // A logout (or any revocation) of the token the socket was opened with closes it within a
    // heartbeat.
    let verifier = state.infra.verifier.clone();
    let (claims, every) = (caller.claims.clone(), state.config.streams.heartbeat);
    let revoked = async move { verifier.until_revoked(&claims, every).await };
    let mut revoked = std::pin::pin!(revoked);
    let mut s = Session {
        state,
        filter,
        subscription,
        replayed: HashSet::new(),
        floor: i64::MIN,
    };
    let mut first = vec![messages::subscribed(&topics)];
    if let Some(since) = since {
        first.extend(s.replay(since).await);
    }
    for message in first {
        if !send(&mut sink, &message, &dropped).await {
            return;
        }
    }
    let close = loop {
        tokio::select! {
            () = cancel.cancelled() => break Some((1001, "server shutting down")),
            () = &mut revoked => break Some((UNAUTHORIZED, "token revoked")),
            () = dropped.cancelled() => {
                tracing::warn!(customer.id = %caller.id, "alert websocket client dropped: too slow");
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
            alert = s.subscription.rx.recv() => {
                let Some(alert) = alert else { break None };
                if alert.sequence <= s.floor || s.replayed.contains(&alert.id) { continue; }
                if !send(&mut sink, &messages::alert(&alert, false), &dropped).await { break None; }
                heartbeat.reset();
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
    let text = Message::Text(Utf8Bytes::from(message.to_string()));
    tokio::select! {
        sent = sink.send(text) => sent.is_ok(),
        () = dropped.cancelled() => false,
        () = tokio::time::sleep(SEND_TIMEOUT) => false,
    }
}

impl Session {
    /// The alerts after `since` that the filter wants, then `replayed`.
    async fn replay(&mut self, since: ObjectId) -> Vec<Value> {
        let db = self.state.infra.db();
        let floor = match alerts::sequence_of(db, since).await {
            Ok(Some(seq)) => seq,
            Ok(None) => {
                return vec![messages::error(
                    "NOT_FOUND",
                    "no alert with that id to replay from",
                )];
            }
            Err(e) => return vec![messages::error(e.code(), &e.to_string())],
        };
        let found = match alerts::after(db, floor, &self.filter.to_store(), REPLAY_LIMIT).await {
            Ok(found) => found,
            Err(e) => return vec![messages::error(e.code(), &e.to_string())],
        };
        self.floor = self.floor.max(floor);
        let mut out = Vec::with_capacity(found.len() + 1);
        for alert in &found {
            self.replayed.insert(alert.id.clone());
            out.push(messages::alert(alert, true));
        }
        out.push(messages::replayed(found.len()));
        out
    }

    /// Answers one client message with the messages to send back.
    async fn handle(&mut self, text: &str) -> Vec<Value> {
        let message: ClientMessage = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(e) => {
                return vec![messages::error(
                    "VALIDATION_ERROR",
                    &format!(
                        "expected {{\"type\":\"subscribe\",\"topics\":[\"orders\",\"stock\"]}}: {e}"
                    ),
                )];
            }
        };
        let result = match message {
            ClientMessage::Subscribe { topics, since } => {
                match (
                    parse_topics(topics.iter().map(String::as_str)),
                    since.as_deref().map(parse_since).transpose(),
                ) {
                    (Ok(topics), Ok(since)) => {
                        self.set_topics(topics.iter().copied().collect());
                        let mut out = vec![messages::subscribed(&topics)];
                        if let Some(since) = since {
                            out.extend(self.replay(since).await);
                        }
                        Ok(out)
                    }
                    (Err(e), _) | (_, Err(e)) => Err(e),
                }
            }
            ClientMessage::Unsubscribe { topics } => {
                parse_topics(topics.iter().map(String::as_str)).map(|gone| {
                    let mut left = self.filter.topics.clone();
                    for topic in gone {
                        left.remove(&topic);
                    }
                    self.set_topics(left);
                    let mut now: Vec<Topic> = self.filter.topics.iter().copied().collect();
                    now.sort();
                    vec![messages::subscribed(&now)]
                })
            }
        };
        result.unwrap_or_else(|e| vec![messages::error(e.code(), &e.to_string())])
    }

    fn set_topics(&mut self, topics: HashSet<Topic>) {
        self.filter.topics = topics.clone();
        self.subscription.update(|f| f.topics = topics);
    }
}
