//! The state every handler of analytics-service shares.

use std::sync::Arc;

use axum::extract::FromRef;
use shared::{auth::Verifier, server::Infra};
use tokio_util::sync::CancellationToken;

use crate::{config::Config, live::Dashboard, performance::Scrapes};

/// Cheap to clone: every field is a handle.
#[derive(Clone)]
pub struct AppState {
    /// Database, bus, health probes and the token verifier.
    pub infra: Infra,
    /// The settings.
    pub config: Arc<Config>,
    /// One pooled client for `/metrics` and order-service.
    pub client: reqwest::Client,
    /// The live dashboard figures.
    pub dashboard: Dashboard,
    /// Recent scrapes of every service's `/metrics`.
    pub scrapes: Scrapes,
    /// Fires at shutdown; sockets and the rebuild end with it.
    pub cancel: CancellationToken,
    /// Wakes the outbox relay of the weekly reports.
    pub nudge: shared::outbox::Nudge,
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.infra.verifier.clone()
    }
}
