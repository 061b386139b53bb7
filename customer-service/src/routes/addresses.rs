//! `/customers/me/addresses`: the caller's saved addresses, one of them the default. Only the
//! caller's own book is reachable here: another customer's address id answers 404.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{get, patch},
};
use bson::oid::ObjectId;
use serde_json::Value;
use shared::{
    ApiError,
    api::customers::{AddressInput, AddressPatch},
    auth::Caller,
    error::ok,
    extract::{ObjectIdPath, Valid},
};

use crate::{state::AppState, store::addresses};

/// `GET`/`POST /customers/me/addresses`, `PATCH`/`DELETE /customers/me/addresses/{id}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/customers/me/addresses", get(list).post(add))
        .route("/customers/me/addresses/{id}", patch(update).delete(remove))
}

/// The caller's own id as stored.
fn me(caller: &Caller) -> Result<ObjectId, ApiError> {
    ObjectId::parse_str(&caller.id).map_err(|_| ApiError::NotFound("no such customer".to_owned()))
}

/// Every saved address, oldest first.
#[tracing::instrument(skip_all)]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let book = addresses::get(state.infra.db(), me(&caller)?).await?;
    Ok(ok(book.views()))
}

/// Saves a new address: 201 with it; 422 when twenty are saved already.
#[tracing::instrument(skip_all)]
async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Valid(input): Valid<AddressInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = ObjectId::new();
    let (book, ()) =
        addresses::change(state.infra.db(), me(&caller)?, |book| book.add(id, &input)).await?;
    Ok((StatusCode::CREATED, ok(book.view(id)?)))
}

/// Changes one address (or makes it the default): 200 with it.
#[tracing::instrument(skip_all)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    Valid(patch): Valid<AddressPatch>,
) -> Result<Json<Value>, ApiError> {
    let (book, ()) = addresses::change(state.infra.db(), me(&caller)?, |book| {
        book.patch(id, &patch)
    })
    .await?;
    Ok(ok(book.view(id)?))
}

/// Deletes one address: 200 with the addresses left (the oldest is the default when the
/// default went).
#[tracing::instrument(skip_all)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
) -> Result<Json<Value>, ApiError> {
    let (book, ()) =
        addresses::change(state.infra.db(), me(&caller)?, |book| book.remove(id)).await?;
    Ok(ok(book.views()))
}
