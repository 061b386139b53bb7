//! The HTTP routes of product-service (paths as the service sees them; the gateway strips
//! `/api`); catalog, image and category writes and review moderation are guarded by
//! `shared::auth::Admin`. The live stock stream is in [`crate::live`].

pub mod categories;
pub mod images;
pub mod locations;
pub mod products;
pub mod reviews;
pub mod variants;

use axum::Router;

use crate::state::AppState;

/// Every route of the service.
pub fn router() -> Router<AppState> {
    products::router()
        .merge(images::router())
        .merge(locations::router())
        .merge(variants::router())
        .merge(reviews::router())
        .merge(categories::router())
        .merge(crate::live::router())
}

#[cfg(test)]
mod tests {
    use axum::{
        body::Body,
        http::{Request, StatusCode},
    };
    use shared::{
        auth::{Role, Signer},
        config::{Environment, MongoConfig, ServiceConfig},
        outbox::Nudge,
        server::Infra,
    };
    use tokio_util::sync::CancellationToken;
    use tower::ServiceExt;

    use super::*;

    /// The router over dependencies that are never reached (a closed MongoDB port, no broker,
    /// no Redis): what these tests see is decided before any I/O.
    async fn app(cancel: &CancellationToken) -> (axum::Router, Signer) {
        let signer = Signer::generate(std::time::Duration::from_secs(60));
        let config = ServiceConfig {
            name: "product-service",
            environment: Environment::Development,
            host: "127.0.0.1".to_owned(),
            port: 0,
            mongo: Some(MongoConfig {
                uri: "mongodb://127.0.0.1:1".to_owned(),
                database: "unused".to_owned(),
            }),
            broker: None,
            redis: None,
            shutdown_grace: std::time::Duration::from_secs(1),
            auth: signer.key_source(),
            tls: shared::http::Trust::system(),
        };
        let infra = Infra::connect(&config, cancel).await.unwrap();
        (crate::app(AppState::new(infra, Nudge::default())), signer)
    }

    async fn send(app: axum::Router, request: Request<Body>) -> (StatusCode, serde_json::Value) {
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    fn post(token: Option<String>) -> Request<Body> {
        let mut request = Request::post("/products").header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        request.body(Body::from("{not json")).unwrap()
    }

    #[tokio::test]
    async fn the_caller_is_checked_before_the_body_is_read() {
        let cancel = CancellationToken::new();
        let (app, signer) = app(&cancel).await;
        let (customer, _) = signer.sign("c-1", Role::Customer).unwrap();
        let (admin, _) = signer.sign("a-1", Role::Admin).unwrap();

        let (anonymous, _) = send(app.clone(), post(None)).await;
        let (as_customer, body) = send(app.clone(), post(Some(customer))).await;
        let (as_admin, malformed) = send(app, post(Some(admin))).await;

        assert_eq!(anonymous, StatusCode::UNAUTHORIZED);
        assert_eq!(
            (as_customer, body["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("FORBIDDEN"))
        );
        assert_eq!(as_admin, StatusCode::BAD_REQUEST);
        assert!(
            malformed["error"]["details"]["body"].is_string(),
            "{malformed}"
        );
        cancel.cancel();
    }

    #[tokio::test]
    async fn bad_ids_and_queries_are_refused_before_the_database_is_asked() {
        let cancel = CancellationToken::new();
        let (app, _) = app(&cancel).await;

        let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
        let (status, body) = send(app.clone(), get("/products/not-an-id")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["error"]["details"]["id"].is_string(), "{body}");
        let (status, body) = send(app, get("/products?sort=cheapest&limit=0")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["error"]["details"]["sort"].is_string()
                && body["error"]["details"]["limit"].is_string(),
            "{body}"
        );
        cancel.cancel();
    }
}
