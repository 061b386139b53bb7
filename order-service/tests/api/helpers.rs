//! `spawn_app()`: order-service (and, where a test needs them, the real product-service and
//! customer-service) on random ports, sharing one test's database prefix, exchange, Redis
//! prefix and signing key, with typed request helpers.

use std::time::Duration;

use order_service::{
    Config, DEFAULTS,
    config::{FulfilmentConfig, StreamConfig},
    live::Hub,
};
use shared::testing::{Spawned, TestNames, service_config, spawn};

pub const WAIT: Duration = Duration::from_secs(30);

/// order-service's settings for a test: fast fulfilment, short heartbeats, small buffers.
pub fn order_config(names: &TestNames, products: &str, customers: &str) -> Config {
    Config {
        service: service_config(DEFAULTS, names),
        product_service_url: products.to_owned(),
        customer_service_url: customers.to_owned(),
        fulfilment: FulfilmentConfig {
            enabled: true,
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(60),
            poll: Duration::from_millis(20),
        },
        idempotency_ttl: Duration::from_secs(600),
        streams: StreamConfig {
            heartbeat: Duration::from_secs(1),
            buffer: 16,
        },
    }
}

/// One order-service replica and its live hub.
pub struct Replica {
    pub app: Spawned,
    pub hub: Hub,
}

/// Starts an order-service replica with `config` and waits until it is healthy.
pub async fn spawn_replica(config: Config) -> Replica {
    shared::telemetry::init("order-service");
    let hub = Hub::new(config.streams.buffer);
    let running = hub.clone();
    let service = config.service.clone();
    let app = spawn(&service, move |listener, cancel| {
        order_service::run_with_hub(config, listener, cancel, running)
    })
    .await;
    app.wait_healthy(WAIT).await;
    Replica { app, hub }
}
