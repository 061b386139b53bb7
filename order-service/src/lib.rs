//! order-service: orders, the order saga, fulfilment and live updates.
//!
//! # Layout
//! - `config`: the settings this service reads, with their variables and defaults.
//! - `state`: what handlers share.
//! - `domain/`: money, the status machine, the order and its history (and the order as it
//!   stood at each index), the request body, the transitions, shipments, the one pricing
//!   function (`pricing`) and the priced cart; no I/O.
//! - `store/`: the `orders` collection (each order carries its own outbox), `carts`,
//!   `coupons` and `returns` (each return carries its own outbox).
//! - `lifecycle`: every status change, guarded by status and version, with its events.
//! - `routes/`: `POST /orders`, `GET /orders[/{id}]`, cancel, admin status changes, the cart,
//!   `POST /checkout`, coupons (admin) and the cart's coupon, and answering once per
//!   `Idempotency-Key` (`once`).
//! - `payment_method`: the card a new order is paid with (a new card tokenised, a saved one).
//! - `placing`: pricing, building and storing a new order, for `POST /orders` and checkout.
//! - `discounts`: the caller's loyalty tier and the cart's coupon (checked; counted once at
//!   checkout, given back once when the order is rejected or cancelled).
//! - `checkout`: the cart becomes one order and is emptied, once (the protocol in its doc).
//! - `upstream`: product-service (prices) and customer-service (address) clients.
//! - `idempotency`: `Idempotency-Key` records in Redis.
//! - `events/`: payloads, and the stock saga's consumer.
//! - `returns`: asking for a return and an admin's approve, reject and receive (the rules in
//!   `domain/returns`); `refunds`: the refund of a received return through the provider.
//! - `payment`: the saga's payment step (authorise on `stock.reserved`) and the void of a
//!   cancelled order's authorisation, through the provider of `shared::payment`.
//! - `live/`: the per-replica fan-out hub, SSE and WebSocket, resuming and gap filling.
//! - `fulfilment`: the durable schedule that ships and delivers orders.
//! - `subscriptions`: the durable schedule that places each subscription's orders (routes in
//!   `routes/subscriptions`, rules in `domain/subscription`, documents in
//!   `store/subscriptions`).
//! - `deadline`: the saga's deadline, which rejects orders left `PENDING` too long.
//! - `orphans`: the sweep that gives back coupon uses counted by checkouts that stored no order.
//! - `erasure`: `customer.erased`: the cart, open subscriptions and the streets on orders go.
//! - `poller`: the supervised loop the schedules and the sweep run.
//! - `seed`: `order-service seed`, the demo orders with their history, written straight into
//!   this service's database (historical orders cannot come through the API).
//!
//! [`app`] builds the router without I/O; [`run`] connects the real dependencies, starts the
//! consumers, the outbox relay, the fulfilment and deadline pollers, and serves.

pub mod checkout;
pub mod config;
pub mod deadline;
pub mod discounts;
pub mod domain;
pub mod erasure;
pub mod events;
pub mod fulfilment;
pub mod idempotency;
pub mod lifecycle;
pub mod live;
pub mod orphans;
pub mod payment;
pub mod payment_method;
pub mod placing;
pub mod poller;
pub mod refunds;
pub mod returns;
pub mod routes;
pub mod seed;
pub mod state;
pub mod store;
pub mod subscriptions;
pub mod upstream;

use std::{sync::Arc, time::Duration};

use axum::Router;
use shared::server::StartError;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::{Config, DEFAULTS};
pub use state::AppState;

use crate::{idempotency::Idempotency, lifecycle::Orders, live::Hub, upstream::Upstream};

/// The service's own routes.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(routes::orders::router())
        .merge(routes::cart::router())
        .merge(routes::checkout::router())
        .merge(routes::coupons::router())
        .merge(routes::returns::router())
        .merge(routes::subscriptions::router())
        .merge(live::router())
        .with_state(state)
}

/// Connects MongoDB, RabbitMQ and Redis (without waiting for them) and serves on `listener`
/// until `cancel` fires.
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
    let tiers = upstream::Tiers::new(config.tier_ttl);
    let upstream = Upstream::new(
        &config.product_service_url,
        &config.customer_service_url,
        &config.service.tls,
        tiers.clone(),
    )
    .map_err(|e| StartError::Io(std::io::Error::other(e)))?;
    let service = config.service.clone();
    let config = Arc::new(config);
    let background = cancel.clone();
    shared::server::run_service(&service, listener, cancel, move |infra| {
        let db = infra.db().clone();
        let db_for_payments = db.clone();
        let bus = infra.bus().clone();
        // `/health` says `pending` and `POST /orders` answers 503 until the unique request-key
        // index exists: before it, a retry could store a second order.
        let indexes = infra.health.gate("indexes");
        let ready = indexes.clone();
        infra.after_indexes(
            &background,
            |db| async move { store::ensure_indexes(&db).await },
            move || ready.set_ready(),
        );
        let orders = Orders {
            db,
            outbox: infra.relay(
                &[
                    store::orders::COLLECTION,
                    store::returns::COLLECTION,
                    store::subscriptions::COLLECTION,
                    store::coupons::COLLECTION,
                ],
                Duration::from_secs(1),
                &background,
            ),
            fulfilment: config.fulfilment,
        };
        let provider = config
            .payment
            .build(&db_for_payments)
            .expect("the payment provider was checked with the configuration");
        // `/health` names the provider (a name that was checked at start).
        let named: &'static str =
            Box::leak(format!("payment-provider:{}", provider.name()).into_boxed_str());
        infra.health.gate(named).set_ready();
        consume(&bus, &orders, &provider, &hub);
        upstream::tiers::consume(&bus, tiers);
        watch_over(&infra, &orders, &config, &background);
        let redis = infra
            .redis
            .clone()
            .expect("order-service is configured with Redis");
        let schedule = config.subscriptions;
        let state = AppState {
            idempotency: Idempotency::new(redis, config.idempotency_ttl),
            indexes,
            infra,
            config,
            orders,
            payments: provider,
            upstream,
            hub,
            cancel: background.clone(),
        };
        if schedule.enabled {
            let (_, poller) = subscriptions::spawn(state.clone(), background);
            state.infra.health.watch(poller);
        }
        app(state)
    })
    .await
}

/// Starts the service's consumers: payments, refunds, the live fan-out and erasure.
fn consume(
    bus: &shared::events::Bus,
    orders: &Orders,
    provider: &Arc<dyn shared::payment::PaymentProvider>,
    hub: &Hub,
) {
    events::consume(
        bus,
        payment::Payments {
            orders: orders.clone(),
            provider: provider.clone(),
        },
    );
    refunds::consume(
        bus,
        refunds::Refunds {
            orders: orders.clone(),
            provider: provider.clone(),
        },
    );
    live::consume(bus, hub.clone());
    erasure::consume(bus, orders.clone());
}

/// Starts the pollers that move orders on by time, each watched by `/health`: fulfilment
/// (when enabled), the saga's deadline and the orphaned holds.
fn watch_over(
    infra: &shared::server::Infra,
    orders: &Orders,
    config: &Config,
    background: &CancellationToken,
) {
    if config.fulfilment.enabled {
        let (_, poller) = fulfilment::spawn(orders.clone(), background.clone());
        infra.health.watch(poller);
    }
    let (_, deadline) = deadline::spawn(orders.clone(), config.saga, background.clone());
    infra.health.watch(deadline);
    let (_, orphans) = orphans::spawn(orders.db.clone(), config.orphans, background.clone());
    infra.health.watch(orphans);
}
