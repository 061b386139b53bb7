//! The HTTP routes of assistant-service (paths as the service sees them; the gateway strips
//! `/api`).

pub mod chat;
pub mod ws;

use axum::Router;

use crate::state::AppState;

/// Every route of the service.
pub fn router() -> Router<AppState> {
    chat::router().merge(ws::router())
}

/// The longest message accepted, in characters.
pub const MAX_MESSAGE: usize = 2000;

/// A message checked at the edge: trimmed, not empty, not too long.
pub fn parse_message(raw: &str) -> Result<String, shared::ApiError> {
    let message = raw.trim();
    if message.is_empty() {
        return Err(shared::ApiError::field("message", "must not be empty"));
    }
    if message.chars().count() > MAX_MESSAGE {
        return Err(shared::ApiError::field(
            "message",
            format!("must be at most {MAX_MESSAGE} characters"),
        ));
    }
    Ok(message.to_owned())
}
