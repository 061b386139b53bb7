//! analytics-service: read models built from events; revenue, commerce reports (discounts,
//! funnel, loyalty) and dashboard APIs. What counts and why: `README.md`.
//!
//! # Layout
//! - `config`: the settings, including where every other service lives.
//! - `state`: what handlers share.
//! - `domain/`: UTC days, period trends, what an order brought in, the funnel, discounts and
//!   loyalty figures, the shoppers' funnel from the clickstream (`clicks`), Prometheus text;
//!   no I/O.
//! - `store/`: the read models (order ledger and its rows, facts, loyalty, the clickstream's
//!   events) and the rebuild's job document.
//! - `events/`: the consumer that applies every event once and keeps the event log.
//! - `reports`: the figures the routes answer, from the read models (`reports::commerce`: the
//!   discounts, funnel and loyalty reports; `reports::sales`: the sales report as CSV and PDF).
//! - `routes/`: `/analytics/*` and `/dashboard/*`, admin-only; `POST /events`, the
//!   storefront's clickstream.
//! - `performance`: every service's `/metrics`, summarised.
//! - `rebuild`: the ledger recomputed from order-service's admin listing, in the background.
//! - `live/`: `GET /ws/analytics`.
//!
//! [`app`] builds the router without I/O; [`run`] connects the real dependencies and serves.
//! `/health` and `/metrics` come from [`shared::server`].

pub mod config;
pub mod domain;
pub mod events;
pub mod live;
pub mod performance;
pub mod rebuild;
pub mod reports;
pub mod routes;
pub mod state;
pub mod store;

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
        .merge(routes::analytics::router())
        .merge(routes::clickstream::router())
        .merge(routes::dashboard::router())
        .merge(routes::rebuild::router())
        .merge(routes::dead_letters::router())
        .merge(live::router())
        .with_state(state)
}

/// Connects MongoDB and RabbitMQ (without waiting for them), consumes every event into the
/// read models, scrapes every service's `/metrics` for the performance dashboard, and serves
/// on `listener` until `cancel` fires.
pub async fn run(
    config: Config,
    listener: TcpListener,
    cancel: CancellationToken,
) -> Result<(), StartError> {
    let client = shared::http::client_builder(&config.service.tls)
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| StartError::Io(std::io::Error::other(e)))?;
    let service = config.service.clone();
    let config = Arc::new(config);
    let background = cancel.clone();
    shared::server::run_service(&service, listener, cancel, move |infra| {
        let db = infra.db().clone();
        // Queries work without the indexes; they only make them fast.
        infra.after_indexes(
            &background,
            |db| async move { store::ensure_indexes(&db).await },
            || {},
        );
        let nudge = infra.relay(
            &[reports::weekly::COLLECTION],
            Duration::from_secs(1),
            &background,
        );
        if let Some(hour) = config.weekly_report_hour {
            reports::weekly::spawn_schedule(db.clone(), nudge.clone(), hour, background.clone());
        }
        let changes = live::Changes::default();
        let dashboard = live::Dashboard::default();
        dashboard.spawn(db.clone(), changes.clone(), background.clone());
        events::start(infra.bus(), db, changes);
        let scrapes = performance::Scrapes::new(config.scrape);
        scrapes.spawn(client.clone(), config.services.clone(), background.clone());
        app(AppState {
            infra,
            config,
            client,
            dashboard,
            scrapes,
            cancel: background,
            nudge,
        })
    })
    .await
}
