//! `GET /orders/{id}` and `GET /orders`: an order for its owner or an admin (404 for anyone
//! else, as if it did not exist); lists newest first, a customer's own only.

use axum::{
    Json, Router,
    extract::{Query, State, rejection::QueryRejection},
    routing::get,
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
    domain::{Order, Problems, Status},
    state::AppState,
    store::orders,
};

/// `GET /orders`, `POST /orders`, `GET /orders/{id}`, `POST /orders/{id}/cancel`,
/// `PATCH /orders/{id}/status`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders", get(list).post(super::create::create))
        .route("/orders/{id}", get(one))
        .route(
            "/orders/{id}/cancel",
            axum::routing::post(super::status::cancel),
        )
        .route(
            "/orders/{id}/status",
            axum::routing::patch(super::status::set),
        )
}

/// 404 for an order that does not exist or that the caller may not see.
pub fn not_found() -> ApiError {
    ApiError::NotFound("no such order".to_owned())
}

/// The order `id` if the caller may see it.
pub async fn visible(
    state: &AppState,
    caller: &Caller,
    id: bson::oid::ObjectId,
) -> Result<Order, ApiError> {
    orders::by_id(state.infra.db(), id)
        .await?
        .filter(|o| caller.may_see(&o.customer_id))
        .ok_or_else(not_found)
}

#[tracing::instrument(skip_all, fields(order.id = %id))]
async fn one(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
) -> Result<Json<Value>, ApiError> {
    Ok(ok(visible(&state, &caller, id).await?.view()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ListQuery {
    customer_id: Option<String>,
    status: Option<String>,
    page: Option<u64>,
    limit: Option<u64>,
}

/// Customers: their own orders (asking for another customer's is 403). Admins: one
/// customer's, or everyone's without `customerId`.
#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
    let mut problems = Problems::default();
    let page_no = query.page.unwrap_or(1);
    let limit = query.limit.unwrap_or(20);
    if page_no == 0 {
        problems.add("page", "must be at least 1");
    }
    if !(1..=100).contains(&limit) {
        problems.add("limit", "must be between 1 and 100");
    }
    let status = match query.status.as_deref().map(str::parse::<Status>) {
        Some(Err(problem)) => {
            problems.add("status", problem);
            None
        }
        Some(Ok(s)) => Some(s),
        None => None,
    };
    if let Some(id) = &query.customer_id
        && bson::oid::ObjectId::parse_str(id).is_err()
    {
        problems.add("customerId", "must be a 24-character hex ObjectId");
    }
    problems.into_result()?;
    let customer = match (query.customer_id, caller.is_admin()) {
        (Some(id), _) if caller.may_see(&id) => Some(id),
        (Some(_), _) => {
            return Err(ApiError::Forbidden(
                "customers see only their own orders".to_owned(),
            ));
        }
        (None, true) => None,
        (None, false) => Some(caller.id.clone()),
    };
    let (found, total) = orders::page(
        state.infra.db(),
        customer.as_deref(),
        status,
        page_no,
        limit,
    )
    .await?;
    Ok(page(
        found.iter().map(Order::view).collect(),
        page_no,
        limit,
        total,
    ))
}
