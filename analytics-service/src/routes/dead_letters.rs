//! `GET /analytics/dead-letters` (what the dead-letter queue holds, oldest first, with the
//! queue and reason each event died of) and `POST /analytics/dead-letters/replay` (back to the
//! queue each died in, once the cause is fixed: all, or by `queue` and `ids`). The consumers
//! record the event ids they applied, so a replay of something already applied changes
//! nothing. Admins only.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use serde_json::Value;
use shared::{
    ApiError,
    api::{
        analytics::{DeadLetterList, Replay},
        query::number,
        reports::Replayed,
    },
    auth::Admin,
    error::ok,
    events::{BusError, Selection},
    extract::{ValidOrDefault, ValidQuery},
};
use uuid::Uuid;

use crate::state::AppState;

/// The most dead letters one listing shows.
const MAX_LIMIT: usize = 1000;

/// The dead-letter routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/analytics/dead-letters", get(list))
        .route("/analytics/dead-letters/replay", post(replay))
}

fn unavailable(e: BusError) -> ApiError {
    ApiError::UpstreamUnavailable(format!("the broker: {e}"))
}

#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    _: Admin,
    ValidQuery(query): ValidQuery<DeadLetterList>,
) -> Result<Json<Value>, ApiError> {
    let limit = usize::try_from(number(query.limit.as_ref(), 100)).unwrap_or(MAX_LIMIT);
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
    Ok(ok(Replayed {
        replayed: u64::try_from(replayed).unwrap_or(u64::MAX),
    }))
}
