//! `GET /ws/alerts`: alerts over WebSocket, run by [`shared::ws`] (token, close codes,
//! heartbeats, error frames, laggards, revocation).
//!
//! Admins follow topics (`orders`,
//! `stock`, `support`, `security`; all of them until they say otherwise); customers get only their own
//! alerts. Topic `me` (asked for by name, never implied by `all`) adds the caller's own
//! notifications as `{"type":"notification","notification":{...}}`; nobody else's are ever
//! sent. The URL may carry `topics=orders,stock,me` and `since=<alert id>`: the alerts after
//! that one which the filter wants are replayed in order (`replay: true`, at most
//! [`REPLAY_LIMIT`], then a `replayed` message), before live ones. Client messages:
//! `{"type":"subscribe","topics":["orders","stock"],"since"?:"<alert id>"}` and
//! `{"type":"unsubscribe","topics":[...]}`. Server messages: `subscribed`, `alert`,
//! `replayed`, `heartbeat` (while idle), `error` (`{code, message}`). A client that does not
//! read is dropped by the hub as soon as its buffer is full (1008).

use std::{collections::HashSet, sync::Arc};

use axum::{
    extract::{Query, State, rejection::QueryRejection},
    response::{IntoResponse, Response},
};
use bson::oid::ObjectId;
use serde::Deserialize;
use serde_json::Value;
use shared::{
    ApiError,
    ws::{Close, Driver, Reply, Upgrade},
};

use super::{Filter, Live, Subscription, messages};
use crate::{
    domain::{Alert, Topic},
    state::AppState,
    store::alerts,
};

/// The most alerts one replay sends; a client that gets this many asks again from the last.
pub const REPLAY_LIMIT: i64 = 1000;

/// The query of the upgrade (the token, if there, is read by [`Upgrade`]).
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

/// Topic names with `me` among them: the alert topics ([`parse_topics`]; none when `me` is
/// all that was named) and whether `me` was.
pub fn parse_wanted<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<(Vec<Topic>, bool), ApiError> {
    let names: Vec<&str> = names
        .into_iter()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    let me = names.contains(&messages::ME);
    let rest: Vec<&str> = names.into_iter().filter(|n| *n != messages::ME).collect();
    if me && rest.is_empty() {
        return Ok((Vec::new(), true));
    }
    Ok((parse_topics(rest)?, me))
}

/// The handler: checks the query and the token, then upgrades.
pub async fn upgrade(
    State(state): State<AppState>,
    upgrade: Upgrade,
    query: Result<Query<WsQuery>, QueryRejection>,
) -> Response {
    let Query(query) = match query {
        Ok(q) => q,
        Err(e) => return ApiError::field("query", e.body_text()).into_response(),
    };
    let since = match query.since.as_deref().map(parse_since).transpose() {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let (topics, me) = match parse_wanted(query.topics.as_deref().unwrap_or("").split(',')) {
        Ok(wanted) => wanted,
        Err(e) => return e.into_response(),
    };
    let (ws, caller) = match upgrade.require() {
        Ok(parts) => parts,
        Err(refused) => return refused,
    };
    ws.on_upgrade(move |socket| async move {
        let customer = (!caller.is_admin()).then(|| caller.id.clone());
        let filter = Filter {
            topics: topics.iter().copied().collect(),
            customer,
            me: me.then(|| caller.id.clone()),
        };
        // Subscribe first, then replay: an alert made in between arrives live and is
        // deduplicated.
        let subscription = state.hub.subscribe("ws", filter.clone());
        let every = state.config.streams.heartbeat;
        let driver = Driver::new(every)
            .shutdown_on(state.cancel.clone())
            .dropped_by(subscription.dropped())
            .revocable(state.infra.verifier.clone(), caller.claims, every);
        let session = Session {
            caller: caller.id.clone(),
            state,
            filter,
            subscription,
            replayed: HashSet::new(),
            floor: i64::MIN,
            topics,
            since,
        };
        driver.serve(socket, session).await;
    })
}

/// What a client may send.
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
    /// The caller's id: whose notifications topic `me` carries.
    caller: String,
    state: AppState,
    filter: Filter,
    subscription: Subscription,
    /// Alerts sent by a replay, so that their live copies are not sent again.
    replayed: HashSet<String>,
    /// Live alerts at or below this sequence number were covered by `since`.
    floor: i64,
    /// The topics asked for in the URL, acknowledged first.
    topics: Vec<Topic>,
    /// Replay after this alert first (the URL's `since`).
    since: Option<ObjectId>,
}

impl shared::ws::Session for Session {
    type Incoming = ClientMessage;
    type Pushed = Option<Arc<Live>>;
    const EXPECTED: &'static str = r#"{"type":"subscribe","topics":["orders","stock"]}"#;
    const DROPPED_COUNTER: &'static str = <Filter as shared::live::Filter>::DROPPED_COUNTER;

    async fn start(&mut self) -> Reply {
        let mut first = vec![messages::subscribed(&self.topics, self.filter.me.is_some())];
        if let Some(since) = self.since {
            first.extend(self.replay(since).await);
        }
        Reply::json(&first)
    }

    async fn handle(&mut self, message: ClientMessage) -> Reply {
        self.answer(message).await
    }

    fn next(&mut self) -> impl Future<Output = Option<Arc<Live>>> + Send {
        self.subscription.rx.recv()
    }

    async fn push(&mut self, live: Option<Arc<Live>>) -> Reply {
        // The hub ends the feed only when it dropped this client for being too slow.
        let Some(live) = live else {
            return Reply::close(Close::too_slow());
        };
        let alert: &Alert = match live.as_ref() {
            Live::Alert(alert) => alert,
            Live::Notification(notification) => {
                return Reply::json([&messages::notification(notification)]);
            }
        };
        if alert.sequence <= self.floor || self.replayed.contains(&alert.id) {
            return Reply::none();
        }
        Reply::json([&messages::alert(alert, false)])
    }
}

impl Session {
    /// The alerts after `since` that the filter wants, then `replayed`.
    async fn replay(&mut self, since: ObjectId) -> Vec<Value> {
        let db = self.state.infra.db();
        let floor = match alerts::sequence_of(db, since).await {
            Ok(Some(seq)) => seq,
            Ok(None) => {
                return vec![shared::ws::error(
                    "NOT_FOUND",
                    "no alert with that id to replay from",
                )];
            }
            Err(e) => return vec![shared::ws::api_error(&e)],
        };
        let found = match alerts::after(db, floor, &self.filter.to_store(), REPLAY_LIMIT).await {
            Ok(found) => found,
            Err(e) => return vec![shared::ws::api_error(&e)],
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

    /// Answers one client message.
    async fn answer(&mut self, message: ClientMessage) -> Reply {
        let result = match message {
            ClientMessage::Subscribe { topics, since } => {
                match (
                    parse_wanted(topics.iter().map(String::as_str)),
                    since.as_deref().map(parse_since).transpose(),
                ) {
                    (Ok((topics, me)), Ok(since)) => {
                        self.set_topics(topics.iter().copied().collect(), me);
                        let mut out = vec![messages::subscribed(&topics, me)];
                        if let Some(since) = since {
                            out.extend(self.replay(since).await);
                        }
                        Ok(out)
                    }
                    (Err(e), _) | (_, Err(e)) => Err(e),
                }
            }
            ClientMessage::Unsubscribe { topics } => {
                parse_wanted(topics.iter().map(String::as_str)).map(|(gone, me_gone)| {
                    let mut left = self.filter.topics.clone();
                    for topic in gone {
                        left.remove(&topic);
                    }
                    let me = self.filter.me.is_some() && !me_gone;
                    self.set_topics(left, me);
                    let mut now: Vec<Topic> = self.filter.topics.iter().copied().collect();
                    now.sort();
                    vec![messages::subscribed(&now, me)]
                })
            }
        };
        result.map_or_else(|e| Reply::error(&e), |out| Reply::json(&out))
    }

    fn set_topics(&mut self, topics: HashSet<Topic>, me: bool) {
        let me = me.then(|| self.caller.clone());
        self.filter.topics = topics.clone();
        self.filter.me = me.clone();
        self.subscription.update(|f| {
            f.topics = topics;
            f.me = me;
        });
    }
}
