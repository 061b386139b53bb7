//! `GET /internal/customers/{id}/contact`: a customer's name and address for another service
//! of the suite, which proves who it is with a short-lived service token
//! ([`shared::auth::service`], audience [`CUSTOMER_CONTACT`]), never with a customer's or an
//! admin's token. `GET /internal/staff` (audience [`STAFF_RECIPIENTS`]): the contacts of every
//! admin and the super admin whose account is neither disabled nor erased, for the staff's
//! mail (the weekly report). The route lives outside `/api`'s areas, so the gateway never forwards it;
//! and a service token opens nothing else here: every other route verifies access tokens,
//! which a service token is not.
//!
//! 401 without a valid service token (or when this service was given no `SERVICE_TOKEN_KEY`),
//! 503 for the staff while the admin account is still being made at start, 400 for an id that is not an ObjectId, 404 for an unknown customer or an erased account
//! (its contact is gone, not to be handed on).

use axum::{Json, Router, extract::State, http::request::Parts, routing::get};
use serde_json::Value;
use shared::{
    ApiError,
    api::customers::Contact,
    auth::service::{CUSTOMER_CONTACT, STAFF_RECIPIENTS},
    error::ok,
    extract::ObjectIdPath,
};

use crate::{state::AppState, store::customers};

/// The internal look-ups.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/internal/customers/{id}/contact", get(contact))
        .route("/internal/staff", get(staff))
}

/// The calling service, once its token is checked for `audience`.
fn caller(state: &AppState, parts: &Parts, audience: &str) -> Result<String, ApiError> {
    let Some(verifier) = &state.config.service_tokens else {
        return Err(ApiError::Unauthorized(
            "this service accepts no service tokens (SERVICE_TOKEN_KEY is not set)".to_owned(),
        ));
    };
    let token = shared::auth::bearer_token(parts)
        .ok_or_else(|| ApiError::Unauthorized("a service token is required".to_owned()))?;
    Ok(verifier.verify(&token, audience)?.sub)
}

/// `GET /internal/staff`: the staff to mail, by name; 503 until the admin account exists, so
/// that a list taken as the service starts does not leave the owner out.
#[tracing::instrument(skip_all)]
async fn staff(State(state): State<AppState>, parts: Parts) -> Result<Json<Value>, ApiError> {
    let service = caller(&state, &parts, STAFF_RECIPIENTS)?;
    state.admin_account.require()?;
    let staff = customers::staff(state.infra.db()).await?;
    tracing::info!(%service, staff = staff.len(), "staff listed");
    let contacts: Vec<Contact> = staff
        .into_iter()
        .map(|c| Contact {
            id: c.id.to_hex(),
            name: c.name,
            email: c.email,
        })
        .collect();
    Ok(ok(contacts))
}

#[tracing::instrument(skip_all)]
async fn contact(
    State(state): State<AppState>,
    parts: Parts,
    ObjectIdPath(id): ObjectIdPath,
) -> Result<Json<Value>, ApiError> {
    let service = caller(&state, &parts, CUSTOMER_CONTACT)?;
    metrics::counter!("customer_contact_lookups_total", "service" => service.clone()).increment(1);
    tracing::info!(%service, customer = %id, "contact looked up");
    let customer = customers::by_id(state.infra.db(), id)
        .await?
        .filter(|c| c.erased_at.is_none())
        .ok_or_else(|| ApiError::NotFound("no such customer".to_owned()))?;
    Ok(ok(Contact {
        id: id.to_hex(),
        name: customer.name,
        email: customer.email,
    }))
}
