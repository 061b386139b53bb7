//! The state every handler of customer-service shares.

use axum::extract::FromRef;
use shared::{auth::Verifier, outbox::Nudge, server::Infra};

use crate::config::Config;

/// Cheap to clone: every field is a handle.
#[derive(Clone)]
pub struct AppState {
    /// Database, bus, Redis, health probes and the token verifier.
    pub infra: Infra,
    /// Signing key, token lifetimes, admin account, sign-in limits.
    pub config: std::sync::Arc<Config>,
    /// Wakes the outbox relay after a write.
    pub outbox: Nudge,
    /// Tokenises saved cards (`PAYMENT_PROVIDER`, default `test`).
    pub payments: std::sync::Arc<dyn shared::payment::PaymentProvider>,
    /// product-service, asked by the wishlist.
    pub catalog: crate::catalog::Catalog,
    /// Ready once the admin account (the owner of the shop) exists: the staff list waits for it.
    pub admin_account: shared::health::Readiness,
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.infra.verifier.clone()
    }
}
