//! `GET /orders/{id}` and `GET /orders`: an order for its owner or an admin (404 for anyone
//! else, as if it did not exist), with its returns and their steps; lists newest first, a
//! customer's own only.

use axum::{Json, Router, extract::State, routing::get};
use serde_json::Value;
use shared::{
    ApiError,
    api::orders::OrderQuery,
    auth::Caller,
    error::{ok, page},
    extract::{ObjectIdPath, ValidQuery},
};

use crate::{
    domain::{Order, Status},
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
    let order = visible(&state, &caller, id).await?;
    // The order's returns, each with its steps, so the order's page shows the whole story.
    let returns = crate::store::returns::of_order(state.infra.db(), &id.to_hex()).await?;
    let mut view = serde_json::to_value(order.view()).map_err(ApiError::internal)?;
    if !returns.is_empty() {
        let steps: Vec<_> = returns
            .iter()
            .map(crate::domain::returns::Return::view)
            .collect();
        view["returns"] = serde_json::to_value(steps).map_err(ApiError::internal)?;
    }
    Ok(ok(view))
}

/// Customers: their own orders (asking for another customer's is 403). Admins: one
/// customer's, or everyone's without `customerId`.
#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<OrderQuery>,
) -> Result<Json<Value>, ApiError> {
    let page_no = query.paging.page();
    let limit = query.paging.limit();
    let status = query
        .status
        .as_deref()
        .map(str::parse::<Status>)
        .transpose()
        .map_err(|problem| ApiError::field("status", problem))?;
    let customer = match (query.filter.customer_id, caller.is_admin()) {
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
