//! customer-service: customers, credentials and the signing of tokens.
//!
//! # Layout
//! - `config`: the settings, including the signing key and sign-in limits.
//! - `state`: what handlers share.
//! - `domain/`: email, name, phone, address and password rules; the customer record.
//! - `store/`: the `customers` (with each one's address book and loyalty account),
//!   `refresh_tokens` and `ended_families` collections.
//! - `routes/`: `/auth/*`, `/customers*` (and `/customers/me/addresses`,
//!   `/customers/me/payment-methods`), `/loyalty*`, `/wishlist*`, `/.well-known/jwks.json`; and
//!   `/internal/customers/{id}/payment-methods/{id}` for order-service and
//!   `/internal/customers/{id}/contact` for services holding a service token (never behind
//!   the gateway).
//! - `events`: points for delivered orders, from `order.status_changed`; the wishlist's news
//!   (`events::wishlist`), from product and stock events.
//! - `catalog`: product-service as the wishlist asks it.
//! - `session`: issuing access and rotating refresh tokens.
//! - `throttle`: sign-in limits per client, and per account and address (Redis).
//! - `burst`: the alarm for a burst of failed sign-ins against one account.
//! - `admin`: the admin account, ensured at start.
//! - `orphans`: the sweep that gives back points held by checkouts that placed no order.
//! - `privacy`: a customer's data export (`GET /customers/me/export`) and account erasure
//!   (`DELETE /customers/me`, `customer.erased`).
//!
//! [`app`] builds the router without I/O; [`run`] connects the real dependencies and serves.
//! `customer.registered`, `customer.erased` and `loyalty.changed` leave through the outbox of [`shared::outbox`].

pub mod admin;
pub mod audit;
pub mod burst;
pub mod catalog;
pub mod config;
pub mod domain;
pub mod events;
pub mod orphans;
pub mod privacy;
pub mod routes;
pub mod session;
pub mod staff;
pub mod state;
pub mod store;
pub mod throttle;

use std::{sync::Arc, time::Duration};

use axum::Router;
use shared::server::StartError;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::{Config, DEFAULTS};
pub use state::AppState;

/// The service's own routes.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(routes::auth::router())
        .merge(routes::customers::router())
        .merge(routes::addresses::router())
        .merge(routes::payment_methods::router())
        .merge(routes::loyalty::router())
        .merge(routes::holds::router())
        .merge(routes::wishlist::router())
        .merge(routes::jwks::router())
        .merge(routes::internal::router())
        .merge(privacy::router())
        .merge(staff::router())
        .merge(audit::router())
        .with_state(state)
}

/// Connects MongoDB, RabbitMQ and Redis (without waiting for them), ensures the admin account,
/// relays the outbox, and serves on `listener` until `cancel` fires.
pub async fn run(
    config: Config,
    listener: TcpListener,
    cancel: CancellationToken,
) -> Result<(), StartError> {
    let catalog = catalog::Catalog::new(&config.product_service_url, &config.service.tls)
        .map_err(|e| StartError::Io(std::io::Error::other(e)))?;
    let service = config.service.clone();
    let config = Arc::new(config);
    let background = cancel.clone();
    shared::server::run_service(&service, listener, cancel, move |infra| {
        let admin_account = infra.health.gate("admin-account");
        admin::ensure(
            infra.db().clone(),
            config.clone(),
            admin_account.clone(),
            background.clone(),
        );
        let outbox = infra.relay(
            &[store::customers::COLLECTION, store::wishlist::WATCHES],
            Duration::from_secs(1),
            &background,
        );
        events::start(infra.bus(), infra.db().clone(), outbox.clone());
        if !config.orphans.order_service_url.is_empty() {
            match orphans::Orders::new(
                &config.orphans.order_service_url,
                &config.service.tls,
                config.signer.clone(),
            ) {
                Ok(orders) => infra.health.watch(orphans::spawn(
                    infra.db().clone(),
                    orders,
                    &config.orphans,
                    outbox.clone(),
                    background.clone(),
                )),
                Err(e) => tracing::error!(error = %e, "no orphan hold sweep: no HTTP client"),
            }
        }
        events::wishlist::start(
            infra.bus(),
            events::wishlist::Handler {
                db: infra.db().clone(),
                catalog: catalog.clone(),
                outbox: outbox.clone(),
            },
        );
        let payments = config
            .payment
            .build(infra.db())
            .expect("PAYMENT_PROVIDER is checked by Config::from_env");
        let state = AppState {
            infra,
            config,
            outbox,
            payments,
            catalog,
            admin_account,
        };
        privacy::consume(state.infra.bus(), state.clone());
        audit::consume(state.infra.bus(), state.clone());
        app(state)
    })
    .await
}
