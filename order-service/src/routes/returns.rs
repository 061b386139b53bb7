//! Returns (issue 17): `POST /orders/{id}/returns` by the order's customer; `GET /returns`
//! (own; admins: all, by status) and `GET /returns/{id}` (404 for anyone else, as if it did
//! not exist); admins' `POST /returns/{id}/approve|reject|receive` (403 for a customer, 409
//! when the return's status does not allow it).

use axum::{
    Json, Router,
    extract::State,
    http::HeaderMap,
    response::Response,
    routing::{get, post},
};
use serde_json::{Value, json};
use shared::{
    ApiError,
    api::returns::{ReturnNote, ReturnQuery, ReturnRequest},
    auth::Caller,
    error::{ok, page},
    extract::{ObjectIdPath, Valid, ValidOrDefault, ValidQuery},
};

use super::orders::visible;
use crate::{
    domain::returns::{Action, Return, ReturnStatus},
    returns::{self, Changed},
    state::AppState,
    store::returns as store,
};

/// The return routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders/{id}/returns", post(create))
        .route("/returns", get(list))
        .route("/returns/{id}", get(one))
        .route("/returns/{id}/approve", post(approve))
        .route("/returns/{id}/reject", post(reject))
        .route("/returns/{id}/receive", post(receive))
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such return".to_owned())
}

#[tracing::instrument(skip_all, fields(order.id = %id))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
    Valid(body): Valid<ReturnRequest>,
) -> Result<Response, ApiError> {
    // Only the unique `{orderId, seq}` index keeps racing requests from returning too much.
    state.indexes.require()?;
    let order = visible(&state, &caller, id).await?;
    if order.customer_id != caller.id {
        return Err(ApiError::Forbidden(
            "only the order's customer may return it".to_owned(),
        ));
    }
    let correlation_id = shared::telemetry::request_id(&headers);
    let ret = returns::request(&state.orders, &order, &body, &correlation_id).await?;
    let mut response = super::once::created(json!({ "success": true, "data": ret.view() }));
    // `created` points at the order; a return lives under `/returns`.
    if let Ok(location) = format!("/returns/{}", ret.id.to_hex()).parse() {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, location);
    }
    Ok(response)
}

#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<ReturnQuery>,
) -> Result<Json<Value>, ApiError> {
    let page_no = query.paging.page();
    let limit = query.paging.limit();
    let status = query
        .status
        .as_deref()
        .map(|s| ReturnStatus::parse(s).ok_or_else(|| ApiError::field("status", "unknown status")))
        .transpose()?;
    let customer = (!caller.is_admin()).then_some(caller.id.as_str());
    let (found, total) = store::page(state.infra.db(), customer, status, page_no, limit).await?;
    Ok(page(
        found.iter().map(Return::view).collect(),
        page_no,
        limit,
        total,
    ))
}

#[tracing::instrument(skip_all, fields(return.id = %id))]
async fn one(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
) -> Result<Json<Value>, ApiError> {
    let ret = store::by_id(state.infra.db(), id)
        .await?
        .filter(|r| caller.may_see(&r.customer_id))
        .ok_or_else(not_found)?;
    Ok(ok(ret.view()))
}

async fn act(
    state: &AppState,
    caller: &Caller,
    id: bson::oid::ObjectId,
    action: Action,
    note: ReturnNote,
    headers: &HeaderMap,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let note = note
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let correlation_id = shared::telemetry::request_id(headers);
    match returns::change(&state.orders, id, action, note, None, &correlation_id).await? {
        Changed::Applied(after) => Ok(ok(after.view())),
        Changed::Illegal(current) => Err(ApiError::Conflict(format!(
            "a {} return cannot become {}",
            current.status.as_str(),
            action.target().as_str()
        ))),
        Changed::NotFound => Err(not_found()),
    }
}

#[tracing::instrument(skip_all, fields(return.id = %id))]
async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
    ValidOrDefault(note): ValidOrDefault<ReturnNote>,
) -> Result<Json<Value>, ApiError> {
    act(&state, &caller, id, Action::Approve, note, &headers).await
}

#[tracing::instrument(skip_all, fields(return.id = %id))]
async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
    ValidOrDefault(note): ValidOrDefault<ReturnNote>,
) -> Result<Json<Value>, ApiError> {
    act(&state, &caller, id, Action::Reject, note, &headers).await
}

#[tracing::instrument(skip_all, fields(return.id = %id))]
async fn receive(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
    ValidOrDefault(note): ValidOrDefault<ReturnNote>,
) -> Result<Json<Value>, ApiError> {
    act(&state, &caller, id, Action::Receive, note, &headers).await
}
