//! `/products/{id}/variants`: the colours and sizes a product is sold in (see
//! [`crate::domain::variant`]). Anyone lists them; an admin adds, changes and removes them.
//! Each answers the variant as a product (its own id, stock and price, and `variant`).

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
    api::products::{Deleted, VariantInput},
    auth::Admin,
    error::ok,
    extract::{ObjectIdPath, Valid},
    telemetry::request_id,
};

use crate::{
    domain::{product::Product, variant},
    state::AppState,
};

/// `GET/POST /products/{id}/variants`, `PUT/DELETE /products/{id}/variants/{variantId}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/products/{id}/variants", get(list).post(create))
        .route(
            "/products/{id}/variants/{variant_id}",
            put(update).delete(remove),
        )
}

fn no_product() -> ApiError {
    ApiError::NotFound("no such product".to_owned())
}

fn object_id(raw: &str, field: &str) -> Result<ObjectId, ApiError> {
    ObjectId::parse_str(raw)
        .map_err(|_| ApiError::field(field, "must be a 24-character hex ObjectId"))
}

/// The live product `id` (not a variant), with its variants.
async fn parent(state: &AppState, id: ObjectId) -> Result<Product, ApiError> {
    let product = state.products.find(id).await?.ok_or_else(no_product)?;
    if product.variant.is_some() {
        return Err(ApiError::NotFound(
            "this is a variant; its product has the variants".to_owned(),
        ));
    }
    Ok(product)
}

/// The product `raw.0` and its live variant `raw.1`.
async fn both(state: &AppState, raw: &(String, String)) -> Result<(Product, Product), ApiError> {
    let parent = parent(state, object_id(&raw.0, "id")?).await?;
    let id = object_id(&raw.1, "variantId")?;
    let variant = parent
        .variants
        .iter()
        .find(|v| v.id == id)
        .cloned()
        .ok_or_else(|| ApiError::NotFound("the product has no such variant".to_owned()))?;
    Ok((parent, variant))
}

/// `GET /products/{id}/variants`: the product's variants, oldest first.
#[tracing::instrument(skip_all, fields(product.id = %id))]
async fn list(
    State(state): State<AppState>,
    ObjectIdPath(id): ObjectIdPath,
) -> Result<Json<Value>, ApiError> {
    let product = parent(&state, id).await?;
    Ok(ok(variant::listed(&product.variants).0))
}

/// `POST /products/{id}/variants` (admin): 201 with the variant; 409 for a SKU or options
/// another variant of the product has.
#[tracing::instrument(skip_all, fields(product.id = %id))]
async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
    Valid(body): Valid<VariantInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let product = parent(&state, id).await?;
    let (fields, made) = variant::draft(&body, &product)?;
    let created = state
        .products
        .create_variant(&product, fields, made, &request_id(&headers))
        .await?;
    state.written().await;
    Ok((StatusCode::CREATED, ok(created.view())))
}

/// `PUT /products/{id}/variants/{variantId}` (admin): sets the variant's SKU, options, stock
/// and price.
#[tracing::instrument(skip_all)]
async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(raw): Path<(String, String)>,
    headers: HeaderMap,
    Valid(body): Valid<VariantInput>,
) -> Result<Json<Value>, ApiError> {
    let (product, current) = both(&state, &raw).await?;
    let (fields, made) = variant::draft(&body, &product)?;
    let updated = state
        .products
        .update_variant(product.id, &current, fields, made, &request_id(&headers))
        .await?
        .ok_or_else(|| ApiError::NotFound("the product has no such variant".to_owned()))?;
    state.written().await;
    Ok(ok(updated.view()))
}

/// `DELETE /products/{id}/variants/{variantId}` (admin): the variant is no longer sold (orders
/// that hold it keep it); the product is sold itself again once it has no variant left.
#[tracing::instrument(skip_all)]
async fn remove(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(raw): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let (product, current) = both(&state, &raw).await?;
    state
        .products
        .delete_variant(product.id, &current, &request_id(&headers))
        .await?;
    state.written().await;
    Ok(ok(Deleted {
        id: current.id.to_hex(),
        deleted: true,
    }))
}
