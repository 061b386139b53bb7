//! A conversation entering the queue for a person: its record, and the transcript of the chat
//! so far.

use chrono::Utc;
use shared::{ApiError, api::support::Status};

use super::{
    Desk,
    store::{self, Record, Stored},
};
use crate::session::Session;

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

/// Counts a conversation that entered the queue.
fn queued() -> Enqueued {
    metrics::counter!("assistant_support_queued_total").increment(1);
    Enqueued::Queued
}

impl Desk {
    /// Puts `session` in the queue for `reason`, with the chat so far and `message` (the one
    /// that escalated it) as its transcript.
    ///
    /// A session whose id this service made and that never entered the queue has no record
    /// to find, so it is inserted straight away (one MongoDB round trip less on a first
    /// complaint). Should one exist after all (an earlier hand-over that failed after its
    /// write), the insert says so and the record is looked at as for any other session;
    /// its transcript then holds those lines twice.
    pub async fn enqueue(
        &self,
        session: &Session,
        message: &str,
        reason: &str,
    ) -> Result<Enqueued, ApiError> {
        if session.minted && !session.queued {
            let transcript = self.transcript(session, message, None).await;
            if self.insert(session, reason, &transcript).await? {
                return Ok(queued());
            }
        }
        let existing = store::find(&self.db, &session.id).await?;
        if let Some(record) = &existing
            && record.status != Status::Closed
        {
            return Ok(Enqueued::Already(record.status));
        }
        let since = existing.as_ref().map(|r| r.updated_at);
        let transcript = self.transcript(session, message, since).await;
        let done = if existing.is_some() {
            store::reopen(&self.db, &session.id, reason, &transcript).await?
        } else {
            self.insert(session, reason, &transcript).await?
        };
        if done {
            Ok(queued())
        } else {
            // Raced by another replica's escalation of the same session.
            Ok(Enqueued::Already(Status::Waiting))
        }
    }

    /// The chat of `session` said after `since` (all of it when `None`), then `message`.
    async fn transcript(
        &self,
        session: &Session,
        message: &str,
        since: Option<chrono::DateTime<Utc>>,
    ) -> Vec<Stored> {
        let mut transcript: Vec<Stored> = self
            .sessions
            .history(&session.id)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|e| since.is_none_or(|since| e.at > since))
            .map(|e| Stored {
                role: match e.role.as_str() {
                    "user" => "customer",
                    "agent" => "agent",
                    _ => "assistant",
                }
                .to_owned(),
                content: e.text,
                agent: e.agent,
                at: e.at,
            })
            .collect();
        transcript.push(Stored {
            role: "customer".to_owned(),
            content: message.to_owned(),
            agent: None,
            at: Utc::now(),
        });
        transcript
    }

    /// A new `WAITING` record for `session` with `transcript`; `false` when one exists.
    async fn insert(
        &self,
        session: &Session,
        reason: &str,
        transcript: &[Stored],
    ) -> Result<bool, ApiError> {
        let now = Utc::now();
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
        store::insert(&self.db, &record, transcript).await
    }
}
