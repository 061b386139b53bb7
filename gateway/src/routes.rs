//! The gateway's routes: aggregated health outside the door; the proxy and the WebSocket
//! relay behind it (`guard`: identity, rate limits, role rules, validation).

pub mod health;
pub mod proxy;
pub mod ws;

use axum::{
    Router,
    extract::{Request, State},
    response::{IntoResponse, Response},
    routing::{any, get},
};

use crate::{AppState, guard::guard};

/// `/api/health`, the API document, `/api/ws/...` and everything else under `/api`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/health", get(health::aggregate))
        .route("/api/openapi.json", get(crate::api::docs::openapi_json))
        .route("/api/docs", get(crate::api::docs::page))
        .route("/api/ws/{*rest}", get(relay))
        .route("/api/{*rest}", any(forward))
        .with_state(state)
}

async fn forward(State(state): State<AppState>, request: Request) -> Response {
    guard(state, request, proxy::forward).await
}

async fn relay(State(state): State<AppState>, request: Request) -> Response {
    guard(state, request, |state, request| async move {
        ws::relay(state, request).await.into_response()
    })
    .await
}
