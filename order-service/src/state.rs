//! The state every handler of order-service shares.

use std::sync::Arc;

use axum::extract::FromRef;
use shared::{auth::Verifier, health::Readiness, server::Infra};
use tokio_util::sync::CancellationToken;

use crate::{
    config::Config, idempotency::Idempotency, lifecycle::Orders, live::Hub, upstream::Upstream,
};

/// Cheap to clone: every field is a handle.
#[derive(Clone)]
pub struct AppState {
    /// Database, bus, Redis, health probes and the token verifier.
    pub infra: Infra,
    /// The settings.
    pub config: Arc<Config>,
    /// Status changes with their events.
    pub orders: Orders,
    /// product-service and customer-service.
    pub upstream: Upstream,
    /// The payment provider: tokenises checkout's new cards.
    pub payments: Arc<dyn shared::payment::PaymentProvider>,
    /// `Idempotency-Key` records.
    pub idempotency: Idempotency,
    /// Set once the indexes exist: until then no order is placed, since only the unique
    /// request-key index makes an `Idempotency-Key` hold when its Redis record is gone.
    pub indexes: Readiness,
    /// This replica's live subscribers.
    pub hub: Hub,
    /// Fires at shutdown; live streams end with it.
    pub cancel: CancellationToken,
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.infra.verifier.clone()
    }
}
