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

/// `/api/health`, the API document, `/api/ws/...` and everything else under `/api`; what no
/// route takes goes to the web front end (`crate::web`), which answers the 404 envelope for
/// what is not a page.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/health", get(health::aggregate))
        .route("/api/openapi.json", get(crate::api::docs::openapi_json))
        .route("/api/docs", get(crate::api::docs::page))
        .route("/api/ws/{*rest}", get(relay))
        .route(crate::api::PROXIED, any(forward))
        .fallback(web)
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

async fn web(State(state): State<AppState>, request: Request) -> Response {
    state.web.answer(request).await
}
