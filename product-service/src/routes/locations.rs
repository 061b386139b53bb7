//! Stock per location (issue 19): `GET /locations` (anyone), `POST /locations`,
//! `PATCH /locations/{id}` and `DELETE /locations/{id}` (admin), the warehouses and stores; `GET /products/{id}/inventory` (anyone), where a product's units are,
//! and `PUT /products/{id}/inventory` (admin), spreading them.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    routing::{get, patch},
};
use serde_json::Value;
use shared::{
    ApiError,
    api::{
        inventory::{InventoryInput, LocationInput, LocationPatch},
        products::Deleted,
    },
    auth::Admin,
    error::ok,
    extract::{ObjectIdPath, Valid},
    telemetry::request_id,
};

use crate::{domain::location::Location, state::AppState, store::locations::Locations};

/// A new location's priority when the body leaves it out.
const DEFAULT_PRIORITY: i32 = 100;

/// `/locations` and `/products/{id}/inventory`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/locations", get(list).post(create))
        .route("/locations/{id}", patch(change).delete(remove))
        .route("/products/{id}/inventory", get(show).put(replace))
}

fn locations(state: &AppState) -> Locations {
    Locations::new(state.infra.db())
}

fn no_product() -> ApiError {
    ApiError::NotFound("no such product".to_owned())
}

/// `GET /locations`: every location, in the order reservations take from them.
#[tracing::instrument(skip_all)]
async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let all = locations(&state).in_taking_order().await?;
    Ok(ok(all.iter().map(Location::view).collect::<Vec<_>>()))
}

/// `POST /locations` (admin): 201 with the location; 409 when its id is taken.
#[tracing::instrument(skip_all)]
async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    Valid(body): Valid<LocationInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let location = Location {
        id: body.id,
        name: body.name.trim().to_owned(),
        kind: body.kind,
        priority: body.priority.unwrap_or(DEFAULT_PRIORITY),
    };
    locations(&state).create(&location).await?;
    Ok((StatusCode::CREATED, ok(location.view())))
}

fn no_location() -> ApiError {
    ApiError::NotFound("no such location".to_owned())
}

/// `PATCH /locations/{id}` (admin): renames it, makes it a warehouse or a store, or moves it in
/// the taking order (the next reservation goes by the new order).
#[tracing::instrument(skip_all, fields(location.id = %id))]
async fn change(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<String>,
    Valid(body): Valid<LocationPatch>,
) -> Result<Json<Value>, ApiError> {
    let location = locations(&state)
        .update(&id, &body)
        .await?
        .ok_or_else(no_location)?;
    state.written().await;
    Ok(ok(location.view()))
}

/// `DELETE /locations/{id}` (admin): 409 for the main warehouse, and while a product keeps units
/// there or an order holds units taken from there.
#[tracing::instrument(skip_all, fields(location.id = %id))]
async fn remove(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if !locations(&state).remove(&id).await? {
        return Err(no_location());
    }
    state.written().await;
    Ok(ok(Deleted { id, deleted: true }))
}

/// `GET /products/{id}/inventory`: the product's units in every location.
#[tracing::instrument(skip_all, fields(product.id = %id))]
async fn show(
    State(state): State<AppState>,
    ObjectIdPath(id): ObjectIdPath,
) -> Result<Json<Value>, ApiError> {
    let all = locations(&state).in_taking_order().await?;
    let inventory = state
        .products
        .inventory(id, &all)
        .await?
        .ok_or_else(no_product)?;
    Ok(ok(inventory))
}

/// `PUT /products/{id}/inventory` (admin) `{locations: [{id, stock}]}`: the product's units
/// per location from now on (a location left out holds none); its stock is their sum. 422 for
/// a location that does not exist.
#[tracing::instrument(skip_all, fields(product.id = %id))]
async fn replace(
    State(state): State<AppState>,
    Admin(_): Admin,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
    Valid(body): Valid<InventoryInput>,
) -> Result<Json<Value>, ApiError> {
    let all = locations(&state).in_taking_order().await?;
    let wanted: Vec<(String, i64)> = body
        .locations
        .into_iter()
        .map(|l| (l.id, l.stock))
        .collect();
    let result = state
        .products
        .set_inventory(id, &wanted, &all, &request_id(&headers))
        .await;
    if matches!(result, Ok(Some(_))) {
        state.written().await;
    }
    Ok(ok(result?.ok_or_else(no_product)?))
}
