//! The gateway: the one entry point of the shop suite. It routes `/api/<area>/...` to the
//! owning service over pooled connections, streams bodies both ways, and aggregates health.
//!
//! # Layout
//! - `config`: the settings, including the service URLs.
//! - `routing`: the routing table (area prefix to service).
//! - `state`: the pooled client and the table.
//! - `routes/`: `/api/health` and the proxy.
//!
//! Rate limiting, validation, auth and the WebSocket relay arrive with issue 6.

pub mod config;
pub mod routes;
pub mod routing;
pub mod state;

use axum::Router;
use shared::server::StartError;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

pub use config::{Config, DEFAULTS};
pub use state::AppState;

/// The gateway's routes over `state`, with CORS from `cors_origins`.
pub fn app(state: AppState, cors_origins: &[String]) -> Router {
    routes::router().with_state(state).layer(cors(cors_origins))
}

fn cors(origins: &[String]) -> CorsLayer {
    let layer = CorsLayer::new().allow_methods(Any).allow_headers(Any);
    if origins.iter().any(|o| o == "*") {
        layer.allow_origin(Any)
    } else {
        let list = origins
            .iter()
            .filter_map(|o| o.parse().ok())
            .collect::<Vec<_>>();
        layer.allow_origin(AllowOrigin::list(list))
    }
}

/// Connects Redis (without waiting for it) and serves on `listener` until `cancel` fires.
pub async fn run(
    config: Config,
    listener: TcpListener,
    cancel: CancellationToken,
) -> Result<(), StartError> {
    let client = state::upstream_client(&config).map_err(std::io::Error::other)?;
    let routes = std::sync::Arc::new(config.routes.clone());
    let origins = config.cors_origins.clone();
    shared::server::run_service(&config.service, listener, cancel, move |infra| {
        app(
            AppState {
                infra,
                client,
                routes,
            },
            &origins,
        )
    })
    .await
}
