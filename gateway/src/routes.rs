//! The gateway's routes: aggregated health, then everything under `/api` proxied.

pub mod health;
pub mod proxy;

use axum::{
    Router,
    routing::{any, get},
};

use crate::AppState;

/// `/api/health` and the proxy.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(health::aggregate))
        .route("/api/{*rest}", any(proxy::forward))
}
