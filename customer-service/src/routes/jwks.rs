//! `GET /.well-known/jwks.json`: the public key other services verify tokens with (RFC 7517,
//! served as the bare key set, not in the envelope, so standard clients read it).

use axum::{Json, Router, extract::State, routing::get};

use crate::state::AppState;

/// The key set route.
pub fn router() -> Router<AppState> {
    Router::new().route("/.well-known/jwks.json", get(jwks))
}

async fn jwks(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::to_value(state.config.signer.jwks()).unwrap_or_default())
}
