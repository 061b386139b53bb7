//! `GET /alerts` (admins: everyone's, filterable; customers: their own) and
//! `POST /alerts/{id}/ack` (admins).

use axum::{
    Json, Router,
    extract::{Query, State, rejection::QueryRejection},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::Value;
use shared::{
    ApiError, Problems,
    auth::Caller,
    error::{ok, page},
    extract::ObjectIdPath,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
    severity: Option<String>,
    acknowledged: Option<String>,
    topic: Option<String>,
    page: Option<u64>,
    limit: Option<u64>,
}

fn parse(query: ListQuery, caller: &Caller) -> Result<(Filter, u64, u64), ApiError> {
    let mut problems = Problems::new();
    let page_no = query.page.unwrap_or(1);
    let limit = query.limit.unwrap_or(20);
    problems.ensure(page_no != 0, "page", "must be at least 1");
    problems.ensure(
        (1..=100).contains(&limit),
        "limit",
        "must be between 1 and 100",
    );
    let severity = query
        .severity
        .as_deref()
        .and_then(|s| problems.check("severity", s.parse::<Severity>()));
    let acknowledged = match query.acknowledged.as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            problems.add("acknowledged", "must be true or false");
            None
        }
    };
    let topics = query.topic.as_deref().and_then(|t| {
        let topics = parse_topics(t.split(','));
        problems.check(
            "topic",
            topics.map_err(|_| "must be orders, stock or support"),
        )
    });
    problems.into_result()?;
    let filter = Filter {
        customer_id: (!caller.is_admin()).then(|| caller.id.clone()),
        topics,
        kind: query.kind.filter(|k| !k.trim().is_empty()),
        severity,
        acknowledged,
    };
    Ok((filter, page_no, limit))
}

/// Newest first.
#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
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
