//! `spawn_app()`: order-service with the real product-service (and, where a test asks, the
//! real customer-service) on random ports, sharing one test's exchange and signing key, each
//! with its own database; typed request helpers and live-stream clients.

use std::time::Duration;

use bson::oid::ObjectId;
use order_service::{
    Config, DEFAULTS,
    config::{FulfilmentConfig, SagaConfig, StreamConfig},
    live::Hub,
};
use shared::{
    auth::Role,
    events::Bus,
    testing::{Spawned, TestNames, bus_config, service_config, spawn},
};
use tokio_util::sync::CancellationToken;

pub const WAIT: Duration = Duration::from_secs(30);
/// No service listens here: a dependency that is down.
pub const NOWHERE: &str = "http://127.0.0.1:9";

/// order-service's settings for a test: its own database, fulfilment steps milliseconds
/// apart, one-second heartbeats, small buffers.
pub fn order_config(names: &TestNames, products: &str, customers: &str) -> Config {
    let mut service = service_config(DEFAULTS, names);
    if let Some(mongo) = service.mongo.as_mut() {
        mongo.database = format!("{}_orders", names.database);
    }
    if let Some(redis) = service.redis.as_mut() {
        redis.prefix = format!("{}orders:", names.redis_prefix);
    }
    Config {
        service,
        product_service_url: products.to_owned(),
        customer_service_url: customers.to_owned(),
        fulfilment: FulfilmentConfig {
            enabled: true,
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(60),
            poll: Duration::from_millis(20),
        },
        // Far beyond any test's wait, except where a test shortens it; polled gently, since
        // every test runs this poller and most never need it.
        saga: SagaConfig {
            timeout: Duration::from_secs(300),
            poll: Duration::from_millis(100),
        },
        idempotency_ttl: Duration::from_secs(600),
        tier_ttl: Duration::from_secs(30),
        orphans: Default::default(),
        payment: shared::payment::Settings::default(),
        // Real days: a subscription's first run happens at once, the next never in a test.
        subscriptions: order_service::config::SubscriptionConfig::default(),
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
    let replica = start_replica(config).await;
    replica.app.wait_healthy(WAIT).await;
    replica
}

/// Starts an order-service replica with `config` without waiting for anything.
pub async fn start_replica(config: Config) -> Replica {
    shared::telemetry::init("order-service");
    let hub = Hub::new(config.streams.buffer);
    let running = hub.clone();
    let service = config.service.clone();
    let app = spawn(&service, move |listener, cancel| {
        order_service::run_with_hub(config, listener, cancel, running)
    })
    .await;
    Replica { app, hub }
}

/// What a test runs against.
pub struct TestApp {
    pub names: TestNames,
    pub orders: Replica,
    pub products: Spawned,
    pub customers: Option<Spawned>,
    pub admin: String,
    pub db: mongodb::Database,
    pub bus: Bus,
    pub bus_cancel: CancellationToken,
}

/// Settings of [`spawn_with`].
pub struct Options {
    /// Whether orders ship and deliver by themselves.
    pub fulfilment: bool,
    /// Whether the real customer-service runs too (default addresses, and the loyalty tier
    /// that every price asks for: without it placing an order or pricing a cart is 503).
    pub customers: bool,
    /// Whether product-service hears of orders (`false`: it answers prices and stock on
    /// another exchange, so `order.created` waits unheard in its queue).
    pub products_hear_orders: bool,
    /// Changes to order-service's settings.
    pub adjust: Box<dyn FnOnce(&mut Config) + Send>,
    /// The test's names, when it prepared something under them before the start.
    pub names: Option<TestNames>,
    /// Whether to wait until order-service is healthy (`false`: it may still be starting).
    pub wait_healthy: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            fulfilment: true,
            customers: true,
            products_hear_orders: true,
            adjust: Box::new(|_| {}),
            names: None,
            wait_healthy: true,
        }
    }
}

/// order-service and product-service, fulfilment on.
pub async fn spawn_app() -> TestApp {
    spawn_with(Options::default()).await
}

/// order-service and product-service with fulfilment off, so statuses stay where tests put them.
pub async fn spawn_without_fulfilment() -> TestApp {
    spawn_with(Options {
        fulfilment: false,
        ..Options::default()
    })
    .await
}

pub async fn spawn_with(options: Options) -> TestApp {
    let names = options.names.unwrap_or_default();
    let products = if options.products_hear_orders {
        spawn_products(&names).await
    } else {
        spawn_products_on(&names, &format!("{}.elsewhere", names.exchange)).await
    };
    let customers = if options.customers {
        Some(spawn_customers(&names).await)
    } else {
        None
    };
    let customers_url = customers
        .as_ref()
        .map_or(NOWHERE.to_owned(), |c| c.base_url.clone());
    let mut config = order_config(&names, &products.base_url, &customers_url);
    config.fulfilment.enabled = options.fulfilment;
    (options.adjust)(&mut config);
    let db = database(&config).await;
    let orders = if options.wait_healthy {
        spawn_replica(config).await
    } else {
        start_replica(config).await
    };
    let bus_cancel = CancellationToken::new();
    let bus = Bus::start(bus_config(&names), "order-service-test", bus_cancel.clone());
    TestApp {
        admin: names.bearer(&ObjectId::new().to_hex(), Role::Admin),
        names,
        orders,
        products,
        customers,
        db,
        bus,
        bus_cancel,
    }
}

/// The database of an order-service configuration, for looking behind the API.
pub async fn database(config: &Config) -> mongodb::Database {
    let mongo = config.service.mongo.as_ref().expect("a database");
    shared::store::mongo(mongo, "test").await.expect("database")
}

/// product-service on the test's database and exchange.
pub async fn spawn_products(names: &TestNames) -> Spawned {
    spawn_products_on(names, &names.exchange).await
}

/// product-service on the test's database but the events exchange `exchange`: with another
/// exchange than order-service's it answers prices and stock but never hears of an order.
pub async fn spawn_products_on(names: &TestNames, exchange: &str) -> Spawned {
    let mut service = service_config(product_service::DEFAULTS, names);
    if let Some(bus) = service.broker.as_mut() {
        exchange.clone_into(&mut bus.exchange);
    }
    let config = product_service::Config {
        service: service.clone(),
        embedding_model_dir: None,
    };
    let app = spawn(&service, |listener, cancel| {
        product_service::run(config, listener, cancel)
    })
    .await;
    app.wait_healthy(WAIT).await;
    app
}

pub async fn spawn_customers(names: &TestNames) -> Spawned {
    let mut service = service_config(customer_service::DEFAULTS, names);
    if let Some(mongo) = service.mongo.as_mut() {
        mongo.database = format!("{}_customers", names.database);
    }
    let config = customer_service::Config::for_tests(service.clone(), names.signer.clone());
    let app = spawn(&service, |listener, cancel| {
        customer_service::run(config, listener, cancel)
    })
    .await;
    app.wait_healthy(WAIT).await;
    app
}
