//! alert-service: alerts from events, stored and pushed over WebSocket.
//!
//! # Layout
//! - `config`: the settings this service reads, with their variables and defaults.
//! - `state`: what handlers share.
//! - `domain/`: the alert, the customer notification and its mail, and the rules that make
//!   them from events; no I/O.
//! - `store/`: the `alerts` collection (each alert carries its own outbox and webhook state),
//!   the `notifications` collection (each with its outbox and queued mail), preferences and
//!   mail addresses.
//! - `events`: the consumer that turns events into alerts, once per event.
//! - `notify`: the consumer that turns a customer's events into notifications and mail, once
//!   per event.
//! - `live/`: the per-replica fan-out hub and `GET /ws/alerts` (topic `me`: own notifications).
//! - `routes/`: `GET /alerts`, `POST /alerts/{id}/ack`, `/notifications...`.
//! - `webhook`: signed delivery to `ALERT_WEBHOOK_URL`, retried in the background.
//! - `mail`: the SMTP worker that sends queued notification mail, retried until accepted;
//!   it and `webhook` run under `shared::supervise`.
//! - `directory`: asks customer-service for an address never announced.
//!
//! [`app`] builds the router without I/O; [`run`] connects the real dependencies, starts the
//! consumers, the outbox relay and the webhook worker, and serves. `/health` and `/metrics`
//! come from [`shared::server`].

pub mod config;
pub mod directory;
pub mod domain;
pub mod events;
pub mod live;
pub mod mail;
pub mod notify;
pub mod routes;
pub mod state;
pub mod store;
pub mod webhook;

use std::{sync::Arc, time::Duration};

use axum::Router;
use shared::server::StartError;
use tokio::{net::TcpListener, sync::Notify};
use tokio_util::sync::CancellationToken;

pub use config::{Config, DEFAULTS};
pub use state::AppState;

use crate::live::Hub;

/// The service's own routes.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(routes::alerts::router())
        .merge(routes::notifications::router())
        .merge(live::router())
        .with_state(state)
}

/// Connects MongoDB and RabbitMQ (without waiting for them) and serves on `listener` until
/// `cancel` fires.
pub async fn run(
    config: Config,
    listener: TcpListener,
    cancel: CancellationToken,
) -> Result<(), StartError> {
    let hub = Hub::new(config.streams.buffer);
    run_with_hub(config, listener, cancel, hub).await
}

/// [`run`] with a given live hub, so that tests can see who is subscribed.
pub async fn run_with_hub(
    config: Config,
    listener: TcpListener,
    cancel: CancellationToken,
    hub: Hub,
) -> Result<(), StartError> {
    let service = config.service.clone();
    let config = Arc::new(config);
    let background = cancel.clone();
    shared::server::run_service(&service, listener, cancel, move |infra| {
        let db = infra.db().clone();
        let bus = infra.bus().clone();
        let outbox = infra.relay(
            &[store::alerts::COLLECTION, store::notifications::COLLECTION],
            Duration::from_secs(1),
            &background,
        );
        let webhook = config.webhook.clone().map(|hook| {
            let wake = Arc::new(Notify::new());
            webhook::spawn(
                db.clone(),
                hook,
                config.service.tls.clone(),
                wake.clone(),
                background.clone(),
            );
            wake
        });
        let mail = config.mail.clone().map(|mail| {
            let wake = Arc::new(Notify::new());
            mail::spawn(db.clone(), mail, wake.clone(), background.clone());
            wake
        });
        let directory = config.customers.as_ref().and_then(|lookup| {
            directory::Directory::new(lookup, &config.service.tls)
                .inspect_err(|e| tracing::error!(error = %e, "cannot build the customer-service client; no address look-ups"))
                .ok()
        });
        let notifier = notify::Handler {
            db: db.clone(),
            outbox: outbox.clone(),
            mail,
            directory,
        };
        let handler = events::Handler {
            db,
            outbox,
            webhook,
        };
        live::consume(&bus, hub.clone());
        // The unique `eventId` indexes are the consumers' inboxes: they must exist before the
        // first event is handled.
        infra.after_indexes(
            &background,
            |db| async move { store::ensure_indexes(&db).await },
            move || {
                drop(events::consume(&bus, handler));
                drop(notify::consume(&bus, notifier));
            },
        );
        app(AppState {
            infra,
            config,
            hub,
            cancel: background,
        })
    })
    .await
}
