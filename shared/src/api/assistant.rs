//! Assistant bodies and answers: one chat turn, and the function schemas.

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules;

/// Longest message, in characters.
pub const MAX_MESSAGE: usize = 2000;

/// `POST /assistant/chat`: one message, in a session or starting one.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatRequest {
    /// 1 to 2000 characters (trimmed).
    #[garde(custom(rules::text(1, MAX_MESSAGE)))]
    #[schema(min_length = 1, max_length = 2000)]
    pub message: String,
    /// The session to continue: 8 to 64 letters, digits, `-` or `_`.
    #[garde(inner(custom(rules::session_id)))]
    #[schema(min_length = 8, max_length = 64, pattern = "^[A-Za-z0-9_-]{8,64}$")]
    pub session_id: Option<String>,
}

/// `POST /assistant/chat`: the answer to one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatReply {
    /// The answer.
    pub text: String,
    /// The detected intent (`order_status`, `product_search`, `greeting`, ...).
    pub intent: String,
    /// Valid citations in `text`.
    pub citations: Vec<String>,
    /// Functions called, in order.
    pub functions_called: Vec<String>,
    /// Timing and checks.
    pub metadata: ChatMetadata,
}

/// `metadata` of a chat answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatMetadata {
    /// Milliseconds from message to answer.
    pub processing_time: u64,
    /// `false` when a citation had to be removed.
    pub citations_valid: bool,
    /// The conversation, to send with the next message.
    pub session_id: String,
    /// The classifier's confidence.
    pub confidence: f64,
    /// Whether the LLM phrased the answer.
    pub llm: bool,
    /// Whether the conversation has ended (after a violation).
    pub session_ended: bool,
}

/// `GET /assistant/functions`: one function the assistant can call, in the shape
/// chat-completions APIs take as tools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FunctionSchema {
    /// Its name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Its arguments, as a JSON Schema object.
    #[schema(value_type = Object)]
    pub parameters: serde_json::Value,
}
