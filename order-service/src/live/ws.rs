//! `GET /ws/orders`: order changes over WebSocket.
//!
//! The token comes in the `Authorization` header or a `token` query parameter; without a valid
//! one the socket is opened and closed at once with code 4401. Client messages:
//! `{"type":"subscribe","orderId":"…"}` (own orders, or any for an admin),
//! `{"type":"subscribe","all":true}` (every order of the caller; every order for an admin) and
//! `{"type":"unsubscribe","orderId":"…"}`. Server messages: `snapshot`, `order.status_changed`,
//! `heartbeat` (while idle) and `error` (`{code, message}`); a subscription to one order is
//! acknowledged by its snapshot, one to all orders by `{"type":"subscribed","all":true}`
//! followed by a snapshot of each open order. When every order followed one by
//! one has reached a final status (and `all` was not asked for), the socket closes normally.
//! A client that does not read is dropped by the hub as soon as its buffer is full.

use std::{collections::HashMap, time::Duration};

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
use bson::oid::ObjectId;
use futures::{SinkExt, StreamExt, stream::SplitSink};
use serde::Deserialize;
use serde_json::Value;
use shared::{ApiError, auth::Caller};
use tokio_util::sync::CancellationToken;

use super::{Filter, Subscription, messages};
use crate::{domain::Order, state::AppState, store::orders};

/// Close code for a missing or bad token.
pub const UNAUTHORIZED: u16 = 4401;
/// The longest a single write to a client may take before it is given up on.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// Open orders sent as snapshots when a client subscribes to all of its orders.
const ALL_SNAPSHOTS: u64 = 50;

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

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum ClientMessage {
    Subscribe {
        #[serde(rename = "orderId")]
        order_id: Option<String>,
        #[serde(default)]
        all: bool,
    },
    Unsubscribe {
        #[serde(rename = "orderId")]
        order_id: String,
    },
}

struct Session {
    state: AppState,
    caller: Caller,
    subscription: Subscription,
    /// Orders followed one by one that have not reached a final status.
    open: std::collections::HashSet<String>,
    /// Whether the client follows all of its orders.
    all: bool,
    /// The last history index sent per order, to drop what the snapshot already covered.
    last: HashMap<String, i64>,
}

async fn session(socket: WebSocket, state: AppState, caller: Caller) {
    let (mut sink, mut source) = socket.split();
    let subscription = state.hub.subscribe("ws", Filter::default());
    let dropped = subscription.dropped();
    let cancel = state.cancel.clone();
    let mut heartbeat = tokio::time::interval(state.config.streams.heartbeat);
    heartbeat.reset();
    let mut s = Session {
        state,
        caller,
        subscription,
        open: Default::default(),
        all: false,
        last: HashMap::new(),
    };
    let close = loop {
        tokio::select! {
            () = cancel.cancelled() => break Some((1001, "server shutting down")),
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
                let last = s.last.entry(change.order_id.clone()).or_insert(-1);
                if change.index <= *last { continue; }
                *last = change.index;
                if !send_text(&mut sink, change.message.clone(), &dropped).await { break None; }
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

impl Session {
    /// Answers one client message with the messages to send back.
    async fn handle(&mut self, text: &str) -> Vec<Value> {
        let message: ClientMessage = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(e) => {
                return vec![messages::error(
                    "VALIDATION_ERROR",
                    &format!(
                        "expected {{\"type\":\"subscribe\",\"orderId\":\"…\"}} or {{\"type\":\"subscribe\",\"all\":true}}: {e}"
                    ),
                )];
            }
        };
        let result = match message {
            ClientMessage::Subscribe {
                order_id: Some(id), ..
            } => self.follow(&id).await,
            ClientMessage::Subscribe {
                order_id: None,
                all: true,
            } => self.follow_all().await,
            ClientMessage::Subscribe { .. } => {
                Err(ApiError::field("orderId", "give an orderId, or all: true"))
            }
            ClientMessage::Unsubscribe { order_id } => {
                self.subscription.update(|f| {
                    f.orders.remove(&order_id);
                });
                self.open.remove(&order_id);
                Ok(Vec::new())
            }
        };
        result.unwrap_or_else(|e| vec![messages::error(e.code(), &e.to_string())])
    }

    async fn follow(&mut self, raw: &str) -> Result<Vec<Value>, ApiError> {
        let id = ObjectId::parse_str(raw.trim())
            .map_err(|_| ApiError::field("orderId", "must be a 24-character hex ObjectId"))?;
        let key = id.to_hex();
        // Whose order it is decides whether it may be followed at all: a filter that held
        // someone else's order even for the length of a read let the changes queued in that
        // window through (issue 14, 0b).
        self.readable(id).await?;
        self.subscription.update(|f| {
            f.orders.insert(key.clone());
        });
        // Read again after following, so a change made in between is in the snapshot or
        // arrives after it (deduplicated by index).
        let order = match self.readable(id).await {
            Ok(order) => order,
            Err(e) => {
                self.subscription.update(|f| {
                    f.orders.remove(&key);
                });
                return Err(e);
            }
        };
        self.last.insert(key.clone(), order.version);
        if !order.status.is_final() {
            self.open.insert(key);
        }
        Ok(vec![messages::snapshot(&order)])
    }

    /// The order `id` if the caller may see it; `NOT_FOUND` otherwise, as for a missing one.
    async fn readable(&self, id: ObjectId) -> Result<Order, ApiError> {
        orders::by_id(self.state.infra.db(), id)
            .await?
            .filter(|o| self.caller.may_see(&o.customer_id))
            .ok_or_else(|| ApiError::NotFound("no such order".to_owned()))
    }

    async fn follow_all(&mut self) -> Result<Vec<Value>, ApiError> {
        let customer = self.caller.id.clone();
        let admin = self.caller.is_admin();
        self.subscription.update(|f| {
            if admin {
                f.everything = true;
            } else {
                f.customer = Some(customer.clone());
            }
        });
        self.all = true;
        let (recent, _) = orders::page(
            self.state.infra.db(),
            Some(&customer),
            None,
            1,
            ALL_SNAPSHOTS,
        )
        .await?;
        let mut snapshots = vec![serde_json::json!({ "type": "subscribed", "all": true })];
        for order in recent.iter().filter(|o| !o.status.is_final()) {
            self.last.insert(order.id.to_hex(), order.version);
            snapshots.push(messages::snapshot(order));
        }
        Ok(snapshots)
    }
}
