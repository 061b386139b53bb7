//! `GET /analytics/dead-letters` (what the dead-letter queue holds, oldest first, with the
//! queue and reason each event died of) and `POST /analytics/dead-letters/replay` (back to the
//! queue each died in, once the cause is fixed: all, or by `queue` and `ids`). The consumers
//! record the event ids they applied, so a replay of something already applied changes
//! nothing. Admins only.

use axum::{
    Json, Router,
    extract::{Query, State, rejection::QueryRejection},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::{
    ApiError,
    api::analytics::Replay,
    auth::Admin,
    error::ok,
    events::{BusError, Selection},
    extract::ValidOrDefault,
};
use uuid::Uuid;

use super::bad_query;
use crate::state::AppState;

/// The most dead letters one listing shows.
const MAX_LIMIT: usize = 1000;

/// The dead-letter routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/analytics/dead-letters", get(list))
        .route("/analytics/dead-letters/replay", post(replay))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<usize>,
}

fn unavailable(e: BusError) -> ApiError {
    ApiError::UpstreamUnavailable(format!("the broker: {e}"))
}

#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    _: Admin,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let limit = query.map_err(bad_query)?.0.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::field(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let letters = state
        .infra
        .bus()
        .dead_letters(limit)
        .await
        .map_err(unavailable)?;
    Ok(ok(letters))
}

#[tracing::instrument(skip_all)]
async fn replay(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ValidOrDefault(body): ValidOrDefault<Replay>,
) -> Result<Json<Value>, ApiError> {
    let ids = body
        .ids
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, id)| {
            Uuid::try_parse(&id.0)
                .map_err(|_| ApiError::field(&format!("ids[{i}]"), "must be a UUID"))
        })
        .collect::<Result<_, _>>()?;
    let selection = Selection {
        queue: body.queue,
        ids,
    };
    let replayed = state
        .infra
        .bus()
        .replay_dead_letters(&selection)
        .await
        .map_err(unavailable)?;
    tracing::info!(caller = %caller.id, replayed, "dead letters replayed");
    Ok(ok(json!({ "replayed": replayed })))
}
