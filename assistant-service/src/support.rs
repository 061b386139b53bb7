//! The hand-over to a person (DESIGN.md, "After-sales" → Human support; issue 17).
//!
//! An escalated conversation (a complaint, or a customer asking for a person) enters a queue
//! in MongoDB ([`store`]) as `WAITING`. An admin joins it over `/ws/support/{sessionId}`
//! (`routes::support`), which marks it `ACTIVE` for them alone; from then on the customer's
//! messages go to the agent and the assistant stays quiet, until the agent closes or leaves
//! (`CLOSED`: the customer gets `handback` and the assistant answers again). The sockets of a
//! session may be on different replicas: the [`Switchboard`] carries messages between them.
//!
//! - `store`: the queue and the transcripts.
//! - `switchboard`: live delivery between sockets, across replicas (Redis pub/sub).

pub mod store;
pub mod switchboard;

use chrono::Utc;
use mongodb::Database;
use serde_json::json;
use shared::{ApiError, api::support::Status};

pub use switchboard::{Listener, Note, Party, Switchboard};

use crate::session::{Session, Sessions};
use store::{Record, Stored};

/// Why a conversation was escalated: a complaint.
pub const REASON_COMPLAINT: &str = "complaint";
/// Why a conversation was escalated: the customer asked for a person.
pub const REASON_ASKED: &str = "asked for a person";

/// What [`Desk::enqueue`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// It entered the queue now (new, or back after a hand-back).
    Queued,
    /// It was in the queue already, waiting or held by a person.
    Already(Status),
}

/// The support desk: the queue, the transcripts and the switchboard.
#[derive(Clone)]
pub struct Desk {
    db: Database,
    board: Switchboard,
    sessions: Sessions,
}

impl Desk {
    /// The desk over `db`, relaying through `board`; the chat history comes from `sessions`.
    pub fn new(db: Database, board: Switchboard, sessions: Sessions) -> Self {
        Self {
            db,
            board,
            sessions,
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

    /// Puts `session` in the queue for `reason`, with the chat so far and `message` (the one
    /// that escalated it) as its transcript.
    pub async fn enqueue(
        &self,
        session: &Session,
        message: &str,
        reason: &str,
    ) -> Result<Enqueued, ApiError> {
        let existing = store::find(&self.db, &session.id).await?;
        if let Some(record) = &existing
            && record.status != Status::Closed
        {
            return Ok(Enqueued::Already(record.status));
        }
        let since = existing.as_ref().map(|r| r.updated_at);
        let now = Utc::now();
        let mut transcript: Vec<Stored> = self
            .sessions
            .history(&session.id)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|e| since.is_none_or(|since| e.at > since))
            .map(|e| Stored {
                role: if e.role == "user" {
                    "customer"
                } else {
                    "assistant"
                }
                .to_owned(),
                content: e.text,
                agent: None,
                at: e.at,
            })
            .collect();
        transcript.push(Stored {
            role: "customer".to_owned(),
            content: message.to_owned(),
            agent: None,
            at: now,
        });
        let queued = if existing.is_some() {
            store::reopen(&self.db, &session.id, reason, &transcript).await?
        } else {
            let record = Record {
                session_id: session.id.clone(),
                customer_id: session.owner.clone(),
                customer_name: session.customer.as_ref().and_then(|c| c.name.clone()),
                status: Status::Waiting,
                reason: reason.to_owned(),
                agent_id: None,
                agent_name: None,
                queued_at: now,
                queued_ms: now.timestamp_millis(),
                updated_at: now,
                last_message: transcript.last().cloned(),
            };
            store::insert(&self.db, &record, &transcript).await?
        };
        if queued {
            metrics::counter!("assistant_support_queued_total").increment(1);
            Ok(Enqueued::Queued)
        } else {
            // Raced by another replica's escalation of the same session.
            Ok(Enqueued::Already(Status::Waiting))
        }
    }

    /// Whether a person holds `session_id`. When MongoDB cannot say, the assistant answers
    /// (a customer must never be left without a reply), and the miss is logged.
    pub async fn held(&self, session_id: &str) -> bool {
        match store::is_active(&self.db, session_id).await {
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
        let payload = json!({ "type": "customer", "content": content, "at": at(&message) });
        self.board
            .send(
                session_id,
                Note {
                    to: Party::Agent,
                    payload,
                },
            )
            .await;
        Ok(())
    }

    /// The agent `agent_id` takes `session_id`: 404 when it never was escalated, 409 when
    /// another person holds it. The customer is told (`{"type":"agent_joined","agent","at"}`).
    pub async fn claim(
        &self,
        session_id: &str,
        agent_id: &str,
        agent_name: &str,
    ) -> Result<(), ApiError> {
        if !store::claim(&self.db, session_id, agent_id, agent_name).await? {
            return Err(match store::find(&self.db, session_id).await? {
                None => ApiError::NotFound("no support conversation for this session".to_owned()),
                Some(_) => {
                    ApiError::Conflict("another person is already in this conversation".to_owned())
                }
            });
        }
        metrics::counter!("assistant_support_joined_total").increment(1);
        let payload = json!({ "type": "agent_joined", "agent": agent_name, "at": now() });
        self.board
            .send(
                session_id,
                Note {
                    to: Party::Customer,
                    payload,
                },
            )
            .await;
        Ok(())
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
        let payload = json!({
            "type": "agent", "content": content, "agent": agent_name, "at": at(&message),
        });
        self.board
            .send(
                session_id,
                Note {
                    to: Party::Customer,
                    payload,
                },
            )
            .await;
        Ok(())
    }

    /// The agent closed or left: the conversation is `CLOSED` and the customer gets
    /// `{"type":"handback","at"}`. Nothing happens when `agent_id` did not hold it.
    pub async fn release(&self, session_id: &str, agent_id: &str) {
        match store::release(&self.db, session_id, agent_id).await {
            Ok(true) => {
                let payload = json!({ "type": "handback", "at": now() });
                self.board
                    .send(
                        session_id,
                        Note {
                            to: Party::Customer,
                            payload,
                        },
                    )
                    .await;
            }
            Ok(false) => {}
            Err(e) => {
                tracing::error!(error = %e, session_id, "a support conversation could not be handed back")
            }
        }
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
