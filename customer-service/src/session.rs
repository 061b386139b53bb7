//! Sessions: an access token and a rotating refresh token, issued at sign-in and refresh, and
//! ended at logout or when a refresh token is reused. A session is one refresh family; its id
//! is the `sid` of every access token issued in it, so ending it refuses them all.

use base64::Engine;
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};
use shared::ApiError;

use crate::{
    domain::Customer,
    state::AppState,
    store::refresh_tokens::{self, RefreshToken},
};

/// What sign-in and refresh answer (the contract's `Session`).
pub use shared::api::auth::Session;

/// The stored form of a refresh token: its SHA-256, hex.
pub fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Issues a session for `customer`, continuing refresh `family` or starting a new one.
pub async fn issue(
    state: &AppState,
    customer: &Customer,
    family: Option<String>,
) -> Result<Session, ApiError> {
    let continued = family.is_some();
    let family = family.unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let (access_token, _) =
        state
            .config
            .signer
            .sign_in_session(&customer.id.to_hex(), customer.role, &family)?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let refresh_token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let ttl = chrono::Duration::from_std(state.config.refresh_ttl).map_err(ApiError::internal)?;
    let db = state.infra.db();
    refresh_tokens::insert(
        db,
        &RefreshToken {
            hash: digest(&refresh_token),
            customer_id: customer.id,
            family: family.clone(),
            expires_at: Utc::now() + ttl,
            used: false,
            revoked: false,
        },
    )
    .await?;
    // Stored first, asked second (see `refresh_tokens`): a session ended meanwhile, by a
    // reuse or a logout, is refused here or has already revoked this child.
    if continued && refresh_tokens::is_ended(db, &family).await? {
        refresh_tokens::revoke_family(db, &family).await?;
        return Err(ApiError::Unauthorized(
            "session ended; sign in again".to_owned(),
        ));
    }
    Ok(Session {
        access_token,
        refresh_token,
        expires_in: state.config.signer.access_ttl.as_secs(),
        customer: customer.into(),
    })
}

/// Ends session `family` for good: its refresh tokens, now and any rotation in flight
/// (MongoDB), and every access token issued in it (revoked by `sid` in Redis until the last
/// of them would have expired; after the MongoDB end, so a token issued before a rotation saw
/// the end is still covered).
pub async fn end(state: &AppState, family: &str) -> Result<(), ApiError> {
    let refresh_ttl =
        chrono::Duration::from_std(state.config.refresh_ttl).map_err(ApiError::internal)?;
    refresh_tokens::end_family(state.infra.db(), family, Utc::now() + refresh_ttl).await?;
    let ttl = i64::try_from(state.config.signer.access_ttl.as_secs()).unwrap_or(i64::MAX);
    // The verifiers' clock leeway: a token is accepted a few seconds past its expiry.
    let until = Utc::now().timestamp().saturating_add(ttl).saturating_add(5);
    state.infra.verifier.revoke_session(family, until).await
}

/// Ends every session the account `customer` ever signed in to ([`end`] for each): erasure,
/// a role change and disabling all sign the account out everywhere. Safe to repeat.
pub async fn end_all(state: &AppState, customer: bson::oid::ObjectId) -> Result<(), ApiError> {
    for family in refresh_tokens::families_of(state.infra.db(), customer).await? {
        end(state, &family).await?;
    }
    Ok(())
}
