//! Human support (DESIGN.md, "After-sales"): the conversations an admin takes over from the
//! assistant. `GET /support/queue` pages [`QueueEntry`]s; `GET /support/conversations/{sessionId}`
//! answers one [`Conversation`] with its whole transcript. Both are admin-only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Escalated; no person has joined yet.
    Waiting,
    /// A person holds it: the assistant stays quiet.
    Active,
    /// Handed back to the assistant.
    Closed,
}

impl Status {
    /// `WAITING`, `ACTIVE` or `CLOSED`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "WAITING",
            Self::Active => "ACTIVE",
            Self::Closed => "CLOSED",
        }
    }
}

/// One message of a support transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Message {
    /// `customer`, `assistant` or `agent`.
    pub role: String,
    /// What was said.
    pub content: String,
    /// The person's name, on an agent's message.
    pub agent: Option<String>,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
}

/// A conversation in the support queue, without its transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueEntry {
    /// The chat session.
    pub session_id: String,
    /// The customer's id; `null` for an anonymous chat.
    pub customer_id: Option<String>,
    /// The customer's name, when known.
    pub customer_name: Option<String>,
    /// Where it stands.
    pub status: Status,
    /// Why it was escalated (`complaint`, `asked for a person`).
    pub reason: String,
    /// The admin holding it, while `ACTIVE` (and the last one after).
    pub agent_id: Option<String>,
    /// Their name.
    pub agent_name: Option<String>,
    /// When it entered the queue (the order of the queue).
    #[schema(value_type = String, format = DateTime)]
    pub queued_at: DateTime<Utc>,
    /// Its last change.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTime<Utc>,
    /// The last message, for a preview.
    pub last_message: Option<Message>,
}

/// A conversation with its whole transcript, oldest message first: the fields of
/// [`QueueEntry`] and `messages` (written out, since an unknown field is refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Conversation {
    /// The chat session.
    pub session_id: String,
    /// The customer's id; `null` for an anonymous chat.
    pub customer_id: Option<String>,
    /// The customer's name, when known.
    pub customer_name: Option<String>,
    /// Where it stands.
    pub status: Status,
    /// Why it was escalated.
    pub reason: String,
    /// The admin holding it, while `ACTIVE` (and the last one after).
    pub agent_id: Option<String>,
    /// Their name.
    pub agent_name: Option<String>,
    /// When it entered the queue.
    #[schema(value_type = String, format = DateTime)]
    pub queued_at: DateTime<Utc>,
    /// Its last change.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTime<Utc>,
    /// The last message.
    pub last_message: Option<Message>,
    /// The transcript: the chat before the escalation, then the customer and the agent.
    pub messages: Vec<Message>,
}

impl Conversation {
    /// `entry` with its transcript.
    pub fn new(entry: QueueEntry, messages: Vec<Message>) -> Self {
        Self {
            session_id: entry.session_id,
            customer_id: entry.customer_id,
            customer_name: entry.customer_name,
            status: entry.status,
            reason: entry.reason,
            agent_id: entry.agent_id,
            agent_name: entry.agent_name,
            queued_at: entry.queued_at,
            updated_at: entry.updated_at,
            last_message: entry.last_message,
            messages,
        }
    }
}
