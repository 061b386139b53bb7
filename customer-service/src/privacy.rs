//! A customer's own data: `GET /customers/me/export` hands them everything this service keeps
//! about them; `DELETE /customers/me` (their password asked again) erases the account.
//!
//! Erasing is one write to the customer document (`store::customers::erase`): the name and
//! email are replaced, the password by the hash of a secret no one knows, and phone, address
//! book, saved cards and loyalty are removed, with `customer.erased` queued in the same write.
//! Then, in the request and again when this service consumes its own `customer.erased` (the
//! request may die half-way; the event is in the outbox either way), the rest goes: wishlist
//! entries, and every session, so every access and refresh token of the account dies at once
//! in every service. order-, alert- and assistant-service consume the event too, for what they
//! keep: the cart, open subscriptions and the street on orders; the contact, preferences and
//! notifications; chats, support conversations and escalations. Orders themselves stay: they
//! are the shop's records.
//!
//! Admin accounts are not erased this way (403): the shop would lose the person who runs it.

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
    routing::{delete, get},
};
use bson::oid::ObjectId;
use chrono::Utc;
use serde::Deserialize;
use shared::{
    ApiError,
    api::customers::{CustomerExport, Erasure},
    auth::{Caller, Role},
    error::ok,
    events::{Bus, ConsumerSpec, Consuming, Envelope, HandlerError, keys, topology},
    extract::Valid,
};

use crate::{
    domain::{Customer, CustomerView, Password, password},
    session,
    state::AppState,
    store::{addresses, customers, loyalty, payment_methods, wishlist},
};

/// `GET /customers/me/export`, `DELETE /customers/me`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/customers/me/export", get(export))
        .route("/customers/me", delete(erase))
}

fn gone() -> ApiError {
    ApiError::Unauthorized("account no longer exists".to_owned())
}

/// The caller's account while it is not erased (401 once it is: the token is dead anyway).
async fn caller_account(
    state: &AppState,
    caller: &Caller,
) -> Result<(ObjectId, Customer), ApiError> {
    let id = ObjectId::parse_str(&caller.id).map_err(|_| gone())?;
    let customer = customers::by_id(state.infra.db(), id)
        .await?
        .filter(|c| c.erased_at.is_none())
        .ok_or_else(gone)?;
    Ok((id, customer))
}

/// Everything kept about the caller, as a JSON file to save (`Content-Disposition:
/// attachment`), in the usual envelope.
#[tracing::instrument(skip_all, fields(customer.id = %caller.id))]
async fn export(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    let db = state.infra.db();
    let (id, customer) = caller_account(&state, &caller).await?;
    let export = CustomerExport {
        exported_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        customer: CustomerView::from(&customer),
        addresses: addresses::get(db, id).await?.views(),
        payment_methods: payment_methods::get(db, id).await?.views(),
        loyalty: loyalty::get(db, id).await?.view(),
        wishlist: wishlist::list(db, id).await?,
    };
    let disposition = format!("attachment; filename=\"my-data-{}.json\"", id.to_hex());
    Ok((
        [
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        ok(export),
    ))
}

/// Erases the caller's account: 204. 403 for a wrong password or an admin account, 401 once
/// erased (the token is dead by then anyway); nothing is changed by a refusal.
#[tracing::instrument(skip_all, fields(customer.id = %caller.id))]
async fn erase(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Valid(body): Valid<Erasure>,
) -> Result<StatusCode, ApiError> {
    let db = state.infra.db();
    let (id, customer) = caller_account(&state, &caller).await?;
    if customer.role != Role::Customer {
        return Err(ApiError::Forbidden(
            "an admin account is not erased from here; another admin removes it".to_owned(),
        ));
    }
    if !password::verify(body.password, Some(customer.password_hash.clone())).await? {
        return Err(ApiError::Forbidden(
            "the password does not match".to_owned(),
        ));
    }
    // A password no one knows: 48 random hex digits, hashed like any other.
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let hash = Password::parse(&secret)
        .map_err(ApiError::internal)?
        .hash()
        .await?;
    let at = Utc::now();
    let event = Envelope::new(
        keys::CUSTOMER_ERASED,
        crate::DEFAULTS.name,
        shared::telemetry::request_id(&headers),
        serde_json::json!({ "customerId": id.to_hex(), "erasedAt": at }),
    );
    if customers::erase(db, id, &hash, &[event]).await? {
        state.outbox.nudge();
        tracing::info!("account erased");
    }
    remove_the_rest(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the customer document does not hold: wishlist entries, and every session (refresh
/// tokens, and access tokens by session id in every verifier). Safe to repeat.
async fn remove_the_rest(state: &AppState, id: ObjectId) -> Result<(), ApiError> {
    let db = state.infra.db();
    wishlist::remove_all(db, id).await?;
    session::end_all(state, id).await
}

/// The part of `customer.erased` read here.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Erased {
    customer_id: String,
}

/// Consumes [`topology::CUSTOMER_ERASURE`]: [`remove_the_rest`] again, for a request that
/// died after the erasing write.
pub fn consume(bus: &Bus, state: AppState) -> Consuming {
    bus.consume(
        ConsumerSpec::from(topology::CUSTOMER_ERASURE),
        move |event| {
            let state = state.clone();
            async move {
                let erased: Erased = event
                    .data_as()
                    .map_err(|e| HandlerError::Reject(format!("malformed {}: {e}", event.kind)))?;
                let id = ObjectId::parse_str(&erased.customer_id).map_err(|e| {
                    HandlerError::Reject(format!("{}: not an ObjectId: {e}", event.kind))
                })?;
                remove_the_rest(&state, id)
                    .await
                    .map_err(HandlerError::from)
            }
        },
    )
}
