//! Assistant bodies: one chat turn.

use garde::Validate;
use serde::Deserialize;
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
