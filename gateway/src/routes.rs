//! The gateway's routes: aggregated health outside the door; the proxy and the WebSocket
//! relay behind it (`guard`: identity, rate limits, role rules, validation).

pub mod health;
pub mod proxy;
pub mod ws;

use axum::{
    Router, middleware,
    routing::{any, get},
};

use crate::AppState;

/// `/api/health`, the API document, `/api/ws/...` and everything else under `/api`.
pub fn router(state: AppState) -> Router {
    let guarded = Router::new()
        .route("/api/ws/{*rest}", get(ws::relay))
        .route("/api/{*rest}", any(proxy::forward))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::guard::guard,
        ));
    Router::new()
        .route("/api/health", get(health::aggregate))
        .route("/api/openapi.json", get(crate::api::docs::openapi_json))
        .route("/api/docs", get(crate::api::docs::page))
        .merge(guarded)
        .with_state(state)
}
