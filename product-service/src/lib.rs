//! product-service: the catalog, stock, reservations and low-stock events.
//!
//! # Layout
//! - [`config`]: the settings this service reads.
//! - [`state`]: what handlers share.
//! - [`routes`]: `/products` (public reads, admin writes guarded by `shared::auth::Admin`) and
//!   `/products/{id}/reviews`.
//! - [`domain`]: products, prices in cents, list queries, search ranking, stock messages; no I/O.
//! - [`store`]: MongoDB: the catalog, reserving stock exactly once per order, and putting a
//!   received return's stock back once per return.
//! - [`cache`]: the Redis read cache and its generation-counter invalidation.
//! - [`events`]: what is published (through the outbox), the order-events consumer, the
//!   returns consumer, and the delivered-orders consumer that grants the right to review.
//!
//! [`app`] builds the router without I/O; [`run`] connects the real dependencies, starts the
//! order and return consumers and the outbox relay, and serves. `/health` and `/metrics` come from
//! [`shared::server`].

pub mod cache;
pub mod config;
pub mod domain;
pub mod events;
pub mod routes;
pub mod state;
pub mod store;

use axum::Router;
use shared::server::StartError;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::{Config, DEFAULTS};
pub use state::AppState;

/// The service's own routes.
pub fn app(state: AppState) -> Router {
    routes::router().with_state(state)
}

/// Connects MongoDB, RabbitMQ and Redis (without waiting for them), creates the indexes in the
/// background, starts the outbox relay and the order consumer, and serves on `listener` until
/// `cancel` fires.
pub async fn run(
    config: Config,
    listener: TcpListener,
    cancel: CancellationToken,
) -> Result<(), StartError> {
    shared::server::run_service(&config.service, listener, cancel.clone(), |infra| {
        let db = infra.db().clone();
        let nudge = infra.relay(
            &[store::PRODUCTS, store::RESERVATIONS, store::REVIEWS],
            config::OUTBOX_POLL,
            &cancel,
        );
        infra.after_indexes(
            &cancel,
            |db| async move {
                store::create_indexes(&db).await?;
                store::stock::Stock::new(&db).migrate_legacy().await?;
                store::restock::Restock::new(&db).migrate_legacy().await?;
                store::reviews::Reviews::new(&db).migrate_legacy().await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            },
            || {},
        );
        let state = AppState::new(infra, nudge);
        events::orders::start(
            state.infra.bus(),
            events::orders::StockKeeper {
                stock: store::stock::Stock::new(&db),
                cache: state.cache.clone(),
                nudge: state.nudge.clone(),
            },
        );
        events::returns::start(
            state.infra.bus(),
            events::returns::Restocker {
                restock: store::restock::Restock::new(&db),
                cache: state.cache.clone(),
            },
        );
        events::purchases::start(state.infra.bus(), state.reviews.clone());
        app(state)
    })
    .await
}
