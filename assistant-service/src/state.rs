//! The state every handler of assistant-service shares.

use std::sync::Arc;

use axum::extract::FromRef;
use shared::{auth::Verifier, server::Infra};

use crate::engine::Engine;

/// Cheap to clone: every field is a handle.
#[derive(Clone)]
pub struct AppState {
    /// Database, bus, Redis, health probes and the token verifier.
    pub infra: Infra,
    /// Answers messages.
    pub engine: Arc<Engine>,
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.infra.verifier.clone()
    }
}
