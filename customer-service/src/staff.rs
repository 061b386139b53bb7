//! The super admin manages the staff (issue 19): `PUT /customers/{id}/role` makes an account an
//! admin or a customer again, `POST /customers/{id}/disable` and `/enable` lock an account out
//! and let it back in. Only the super admin (the `ADMIN_EMAIL` account) may; an admin cannot
//! grant a role, and nobody changes or disables the super admin's account or their own.
//!
//! Each change is one conditional write of the customer document with its event
//! (`customer.role_changed`, `customer.disabled`, `customer.enabled`) in the outbox, which the
//! audit log reads ([`crate::audit`]). A role change or a disabling then ends every session of
//! the account, so tokens with the old role or of the locked account die at once in every
//! service; a disabled account cannot sign in or refresh until it is enabled.

use axum::{
    Json, Router,
    extract::State,
    http::HeaderMap,
    routing::{post, put},
};
use bson::oid::ObjectId;
use chrono::Utc;
use serde_json::{Value, json};
use shared::{
    ApiError,
    api::customers::{Disabling, RoleChange},
    auth::{Caller, Role},
    error::ok,
    events::{Envelope, keys},
    extract::{ObjectIdPath, Valid},
};

use crate::{
    domain::{Customer, CustomerView},
    session,
    state::AppState,
    store::customers,
};

/// The role, disable and enable routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/customers/{id}/role", put(set_role))
        .route("/customers/{id}/disable", post(disable))
        .route("/customers/{id}/enable", post(enable))
}

/// The account the super admin acts on: 403 for anyone else, 422 for their own account or
/// the super admin's, 404 for none (or an erased one).
async fn target(state: &AppState, caller: &Caller, id: ObjectId) -> Result<Customer, ApiError> {
    caller.require_super_admin()?;
    if caller.id == id.to_hex() {
        return Err(ApiError::Unprocessable(
            "not on your own account".to_owned(),
        ));
    }
    let account = customers::by_id(state.infra.db(), id)
        .await?
        .filter(|c| c.erased_at.is_none())
        .ok_or_else(|| ApiError::NotFound("no such customer".to_owned()))?;
    if account.role == Role::SuperAdmin {
        return Err(ApiError::Unprocessable(
            "the super admin's account is not changed here".to_owned(),
        ));
    }
    Ok(account)
}

fn event(headers: &HeaderMap, kind: &str, data: Value) -> Envelope {
    Envelope::new(
        kind,
        crate::DEFAULTS.name,
        shared::telemetry::request_id(headers),
        data,
    )
}

fn moved() -> ApiError {
    ApiError::Conflict("the account changed meanwhile; read it again".to_owned())
}

/// The account as it is now.
async fn now(state: &AppState, id: ObjectId) -> Result<Json<Value>, ApiError> {
    let account = customers::by_id(state.infra.db(), id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such customer".to_owned()))?;
    Ok(ok(CustomerView::from(&account)))
}

/// `PUT /customers/{id}/role`: 200 with the account; the same role again changes nothing.
#[tracing::instrument(skip_all, fields(customer.id = %id))]
async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
    Valid(body): Valid<RoleChange>,
) -> Result<Json<Value>, ApiError> {
    let account = target(&state, &caller, id).await?;
    let to = grantable(&body.role)
        .ok_or_else(|| ApiError::field("role", "must be one of customer, admin"))?;
    if account.role == to {
        return Ok(ok(CustomerView::from(&account)));
    }
    let change = event(
        &headers,
        keys::CUSTOMER_ROLE_CHANGED,
        json!({ "customerId": id.to_hex(), "from": account.role.as_str(), "to": to.as_str() }),
    );
    if !customers::set_role(state.infra.db(), id, account.role, to, &[change]).await? {
        return Err(moved());
    }
    state.outbox.nudge();
    session::end_all(&state, id).await?;
    tracing::info!(
        from = account.role.as_str(),
        to = to.as_str(),
        "role changed"
    );
    now(&state, id).await
}

/// `POST /customers/{id}/disable`: 200 with the account, disabled and signed out everywhere;
/// a disabled account stays as it is.
#[tracing::instrument(skip_all, fields(customer.id = %id))]
async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
    Valid(body): Valid<Disabling>,
) -> Result<Json<Value>, ApiError> {
    let account = target(&state, &caller, id).await?;
    if account.disabled_at.is_none() {
        let change = event(
            &headers,
            keys::CUSTOMER_DISABLED,
            json!({ "customerId": id.to_hex(), "reason": body.reason.trim() }),
        );
        if !customers::set_disabled(state.infra.db(), id, Some(Utc::now()), &[change]).await? {
            return Err(moved());
        }
        state.outbox.nudge();
        tracing::info!("account disabled");
    }
    // Again when it was disabled already: a request that died after the write left them.
    session::end_all(&state, id).await?;
    now(&state, id).await
}

/// `POST /customers/{id}/enable`: 200 with the account, which can sign in again; an enabled
/// account stays as it is.
#[tracing::instrument(skip_all, fields(customer.id = %id))]
async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let account = target(&state, &caller, id).await?;
    if account.disabled_at.is_some() {
        let change = event(
            &headers,
            keys::CUSTOMER_ENABLED,
            json!({ "customerId": id.to_hex() }),
        );
        if !customers::set_disabled(state.infra.db(), id, None, &[change]).await? {
            return Err(moved());
        }
        state.outbox.nudge();
        tracing::info!("account enabled");
    }
    now(&state, id).await
}

/// The role `role` names, when the super admin may give it (`customer`, `admin`).
fn grantable(role: &str) -> Option<Role> {
    match role.trim() {
        "customer" => Some(Role::Customer),
        "admin" => Some(Role::Admin),
        _ => None,
    }
}
