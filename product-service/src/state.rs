//! The state every handler of product-service shares.

use axum::extract::FromRef;
use shared::{auth::Verifier, embed::Embedder, outbox::Nudge, server::Infra};
use tokio_util::sync::CancellationToken;

use crate::{
    cache::Cache,
    live::StockHub,
    store::{categories::Categories, products::Products, reviews::Reviews},
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
    /// The category tree.
    pub categories: Categories,
    /// The live stock streams of this replica.
    pub stock_hub: StockHub,
    /// The read cache.
    pub cache: Cache,
    /// Wakes the outbox relay after a write.
    pub nudge: Nudge,
    /// The embedding model, when loaded: search by meaning, and embeddings on every write.
    pub embedder: Option<Embedder>,
    /// Fires at shutdown: live streams end.
    pub cancel: CancellationToken,
}

impl AppState {
    /// The state over connected (or connecting) dependencies; does no I/O.
    pub fn new(infra: Infra, nudge: Nudge) -> Self {
        Self {
            products: Products::new(infra.db()),
            reviews: Reviews::new(infra.db()),
            categories: Categories::new(infra.db()),
            stock_hub: StockHub::new(crate::live::BUFFER),
            cache: Cache::new(infra.redis.clone(), crate::config::CACHE_TTL),
            nudge,
            infra,
            embedder: None,
            cancel: CancellationToken::new(),
        }
    }

    /// The same state whose live streams end when `cancel` fires.
    pub fn with_cancel(mut self, cancel: CancellationToken) -> Self {
        self.cancel = cancel;
        self
    }

    /// The same state searching by meaning with `embedder` (none: by words only).
    pub fn with_embedder(mut self, embedder: Option<Embedder>) -> Self {
        self.embedder = embedder;
        self
    }

    /// The embedding of `text`, or none without the model or when it fails (logged: the caller
    /// goes on by words alone).
    pub async fn embedding(&self, text: String) -> Option<Vec<f32>> {
        let embedder = self.embedder.as_ref()?;
        match embedder.embed_one(text).await {
            Ok(vector) => Some(vector),
            Err(error) => {
                tracing::warn!(%error, "cannot embed; going on without the embedding");
                None
            }
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
