//! analytics-service: read models built from events; revenue and dashboard APIs.
//!
//! # Layout
//! - `config`: the settings this service reads.
//! - `state`: what handlers share.
//! - `events`: the consumer that records every event (the inbox of the read models).
//!
//! [`app`] builds the router without I/O; [`run`] connects the real dependencies and serves.
//! `/health` and `/metrics` come from [`shared::server`].

pub mod config;
pub mod events;
pub mod state;

use axum::Router;
use shared::server::StartError;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::{Config, DEFAULTS};
pub use state::AppState;

/// The service's own routes.
pub fn app(state: AppState) -> Router {
    Router::new().with_state(state)
}

/// Connects MongoDB, RabbitMQ (without waiting for them) and serves on
/// `listener` until `cancel` fires.
pub async fn run(
    config: Config,
    listener: TcpListener,
    cancel: CancellationToken,
) -> Result<(), StartError> {
    shared::server::run_service(&config.service, listener, cancel, |infra| {
        events::start(infra.bus(), infra.db().clone());
        app(AppState { infra })
    })
    .await
}
