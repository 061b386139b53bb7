//! `GET /alerts` (admins: everyone's, filterable; customers: their own) and
//! `POST /alerts/{id}/ack` (admins).

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use serde_json::Value;
use shared::{
    ApiError,
    api::alerts::AlertQuery,
    auth::Caller,
    error::{ok, page},
    extract::{ObjectIdPath, ValidQuery},
};

use crate::{
    domain::Severity,
    live::ws::parse_topics,
    state::AppState,
    store::alerts::{self, Filter},
};

/// `GET /alerts`, `POST /alerts/{id}/ack`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(list))
        .route("/alerts/{id}/ack", post(acknowledge))
}

/// The filter and page of a checked query (`shared::api::alerts::AlertQuery`, the gateway's
/// check too); a customer's filter is always its own alerts.
fn parse(query: AlertQuery, caller: &Caller) -> Result<(Filter, u64, u64), ApiError> {
    let severity = query
        .severity
        .as_deref()
        .map(str::parse::<Severity>)
        .transpose()
        .map_err(|problem| ApiError::field("severity", problem))?;
    let topics = query
        .topic
        .as_deref()
        .map(|t| parse_topics(t.split(',')))
        .transpose()
        .map_err(|_| {
            ApiError::field(
                "topic",
                "must be orders, stock, support, security, ops or loyalty",
            )
        })?;
    let filter = Filter {
        customer_id: (!caller.is_admin()).then(|| caller.id.clone()),
        topics,
        acknowledged: query.acknowledged.as_deref().map(|a| a.trim() == "true"),
        kind: query.filter.kind.filter(|k| !k.trim().is_empty()),
        severity,
    };
    Ok((filter, query.paging.page(), query.paging.limit()))
}

/// Newest first.
#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<AlertQuery>,
) -> Result<Json<Value>, ApiError> {
    let (filter, page_no, limit) = parse(query, &caller)?;
    let (found, total) = alerts::page(state.infra.db(), &filter, page_no, limit).await?;
    Ok(page(found, page_no, limit, total))
}

/// Acknowledging twice keeps the first acknowledgement and answers the alert again.
#[tracing::instrument(skip_all, fields(alert.id = %id))]
async fn acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let alert = alerts::acknowledge(state.infra.db(), id, &caller.id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such alert".to_owned()))?;
    Ok(ok(alert))
}
