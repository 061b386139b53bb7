//! `POST /assistant/chat`: one message, one answer; `GET /assistant/functions`: the function
//! schemas.

use axum::{
    Json, Router,
    extract::State,
    http::request::Parts,
    routing::{get, post},
};
use serde_json::Value;
use shared::{ApiError, api::assistant::ChatRequest, auth::MaybeCaller, error::ok, extract::Valid};

use crate::{engine::Turn, session::SessionId, state::AppState};

/// `POST /assistant/chat`, `GET /assistant/functions`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assistant/chat", post(chat))
        .route("/assistant/functions", get(functions))
}

/// Answers `{message, sessionId?}` with `{text, intent, citations, functionsCalled, metadata}`.
/// Anonymous callers may chat; their conversations get no customer data.
#[tracing::instrument(skip_all)]
async fn chat(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    parts: Parts,
    Valid(body): Valid<ChatRequest>,
) -> Result<Json<Value>, ApiError> {
    let message = crate::routes::parse_message(&body.message)?;
    let session_id = body
        .session_id
        .as_deref()
        .map(SessionId::parse)
        .transpose()?;
    let turn = Turn {
        message,
        session_id,
        bearer: caller.as_ref().and(shared::auth::bearer_token(&parts)),
        caller,
        request_id: shared::telemetry::request_id(&parts.headers),
    };
    let reply = state.engine.handle(turn, None).await?;
    Ok(ok(reply))
}

/// The schemas of every function the assistant can call.
async fn functions(State(state): State<AppState>) -> Json<Value> {
    ok(state.engine.functions.all_schemas())
}
