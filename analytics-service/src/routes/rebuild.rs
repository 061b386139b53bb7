//! `POST /analytics/rebuild` (start; 202, or 409 while one runs) and `GET /analytics/rebuild`
//! (its progress).

use axum::{
    Json, Router,
    extract::{FromRequestParts, State},
    http::{StatusCode, request::Parts},
    routing::get,
};
use secrecy::ExposeSecret;
use serde_json::Value;
use shared::{ApiError, auth::Admin, error::ok};

use crate::{rebuild, state::AppState, store::jobs};

/// The rebuild routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/analytics/rebuild", get(status).post(start))
}

/// The caller's own bearer token, to forward.
struct Bearer(Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(shared::auth::bearer_token(parts)))
    }
}

#[tracing::instrument(skip_all)]
async fn start(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Bearer(token): Bearer,
    headers: axum::http::HeaderMap,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let token = match &state.config.service_token {
        Some(t) => t.expose_secret().to_owned(),
        None => {
            token.ok_or_else(|| ApiError::Unauthorized("a bearer token is required".to_owned()))?
        }
    };
    let source = rebuild::Source {
        orders: shared::client::Service::new(
            "order-service",
            &state.config.order_service_url,
            state.client.clone(),
        ),
        token,
        request_id: shared::telemetry::request_id(&headers),
    };
    let job = rebuild::start(
        state.infra.db().clone(),
        source,
        &caller.id,
        state.cancel.clone(),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, ok(job)))
}

#[tracing::instrument(skip_all)]
async fn status(State(state): State<AppState>, _: Admin) -> Result<Json<Value>, ApiError> {
    Ok(ok(jobs::status(state.infra.db()).await?))
}
