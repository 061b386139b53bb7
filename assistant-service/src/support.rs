//! The hand-over to a person (DESIGN.md, "After-sales" → Human support; issue 17).
//!
//! An escalated conversation (a complaint, or a customer asking for a person) enters a queue
//! in MongoDB ([`store`]) as `WAITING`. An admin joins it over `/ws/support/{sessionId}`
//! (`routes::support`), which marks it `ACTIVE` for them alone; from then on the customer's
//! messages go to the agent and the assistant stays quiet, until the agent closes (`CLOSED`:
//! the customer gets `handback` and the assistant answers again). The sockets of a session may
//! be on different replicas: the [`Switchboard`] carries messages between them.
//!
//! A person holds a conversation under a **lease** ([`Desk::lease`], `SUPPORT_LEASE_MS`): taken
//! when they join, renewed by their socket while it lives ([`Desk::renew`]), ended when it
//! closes. An agent whose socket ends without `close` (a dropped connection, a closed tab) puts
//! the conversation back in the queue (`WAITING`) at once; one whose replica dies cannot, so
//! their lease runs out: the assistant answers again from that moment ([`Desk::held`] reads
//! the lease), and the [sweep](Desk::spawn_sweep) of any surviving replica puts the
//! conversation back in the queue and tells the customer (`handback`, `reason: agent_left`).
//! Every change of holder is one conditional update on the lease id, so with any number of
//! replicas a conversation has at most one holder and is requeued once.
//!
//! - `queue`: a conversation entering the queue, with its transcript so far.
//! - `store`: the queue, the leases and the transcripts.
//! - `switchboard`: live delivery between sockets, across replicas (Redis pub/sub).

mod queue;
pub mod store;
pub mod switchboard;

use std::time::Duration;

use chrono::Utc;
use mongodb::Database;
use serde_json::json;
use shared::{ApiError, api::support::Status};

pub use queue::{Enqueued, REASON_ASKED, REASON_COMPLAINT};
pub use switchboard::{Listener, Note, Party, Switchboard};

use crate::session::{Entry, Sessions};
use store::Stored;

/// Why the customer got `handback`: the agent closed the conversation.
pub const HANDBACK_CLOSED: &str = "closed";
/// Why the customer got `handback`: the agent's socket or replica went away; the conversation
/// is back in the queue.
pub const HANDBACK_AGENT_LEFT: &str = "agent_left";

/// The support desk: the queue, the transcripts, the leases and the switchboard.
#[derive(Clone)]
pub struct Desk {
    db: Database,
    board: Switchboard,
    sessions: Sessions,
    lease: Duration,
}

impl Desk {
    /// The desk over `db`, relaying through `board`; the chat history comes from `sessions`;
    /// a person holds a conversation for `lease` past their socket's last renewal.
    pub fn new(db: Database, board: Switchboard, sessions: Sessions, lease: Duration) -> Self {
        Self {
            db,
            board,
            sessions,
            lease,
        }
    }

    /// How long a lease lasts without renewal.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// How often a holder renews its lease and a replica sweeps for expired ones: a third of
    /// the lease, so two renewals may fail before it runs out.
    pub fn renew_every(&self) -> Duration {
        (self.lease / 3).max(Duration::from_millis(10))
    }

    fn until(&self, now_ms: i64) -> i64 {
        now_ms.saturating_add(i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX / 2))
    }

    /// Starts this replica's sweep of expired leases (under [`shared::supervise`], until
    /// `cancel`): every [`Desk::renew_every`], each conversation whose holder stopped renewing
    /// goes back to the queue and its customer gets `handback` (reason `agent_left`).
    pub fn spawn_sweep(&self, cancel: tokio_util::sync::CancellationToken) {
        let desk = self.clone();
        let stop = cancel.clone();
        drop(shared::supervise::spawn(
            "support-lease-sweep",
            stop,
            move || {
                let (desk, cancel) = (desk.clone(), cancel.clone());
                async move {
                    let mut tick = tokio::time::interval(desk.renew_every());
                    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    loop {
                        tokio::select! {
                            () = cancel.cancelled() => return,
                            _ = tick.tick() => desk.sweep().await,
                        }
                    }
                }
            },
        ));
    }

    /// One sweep: the expired leases' conversations back to the queue, their customers told.
    pub async fn sweep(&self) {
        match store::requeue_expired(&self.db, Utc::now().timestamp_millis()).await {
            Ok(requeued) => {
                for session in requeued {
                    metrics::counter!("assistant_support_leases_expired_total").increment(1);
                    tracing::warn!(
                        session,
                        "a support agent's lease ran out; the conversation is back in the queue"
                    );
                    self.handback(&session, HANDBACK_AGENT_LEFT).await;
                }
            }
            Err(e) => tracing::debug!(error = %e, "support lease sweep failed; trying again"),
        }
    }

    /// The switchboard.
    pub fn board(&self) -> &Switchboard {
        &self.board
    }

    /// The database of the queue.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// Adds what was said with a person to the chat's own history, so the customer's chat
    /// shows it after a reload. The transcript in MongoDB is the record; a cache that is down
    /// only costs the reloaded chat those lines, and is logged.
    async fn remember(&self, session_id: &str, entry: Entry) {
        if let Err(e) = self.sessions.append(session_id, &[entry]).await {
            tracing::warn!(error = %e, "cannot add a message with a person to the chat history");
        }
    }

    /// The name of the person holding `session_id` now, if one does.
    pub async fn holder(&self, session_id: &str) -> Option<String> {
        if !self.held(session_id).await {
            return None;
        }
        match store::find(&self.db, session_id).await {
            Ok(record) => record.and_then(|r| r.agent_name),
            Err(_) => None,
        }
    }

    /// Whether a person holds `session_id` (under a lease still running). When MongoDB
    /// cannot say, the assistant answers (a customer must never be left without a reply), and
    /// the miss is logged.
    pub async fn held(&self, session_id: &str) -> bool {
        match store::is_active(&self.db, session_id, Utc::now().timestamp_millis()).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(error = %e, "support queue unavailable; the assistant answers");
                false
            }
        }
    }

    /// The customer said `content` while a person holds the conversation: stored, then shown
    /// to the agent as `{"type":"customer","content","at"}`.
    pub async fn from_customer(&self, session_id: &str, content: &str) -> Result<(), ApiError> {
        let message = Stored {
            role: "customer".to_owned(),
            content: content.to_owned(),
            agent: None,
            at: Utc::now(),
        };
        store::append(&self.db, session_id, &message).await?;
        self.remember(session_id, Entry::held("user", content, None, message.at))
            .await;
        let payload = json!({ "type": "customer", "content": content, "at": at(&message) });
        self.tell(session_id, Party::Agent, payload).await;
        Ok(())
    }

    /// The agent `agent_id` takes `session_id` under a new lease, whose id is returned: 404
    /// when it never was escalated, 409 when another person holds it. The customer is told
    /// (`{"type":"agent_joined","agent","at"}`).
    pub async fn claim(
        &self,
        session_id: &str,
        agent_id: &str,
        agent_name: &str,
    ) -> Result<String, ApiError> {
        let lease = uuid::Uuid::now_v7().to_string();
        let now_ms = Utc::now().timestamp_millis();
        let window = (now_ms, self.until(now_ms));
        if !store::claim(&self.db, session_id, agent_id, agent_name, &lease, window).await? {
            return Err(match store::find(&self.db, session_id).await? {
                None => ApiError::NotFound("no support conversation for this session".to_owned()),
                Some(_) => {
                    ApiError::Conflict("another person is already in this conversation".to_owned())
                }
            });
        }
        metrics::counter!("assistant_support_joined_total").increment(1);
        let payload = json!({ "type": "agent_joined", "agent": agent_name, "at": now() });
        self.tell(session_id, Party::Customer, payload).await;
        Ok(lease)
    }

    /// Extends `lease` on `session_id`: `Ok(false)` when it no longer holds the conversation
    /// (it ran out: the conversation goes back to the queue).
    pub async fn renew(&self, session_id: &str, lease: &str) -> Result<bool, ApiError> {
        let now = Utc::now().timestamp_millis();
        store::renew(&self.db, session_id, lease, (now, self.until(now))).await
    }

    /// The agent said `content`: stored, then pushed to the customer as
    /// `{"type":"agent","content","agent","at"}`.
    pub async fn from_agent(
        &self,
        session_id: &str,
        agent_name: &str,
        content: &str,
    ) -> Result<(), ApiError> {
        let message = Stored {
            role: "agent".to_owned(),
            content: content.to_owned(),
            agent: Some(agent_name.to_owned()),
            at: Utc::now(),
        };
        store::append(&self.db, session_id, &message).await?;
        self.remember(
            session_id,
            Entry::held("agent", content, Some(agent_name), message.at),
        )
        .await;
        let payload = json!({
            "type": "agent", "content": content, "agent": agent_name, "at": at(&message),
        });
        self.tell(session_id, Party::Customer, payload).await;
        Ok(())
    }

    /// The agent closed the conversation held under `lease`: it is `CLOSED` and the customer
    /// gets `{"type":"handback","reason":"closed","at"}`. Nothing happens when that lease no
    /// longer holds it.
    pub async fn release(&self, session_id: &str, lease: &str) {
        self.end(session_id, lease, Status::Closed, HANDBACK_CLOSED)
            .await;
    }

    /// The agent's socket ended without `close`: the conversation goes back to the queue
    /// (`WAITING`, keeping its place) and the customer gets `handback` (reason `agent_left`).
    pub async fn leave(&self, session_id: &str, lease: &str) {
        self.end(session_id, lease, Status::Waiting, HANDBACK_AGENT_LEFT)
            .await;
    }

    async fn end(&self, session_id: &str, lease: &str, to: Status, reason: &str) {
        match store::release(&self.db, session_id, lease, to).await {
            Ok(true) => self.handback(session_id, reason).await,
            Ok(false) => {}
            // The lease runs out by itself and a sweep requeues the conversation.
            Err(e) => {
                tracing::error!(error = %e, session_id, "a support conversation could not be handed back; its lease will run out")
            }
        }
    }

    /// Passes `payload` to the `to` side of `session_id`'s conversation, on every replica.
    async fn tell(&self, session_id: &str, to: Party, payload: serde_json::Value) {
        self.board.send(session_id, Note { to, payload }).await;
    }

    async fn handback(&self, session_id: &str, reason: &str) {
        let payload = json!({ "type": "handback", "reason": reason, "at": now() });
        self.tell(session_id, Party::Customer, payload).await;
    }
}

fn at(message: &Stored) -> String {
    message
        .at
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
