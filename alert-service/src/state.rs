//! The state every handler of alert-service shares.

use std::sync::Arc;

use axum::extract::FromRef;
use shared::{auth::Verifier, server::Infra};
use tokio_util::sync::CancellationToken;

use crate::{config::Config, live::Hub};

/// Cheap to clone: every field is a handle.
#[derive(Clone)]
pub struct AppState {
    /// Database, bus, health probes and the token verifier.
    pub infra: Infra,
    /// The settings.
    pub config: Arc<Config>,
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
