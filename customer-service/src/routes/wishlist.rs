//! `/wishlist` (issue 17): the caller's wished products. `GET /wishlist` (newest first, each
//! with the name and price the customer saw when adding it), `PUT /wishlist/{productId}`
//! (idempotent add: 201 when new, 200 when it was there; 404 for a product product-service
//! does not have, 503 while it cannot be asked, 422 beyond
//! [`MAX_WISHLIST_ITEMS`]) and `DELETE /wishlist/{productId}` (the list left, also when the
//! product was not on it). A customer only ever reaches their own list: it is the caller's,
//! from the token.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    routing::{get, put},
};
use bson::oid::ObjectId;
use serde_json::Value;
use shared::{
    ApiError,
    api::wishlist::{MAX_WISHLIST_ITEMS, WishlistAdd},
    auth::Caller,
    client::Call,
    error::ok,
    extract::ValidOrDefault,
};

use crate::{state::AppState, store::wishlist};

/// `/wishlist` and `/wishlist/{productId}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/wishlist", get(list))
        .route("/wishlist/{product_id}", put(add).delete(remove))
}

/// The caller's own id as stored.
fn me(caller: &Caller) -> Result<ObjectId, ApiError> {
    ObjectId::parse_str(&caller.id).map_err(|_| ApiError::NotFound("no such customer".to_owned()))
}

fn product_id(raw: &str) -> Result<ObjectId, ApiError> {
    ObjectId::parse_str(raw)
        .map_err(|_| ApiError::field("productId", "must be a 24-character hex ObjectId"))
}

/// The caller's wishlist, newest first.
#[tracing::instrument(skip_all, fields(customer.id = %caller.id))]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    Ok(ok(wishlist::list(state.infra.db(), me(&caller)?).await?))
}

/// Adds the product (asked of product-service first, so nothing is written for one it does
/// not have); adding it again changes only the note, when one is given.
#[tracing::instrument(skip_all, fields(customer.id = %caller.id, product.id = %raw))]
async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
    ValidOrDefault(body): ValidOrDefault<WishlistAdd>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let product = product_id(&raw)?;
    let customer = me(&caller)?;
    let db = state.infra.db();
    let note = body.note.as_deref().map(str::trim);
    if wishlist::find(db, customer, product).await?.is_some() {
        if let Some(note) = note {
            wishlist::set_note(db, customer, product, note).await?;
        }
        return again(db, customer, product).await;
    }
    let seen = state
        .catalog
        .product(product, &Call::from_headers(&headers))
        .await?
        .ok_or_else(|| ApiError::NotFound("no such product".to_owned()))?;
    if wishlist::count(db, customer).await? >= MAX_WISHLIST_ITEMS as u64 {
        return Err(ApiError::Unprocessable(format!(
            "a wishlist holds at most {MAX_WISHLIST_ITEMS} products; remove one first"
        )));
    }
    // Watched before the entry exists, so no change after this sighting goes untold.
    wishlist::start_watching(db, product, &seen).await?;
    if !wishlist::insert(db, customer, product, &seen, note).await? {
        return again(db, customer, product).await;
    }
    let item = wishlist::find(db, customer, product)
        .await?
        .ok_or_else(|| ApiError::internal("a wishlist entry vanished after its insert"))?;
    Ok((StatusCode::CREATED, ok(item)))
}

/// 200 with the entry that was already there.
async fn again(
    db: &mongodb::Database,
    customer: ObjectId,
    product: ObjectId,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let item = wishlist::find(db, customer, product)
        .await?
        .ok_or_else(|| {
            ApiError::Conflict("the wishlist changed meanwhile; try again".to_owned())
        })?;
    Ok((StatusCode::OK, ok(item)))
}

/// Removes the product (if it was there): 200 with the list left.
#[tracing::instrument(skip_all, fields(customer.id = %caller.id, product.id = %raw))]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let product = product_id(&raw)?;
    let customer = me(&caller)?;
    let db = state.infra.db();
    wishlist::remove(db, customer, product).await?;
    Ok(ok(wishlist::list(db, customer).await?))
}
