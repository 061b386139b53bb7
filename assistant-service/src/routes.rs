//! The HTTP routes of assistant-service (paths as the service sees them; the gateway strips
//! `/api`).

pub mod chat;
pub mod support;
pub mod ws;

use axum::Router;

use crate::state::AppState;

/// Every route of the service.
pub fn router() -> Router<AppState> {
    chat::router().merge(ws::router()).merge(support::router())
}

pub use shared::api::assistant::MAX_MESSAGE;

/// A message checked at the edge (the rule of `shared::api::assistant::ChatRequest`, which the
/// WebSocket's turns follow too): trimmed, not empty, not too long.
pub fn parse_message(raw: &str) -> Result<String, shared::ApiError> {
    shared::api::rules::text(1, MAX_MESSAGE)(raw, &())
        .map_err(|e| shared::ApiError::field("message", e.message()))?;
    Ok(raw.trim().to_owned())
}
