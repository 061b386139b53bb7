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
    ApiError,
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
    let mut problems = serde_json::Map::new();
    let mut problem = |field: &str, message: String| {
        problems.insert(field.to_owned(), Value::String(message));
    };
    let page_no = query.page.unwrap_or(1);
    let limit = query.limit.unwrap_or(20);
    if page_no == 0 {
        problem("page", "must be at least 1".to_owned());
    }
    if !(1..=100).contains(&limit) {
        problem("limit", "must be between 1 and 100".to_owned());
    }
    let severity = match query.severity.as_deref().map(str::parse::<Severity>) {
        Some(Err(e)) => {
            problem("severity", e);
            None
        }
        Some(Ok(s)) => Some(s),
        None => None,
    };
    let acknowledged = match query.acknowledged.as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            problem("acknowledged", "must be true or false".to_owned());
            None
        }
    };
    let topics = match query.topic.as_deref().map(|t| parse_topics(t.split(','))) {
        Some(Err(_)) => {
            problem("topic", "must be orders, stock or support".to_owned());
            None
        }
        Some(Ok(t)) => Some(t),
        None => None,
    };
    if !problems.is_empty() {
        let message = problems
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ApiError::Validation {
            message,
            details: Value::Object(problems),
        });
    }
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
