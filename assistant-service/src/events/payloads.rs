//! Payloads of the events the assistant publishes.

use serde::{Deserialize, Serialize};

/// `assistant.replied`: one answered message, for analytics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Replied {
    /// The conversation.
    pub session_id: String,
    /// The signed-in customer, if any.
    pub customer_id: Option<String>,
    /// The detected intent.
    pub intent: String,
    /// The classifier's confidence.
    pub confidence: f64,
    /// The functions called, in order.
    pub functions: Vec<String>,
    /// Milliseconds from message to answer.
    pub latency_ms: u64,
    /// Citations in the answer.
    pub citations: Vec<String>,
    /// Whether no citation had to be removed.
    pub citations_valid: bool,
    /// Whether the text came from the LLM (after its checks).
    pub llm: bool,
}

/// `support.escalated`: a complaint handed to a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Escalated {
    /// The escalation's id.
    pub escalation_id: String,
    /// The conversation.
    pub session_id: String,
    /// The signed-in customer, if any.
    pub customer_id: Option<String>,
    /// The customer's name, when known.
    pub customer_name: Option<String>,
    /// The order the complaint is about, when known.
    pub order_id: Option<String>,
    /// The customer's message.
    pub message: String,
    /// `high` for a complaint.
    pub severity: String,
    /// When (RFC 3339).
    pub at: String,
}

/// `assistant.wrongdoing`: a refused request for other customers' personal data or for
/// breaking into or damaging the shop's systems; alert-service makes a `security` alert of it
/// for the admins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wrongdoing {
    /// The incident's id.
    pub incident_id: String,
    /// The conversation (ended by the refusal).
    pub session_id: String,
    /// The signed-in customer, if any.
    pub customer_id: Option<String>,
    /// The customer's name, when known.
    pub customer_name: Option<String>,
    /// `data` or `intrusion`.
    pub kind: String,
    /// What was asked, cut at 500 characters.
    pub message: String,
    /// When (RFC 3339).
    pub at: String,
}
