//! The state every handler of assistant-service shares.

use std::{sync::Arc, time::Duration};

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
    /// Heartbeat interval of an idle chat socket.
    pub heartbeat: Duration,
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.infra.verifier.clone()
    }
}
