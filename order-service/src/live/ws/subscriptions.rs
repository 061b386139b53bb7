//! What a WebSocket client asks for (`subscribe`, `unsubscribe`) and what it is sent of each
//! order it follows: the snapshot or the replay after its last index, and each live change
//! once, with any indices it missed filled from the store first.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use axum::extract::ws::Utf8Bytes;
use bson::oid::ObjectId;
use serde::Deserialize;
use serde_json::Value;
use shared::{
    ApiError,
    auth::Caller,
    ws::{Close, Reply},
};

use crate::{
    domain::Order,
    live::{
        Filter, Subscription,
        hub::LiveChange,
        messages,
        resume::{self, Step},
    },
    state::AppState,
    store::orders,
};

/// Open orders sent as snapshots when a client subscribes to all of its orders.
const ALL_SNAPSHOTS: u64 = 50;

/// What a client may send.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(super) enum ClientMessage {
    Subscribe {
        #[serde(rename = "orderId")]
        order_id: Option<String>,
        #[serde(default)]
        all: bool,
        /// The last history index the client has of the order: resume after it.
        after: Option<i64>,
    },
    Unsubscribe {
        #[serde(rename = "orderId")]
        order_id: String,
    },
}

/// One socket's state: who it is, what it follows, and what it was sent.
pub(super) struct Session {
    pub(super) state: AppState,
    pub(super) caller: Caller,
    pub(super) subscription: Subscription,
    /// Orders followed one by one that have not reached a final status.
    pub(super) open: HashSet<String>,
    /// Whether the client follows all of its orders.
    pub(super) all: bool,
    /// The last history index sent per order: what was sent already is dropped, and a change
    /// further on than the next reveals a gap.
    pub(super) last: HashMap<String, i64>,
}

impl shared::ws::Session for Session {
    type Incoming = ClientMessage;
    type Pushed = Option<Arc<LiveChange>>;
    const EXPECTED: &'static str =
        r#"{"type":"subscribe","orderId":"…"} or {"type":"subscribe","all":true}"#;
    const DROPPED_COUNTER: &'static str = <Filter as shared::live::Filter>::DROPPED_COUNTER;

    async fn handle(&mut self, message: ClientMessage) -> Reply {
        let result = match message {
            ClientMessage::Subscribe {
                order_id: Some(id),
                after,
                ..
            } => self.follow(&id, after).await,
            ClientMessage::Subscribe {
                order_id: None,
                all: true,
                ..
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
        result.map_or_else(|e| Reply::error(&e), |out| Reply::json(&out))
    }

    fn next(&mut self) -> impl Future<Output = Option<Arc<LiveChange>>> + Send {
        self.subscription.rx.recv()
    }

    async fn push(&mut self, change: Option<Arc<LiveChange>>) -> Reply {
        // The hub ends the feed only when it dropped this client for being too slow.
        let Some(change) = change else {
            return Reply::close(Close::too_slow());
        };
        // The filter should never let another customer's change through; checked again here
        // so that no slip in following can leak an order.
        if !self.caller.may_see(&change.customer_id) {
            return Reply::none();
        }
        let texts = match self.catch_up(&change).await {
            Ok(texts) => texts,
            Err(e) => {
                tracing::warn!(error = %e, "cannot fill a gap in a live socket; closing it");
                return Reply::close(Close::internal(
                    "missed changes unavailable: subscribe again with after",
                ));
            }
        };
        if texts.is_empty() {
            return Reply::none();
        }
        let reply = Reply::texts(texts);
        if change.new_status.is_final()
            && self.open.remove(&change.order_id)
            && self.open.is_empty()
            && !self.all
        {
            return reply.then(Close::normal("every followed order is complete"));
        }
        reply
    }
}

impl Session {
    /// The messages that deliver a live change: none when the client has it already,
    /// otherwise the changes it missed before it (from the store) and the change itself.
    async fn catch_up(&mut self, change: &LiveChange) -> Result<Vec<Utf8Bytes>, ApiError> {
        let Some(&last) = self.last.get(&change.order_id) else {
            // An order first met through `all`: nothing was sent of it, so nothing is missing.
            self.last.insert(change.order_id.clone(), change.index);
            return Ok(vec![change.message.clone()]);
        };
        let mut texts = Vec::new();
        match resume::step(last, change.index) {
            Step::Seen => return Ok(texts),
            Step::Next => {}
            Step::Gap => {
                let db = self.state.infra.db();
                for missed in resume::missed(db, &change.order_id, last, change.index).await? {
                    texts.push(Utf8Bytes::from(
                        messages::status_changed(&missed).to_string(),
                    ));
                }
            }
        }
        self.last.insert(change.order_id.clone(), change.index);
        texts.push(change.message.clone());
        Ok(texts)
    }

    async fn follow(&mut self, raw: &str, after: Option<i64>) -> Result<Vec<Value>, ApiError> {
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
        Ok(match after.filter(|n| (0..=order.version).contains(n)) {
            Some(after) => std::iter::once(messages::snapshot_as_of(&order, after))
                .chain(
                    resume::replay(&order, after)
                        .iter()
                        .map(messages::status_changed),
                )
                .collect(),
            // No index, or one this order never had: the order as it stands.
            None => vec![messages::snapshot(&order)],
        })
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
