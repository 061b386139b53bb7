//! `/products/{id}/reviews`: the public list of a product's visible reviews, a customer's own
//! review (written once, `PUT .../mine` edits it), and an admin's hiding of a review. Every
//! write changes the product's rating, so the catalog cache is invalidated before answering.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    routing::{get, patch, put},
};
use bson::oid::ObjectId;
use serde_json::Value;
use shared::{
    ApiError,
    api::reviews::{ReviewInput, ReviewQuery, ReviewVisibility},
    auth::{Admin, Caller},
    error::{ok, page},
    extract::{ObjectIdPath, Valid, ValidQuery},
    telemetry::request_id,
};

use crate::{domain::review::ReviewDraft, state::AppState, store::reviews::ReviewSort};

/// `GET/POST /products/{id}/reviews`, `PUT /products/{id}/reviews/mine`,
/// `PATCH /products/{id}/reviews/{reviewId}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/products/{id}/reviews", get(list).post(create))
        .route("/products/{id}/reviews/mine", put(edit))
        .route("/products/{id}/reviews/{review_id}", patch(moderate))
}

/// Invalidates the cache and wakes the relay after a write, and after a failure that may have
/// left one half done (a 5xx: see `store::reviews`). Refusals (403, 404, 409) wrote nothing, so
/// they leave the cache alone: a stream of them cannot keep emptying it.
async fn written<T>(state: &AppState, result: &Result<T, ApiError>) {
    if result
        .as_ref()
        .map_or_else(|e| e.status().is_server_error(), |_| true)
    {
        state.written().await;
    }
}

/// `GET /products/{id}/reviews`: visible reviews only; 404 for a missing or deleted product.
#[tracing::instrument(skip_all, fields(product.id = %id))]
async fn list(
    State(state): State<AppState>,
    ObjectIdPath(id): ObjectIdPath,
    ValidQuery(query): ValidQuery<ReviewQuery>,
) -> Result<Json<Value>, ApiError> {
    let sort = match query.sort.as_deref().map(str::trim) {
        Some("rating") => ReviewSort::Rating,
        _ => ReviewSort::Recent,
    };
    let page_number = query.paging.page();
    let limit = query.paging.limit();
    let (reviews, total) = state.reviews.list(id, sort, page_number, limit).await?;
    let data: Vec<_> = reviews.iter().map(|r| r.view()).collect();
    Ok(page(data, page_number, limit, total))
}

/// `POST /products/{id}/reviews`: 201 with the review; 403 unless the caller received the
/// product, 409 when they already reviewed it.
#[tracing::instrument(skip_all, fields(product.id = %id))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
    Valid(body): Valid<ReviewInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let draft = ReviewDraft::from_input(body)?;
    let result = state
        .reviews
        .create(id, &caller.id, draft, &request_id(&headers))
        .await;
    written(&state, &result).await;
    Ok((StatusCode::CREATED, ok(result?.view())))
}

/// `PUT /products/{id}/reviews/mine`: replaces the caller's review; 404 when they have none.
#[tracing::instrument(skip_all, fields(product.id = %id))]
async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    Valid(body): Valid<ReviewInput>,
) -> Result<Json<Value>, ApiError> {
    let draft = ReviewDraft::from_input(body)?;
    let result = state.reviews.edit(id, &caller.id, draft).await;
    written(&state, &result).await;
    Ok(ok(result?.view()))
}

/// `PATCH /products/{id}/reviews/{reviewId}` (admin) `{hidden}`: a hidden review leaves the
/// list and the product's rating; showing it brings both back.
#[tracing::instrument(skip_all, fields(product.id = %id))]
async fn moderate(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path((id, review_id)): Path<(String, String)>,
    Valid(body): Valid<ReviewVisibility>,
) -> Result<Json<Value>, ApiError> {
    let parse = |raw: &str, field: &str| {
        ObjectId::parse_str(raw)
            .map_err(|_| ApiError::field(field, "must be a 24-character hex ObjectId"))
    };
    let (id, review_id) = (parse(&id, "id")?, parse(&review_id, "reviewId")?);
    let result = state.reviews.set_hidden(id, review_id, body.hidden).await;
    written(&state, &result).await;
    Ok(ok(result?.view()))
}
