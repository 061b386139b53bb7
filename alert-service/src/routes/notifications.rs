//! The caller's own notifications: `GET /notifications` (newest first, `meta.unread`),
//! `POST /notifications/{id}/read`, `POST /notifications/read-all`, and their mail choices,
//! `GET` and `PATCH /notifications/preferences`. Everyone, admins included, sees only their
//! own: another customer's notification is 404, as if it did not exist.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use serde_json::{Value, json};
use shared::{
    ApiError,
    api::notifications::{Marked, NotificationQuery, PreferencesPatch},
    auth::Caller,
    error::ok,
    extract::{ObjectIdPath, Valid, ValidQuery},
};

use crate::{
    state::AppState,
    store::{notifications, preferences},
};

/// The notification routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list))
        .route("/notifications/read-all", post(read_all))
        .route(
            "/notifications/preferences",
            get(preferences_of).patch(change_preferences),
        )
        .route("/notifications/{id}/read", post(read))
}

/// Newest first; `meta` has `page`, `limit`, `total` (of this filter) and `unread` (all).
#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<NotificationQuery>,
) -> Result<Json<Value>, ApiError> {
    let page = query.paging.page();
    let limit = query.paging.limit();
    let unread = query.unread.as_deref().map(|u| u.trim() == "true");
    let (found, total, unread_count) =
        notifications::page(state.infra.db(), &caller.id, unread, page, limit).await?;
    Ok(Json(json!({
        "success": true,
        "data": found,
        "meta": { "page": page, "limit": limit, "total": total, "unread": unread_count },
    })))
}

/// Reading twice keeps the first time and answers the notification again.
#[tracing::instrument(skip_all, fields(notification.id = %id))]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
) -> Result<Json<Value>, ApiError> {
    let notification = notifications::mark_read(state.infra.db(), id, &caller.id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such notification".to_owned()))?;
    Ok(ok(notification))
}

/// `{marked}`: how many were unread.
#[tracing::instrument(skip_all)]
async fn read_all(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let marked = notifications::mark_all_read(state.infra.db(), &caller.id).await?;
    Ok(ok(Marked { marked }))
}

#[tracing::instrument(skip_all)]
async fn preferences_of(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    Ok(ok(preferences::get(state.infra.db(), &caller.id).await?))
}

#[tracing::instrument(skip_all)]
async fn change_preferences(
    State(state): State<AppState>,
    caller: Caller,
    Valid(patch): Valid<PreferencesPatch>,
) -> Result<Json<Value>, ApiError> {
    Ok(ok(
        preferences::patch(state.infra.db(), &caller.id, &patch).await?
    ))
}
