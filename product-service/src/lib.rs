//! product-service: the catalog, stock, reservations and low-stock events.
//!
//! # Layout
//! - `config`: the settings this service reads.
//! - `state`: what handlers share.
//! - [`domain`]: products, prices in cents, list queries, search ranking, stock messages; no I/O.
//!
//! [`app`] builds the router without I/O; [`run`] connects the real dependencies and serves.
//! `/health` and `/metrics` come from [`shared::server`].

pub mod config;
pub mod domain;
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

/// Connects MongoDB, RabbitMQ and Redis (without waiting for them) and serves on
/// `listener` until `cancel` fires.
pub async fn run(
    config: Config,
    listener: TcpListener,
    cancel: CancellationToken,
) -> Result<(), StartError> {
    shared::server::run_service(&config.service, listener, cancel, |infra| {
        app(AppState { infra })
    })
    .await
}
