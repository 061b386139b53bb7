//! The caller's cart (issue 15): `GET /cart`, `PUT /cart/items/{productId}` (sets the
//! quantity; 0 removes), `DELETE /cart/items/{productId}`, `DELETE /cart`. Each answers the
//! cart as it is now, priced from product-service at read time ([`crate::domain::cart`]). A
//! customer only ever reaches their own cart: it is the caller's, from the token.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::HeaderMap,
    routing::{get, put},
};
use bson::oid::ObjectId;
use serde_json::Value;
use shared::{
    ApiError,
    api::cart::{CartQuantity, MAX_LINES},
    auth::Caller,
    error::ok,
    extract::Valid,
};

use crate::{
    state::AppState,
    store::carts::{self, SetError},
};

/// `/cart` and `/cart/items/{productId}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cart", get(show).delete(clear))
        .route("/cart/items/{product_id}", put(set).delete(remove))
}

fn product_id(raw: &str) -> Result<ObjectId, ApiError> {
    ObjectId::parse_str(raw)
        .map_err(|_| ApiError::field("productId", "must be a 24-character hex ObjectId"))
}

/// The caller's cart, priced now.
pub(crate) async fn view(
    state: &AppState,
    customer: &str,
    headers: &HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let stored = carts::get(state.infra.db(), customer).await?;
    let lines = stored.lines();
    let ids: Vec<ObjectId> = lines.iter().map(|(id, _)| *id).collect();
    let call = shared::client::Call::from_headers(headers);
    let (products, tier) = tokio::join!(
        state.upstream.products(&ids, &call),
        crate::discounts::tier(state, customer, headers)
    );
    let (products, tier) = (products?, tier?);
    let priced: Vec<_> = lines
        .into_iter()
        .zip(products)
        .map(|((id, line), product)| (id, line, product))
        .collect();
    // The tier and the coupon (checked, counted only at checkout); points are not in yet.
    let coupon = stored.coupon.as_deref();
    let view = crate::discounts::cart_view(state, customer, &tier, coupon, &priced).await?;
    Ok(ok(view))
}

#[tracing::instrument(skip_all, fields(customer.id = %caller.id))]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    view(&state, &caller.id, &headers).await
}

#[tracing::instrument(skip_all, fields(customer.id = %caller.id, product.id = %raw))]
async fn set(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
    Valid(body): Valid<CartQuantity>,
) -> Result<Json<Value>, ApiError> {
    let product = product_id(&raw)?;
    let db = state.infra.db();
    if body.quantity == 0 {
        carts::remove(db, &caller.id, product).await?;
        return view(&state, &caller.id, &headers).await;
    }
    let Some(found) = state
        .upstream
        .product(product, &shared::client::Call::from_headers(&headers))
        .await?
    else {
        return Err(ApiError::NotFound("no such product".to_owned()));
    };
    if let Some(why) = found.variant_required() {
        return Err(ApiError::Unprocessable(why));
    }
    match carts::set(db, &caller.id, product, &found.name, body.quantity).await {
        Ok(()) => view(&state, &caller.id, &headers).await,
        Err(SetError::Full) => Err(ApiError::Unprocessable(format!(
            "the cart holds at most {MAX_LINES} products"
        ))),
        Err(SetError::Api(e)) => Err(e),
    }
}

#[tracing::instrument(skip_all, fields(customer.id = %caller.id, product.id = %raw))]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let product = product_id(&raw)?;
    carts::remove(state.infra.db(), &caller.id, product).await?;
    view(&state, &caller.id, &headers).await
}

#[tracing::instrument(skip_all, fields(customer.id = %caller.id))]
async fn clear(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    carts::clear(state.infra.db(), &caller.id).await?;
    view(&state, &caller.id, &headers).await
}
