//! `/customers/me/payment-methods`: the caller's saved cards, one of them the default; and the
//! internal read order-service makes of one card with its token
//! ([`shared::payment::saved_method_path`]), which lives outside `/api`'s areas so the
//! gateway never forwards it.
//!
//! A new card is tokenised by the payment provider before anything is written; its number and
//! cvc go no further than that call (the handlers' spans skip every argument).

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, patch},
};
use bson::oid::ObjectId;
use serde_json::Value;
use shared::{
    ApiError,
    api::payments::{NewPaymentMethod, PaymentMethodPatch},
    auth::Caller,
    error::ok,
    extract::{ObjectIdPath, Valid},
    payment::{Card, ProviderError},
};

use crate::{domain::payment_methods::SavedCard, state::AppState, store::payment_methods};

/// The caller's cards, and the internal read of one.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/customers/me/payment-methods", get(list).post(add))
        .route(
            "/customers/me/payment-methods/{id}",
            patch(update).delete(remove),
        )
        .route(
            "/internal/customers/{customer}/payment-methods/{method}",
            get(internal),
        )
}

/// The caller's own id as stored.
fn me(caller: &Caller) -> Result<ObjectId, ApiError> {
    ObjectId::parse_str(&caller.id).map_err(|_| ApiError::NotFound("no such customer".to_owned()))
}

/// A provider's refusal as this service answers it.
fn provider_error(e: ProviderError) -> ApiError {
    match e {
        ProviderError::InvalidCard { field, message } => {
            ApiError::field(&format!("card.{field}"), message)
        }
        ProviderError::Unavailable(reason) => {
            tracing::warn!(%reason, "the payment provider did not answer");
            ApiError::UpstreamUnavailable("payment provider".to_owned())
        }
        ProviderError::Refused(reason) => ApiError::Unprocessable(reason),
    }
}

/// Every saved card, oldest first, without tokens.
#[tracing::instrument(skip_all)]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let wallet = payment_methods::get(state.infra.db(), me(&caller)?).await?;
    Ok(ok(wallet.views()))
}

/// Tokenises the card and saves what the provider answered: 201 with it; 400 naming the bad
/// field of a card the provider refuses, 422 when ten are saved already, 503 while the
/// provider is down. Nothing is written unless all went well.
#[tracing::instrument(skip_all)]
async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Valid(input): Valid<NewPaymentMethod>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let customer = me(&caller)?;
    payment_methods::get(state.infra.db(), customer)
        .await?
        .has_room()?;
    let tokenized = {
        let card = Card::from(&input.card);
        drop(input.card);
        state
            .payments
            .tokenize(&card)
            .await
            .map_err(provider_error)?
    };
    let id = ObjectId::new();
    let saved = SavedCard::new(id, state.payments.name(), tokenized);
    let make_default = input.make_default == Some(true);
    let wallet = payment_methods::change(state.infra.db(), customer, |wallet| {
        wallet.add(saved.clone(), make_default)
    })
    .await?;
    Ok((StatusCode::CREATED, ok(wallet.view(id)?)))
}

/// `makeDefault: true` makes the card the default: 200 with it.
#[tracing::instrument(skip_all)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    Valid(patch): Valid<PaymentMethodPatch>,
) -> Result<Json<Value>, ApiError> {
    let wallet = payment_methods::change(state.infra.db(), me(&caller)?, |wallet| {
        wallet.make_default(id, patch.make_default)
    })
    .await?;
    Ok(ok(wallet.view(id)?))
}

/// Deletes a card: 200 with the cards left (the newest is the default when the default went).
#[tracing::instrument(skip_all)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
) -> Result<Json<Value>, ApiError> {
    let wallet =
        payment_methods::change(state.infra.db(), me(&caller)?, |wallet| wallet.remove(id)).await?;
    Ok(ok(wallet.views()))
}

/// For order-service: the card `method` of `customer` (`default`: the default card) with its
/// token, as [`shared::payment::SavedMethod`]. The customer themself or an admin may ask;
/// anyone else, an unknown card or a customer without cards is 404.
#[tracing::instrument(skip_all, fields(customer = %customer, method = %method))]
async fn internal(
    State(state): State<AppState>,
    caller: Caller,
    Path((customer, method)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let not_found = || ApiError::NotFound("no such payment method".to_owned());
    if caller.id != customer && !caller.is_admin() {
        return Err(not_found());
    }
    let customer = ObjectId::parse_str(&customer).map_err(|_| not_found())?;
    let method = match method.as_str() {
        "default" => None,
        id => Some(ObjectId::parse_str(id).map_err(|_| not_found())?),
    };
    let wallet = payment_methods::get(state.infra.db(), customer).await?;
    wallet.internal(method).map(ok).ok_or_else(not_found)
}
