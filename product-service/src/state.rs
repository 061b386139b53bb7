//! The state every handler of product-service shares.

use axum::extract::FromRef;
use shared::{auth::Verifier, outbox::Nudge, server::Infra};

use crate::{
    cache::Cache,
    store::{products::Products, reviews::Reviews},
};

/// Cheap to clone: every field is a handle.
#[derive(Clone)]
pub struct AppState {
    /// Database, bus, Redis, token verifier and health probes.
    pub infra: Infra,
    /// The catalog.
    pub products: Products,
    /// Reviews, purchases and ratings.
    pub reviews: Reviews,
    /// The read cache.
    pub cache: Cache,
    /// Wakes the outbox relay after a write.
    pub nudge: Nudge,
}

impl AppState {
    /// The state over connected (or connecting) dependencies; does no I/O.
    pub fn new(infra: Infra, nudge: Nudge) -> Self {
        Self {
            products: Products::new(infra.db()),
            reviews: Reviews::new(infra.db()),
            cache: Cache::new(infra.redis.clone(), crate::config::CACHE_TTL),
            nudge,
            infra,
        }
    }

    /// After a write to MongoDB and before answering: stale cache entries become unreachable
    /// and the relay publishes the staged events.
    pub async fn written(&self) {
        self.cache.invalidate().await;
        self.nudge.nudge();
    }
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.infra.verifier.clone()
    }
}
