//! The drills' rig: the services (order-service on a runtime of its own, its broker link
//! through a proxy), and where each path of the drill's calls goes. [`Options`] point every
//! service at a private Redis (the `redis` drill) or add a second, killable replica of
//! order-service and of product-service on the same databases and queues (`replica`).

use std::{
    future::Future,
    sync::{Arc, RwLock},
    time::Duration,
};

use loadgen::drill::{
    api::Routes,
    replica::{self, Pool},
};
use serde_json::Value;
use shared::{
    auth::Role,
    config::{Env, ServiceConfig},
    server::StartError,
    testing::{Spawned, TcpProxy, TestNames, eventually, service_config, socket_addr_of, spawn},
};
use tokio_util::sync::CancellationToken;

/// Generous on a loaded two-core machine: each wait ends as soon as its condition holds.
pub(super) const WAIT: Duration = Duration::from_secs(60);
pub(super) const ORDERS_PER_WORKER: usize = 10;
pub(super) const WORKERS: usize = 3;
pub(super) const MAIN_STOCK: i64 = 1000;
pub(super) const SCARCE_STOCK: i64 = 3;

/// What a drill's rig differs in.
#[derive(Debug, Clone, Default)]
pub(super) struct Options {
    /// Every service's Redis (a private one the drill may stop); the shared one when `None`.
    pub(super) redis: Option<String>,
    /// A second replica of order-service and of product-service, each killable.
    pub(super) replicas: bool,
}

/// The second replicas, and the pools the calls are spread over.
struct Replicas {
    orders: Isolated,
    products: Isolated,
    order_pool: Arc<Pool>,
    product_pool: Arc<Pool>,
}

/// A service on a tokio runtime of its own, so that it can be killed without a goodbye.
struct Isolated {
    runtime: Option<tokio::runtime::Runtime>,
    base_url: String,
}

impl Isolated {
    fn start<F, Fut>(run: F) -> Self
    where
        F: FnOnce(tokio::net::TcpListener, CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), StartError>> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the service");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            // The token is never cancelled: the service dies with its runtime.
            let _ = run(listener, CancellationToken::new()).await;
        });
        Self {
            runtime: Some(runtime),
            base_url,
        }
    }

    /// Drops every task of the service where it stands.
    fn kill(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Isolated {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The services a drill needs, order-service's broker link through a proxy.
pub(super) struct Rig {
    pub(super) names: TestNames,
    pub(super) products: Spawned,
    /// For the loyalty tier every order's price includes.
    customers: Spawned,
    pub(super) alerts: Spawned,
    pub(super) analytics: Spawned,
    pub(super) proxy: TcpProxy,
    order_config: ServiceConfig,
    orders: Isolated,
    /// In front of order-service: severed before it is killed, so that nothing the dying
    /// runtime still writes (a handler panicking as its database pool's task is dropped
    /// answers 500) reaches a client — a SIGKILLed process writes nothing.
    orders_front: TcpProxy,
    /// order-service's current URL, for the load (it changes when it restarts).
    pub(super) orders_url: Arc<RwLock<String>>,
    client: reqwest::Client,
    replicas: Option<Replicas>,
    /// The admin's `Bearer ...`.
    pub(super) admin: String,
}

fn settings(
    names: &TestNames,
    defaults: shared::config::ServiceDefaults,
    options: &Options,
) -> ServiceConfig {
    let mut service = service_config(defaults, names);
    if let Some(mongo) = service.mongo.as_mut() {
        mongo.database = format!("{}_{}", names.database, defaults.name.replace('-', "_"));
    }
    if let (Some(redis), Some(url)) = (service.redis.as_mut(), &options.redis) {
        redis.url = url.clone();
    }
    service
}

fn start_orders(config: &ServiceConfig, products_url: &str, customers_url: &str) -> Isolated {
    let mut order_config = order_service::Config::from_env(&Env::from_pairs(&[
        ("PRODUCT_SERVICE_URL", products_url),
        ("CUSTOMER_SERVICE_URL", customers_url),
        ("FULFILMENT_ENABLED", "true"),
        ("FULFILMENT_MIN_DELAY_MS", "30"),
        ("FULFILMENT_MAX_DELAY_MS", "80"),
        ("FULFILMENT_POLL_MS", "20"),
        ("STREAM_HEARTBEAT_SECS", "1"),
    ]))
    .expect("order-service settings");
    order_config.service = config.clone();
    Isolated::start(move |l, c| order_service::run(order_config, l, c))
}

/// A proxy in front of `service`.
async fn front(service: &Isolated) -> TcpProxy {
    TcpProxy::start(socket_addr_of(&service.base_url, 80))
        .await
        .expect("a proxy in front of order-service")
}

impl Rig {
    pub(super) async fn start(options: Options) -> Self {
        shared::telemetry::init_for_tests("gateway");
        let names = TestNames::new();
        let product_config = product_service::Config {
            service: settings(&names, product_service::DEFAULTS, &options),
            embedding_model_dir: None,
        };
        let second_products = options.replicas.then(|| {
            let config = product_config.clone();
            Isolated::start(move |l, c| product_service::run(config, l, c))
        });
        let service = product_config.service.clone();
        let products = spawn(&service, |l, c| product_service::run(product_config, l, c)).await;
        let mut customer_config =
            customer_service::Config::from_env(&Env::from_pairs(&[("APP_ENV", "development")]))
                .expect("customer-service settings");
        customer_config.service = settings(&names, customer_service::DEFAULTS, &options);
        customer_config.signer = names.signer.clone();
        let service = customer_config.service.clone();
        let customers = spawn(&service, |l, c| {
            customer_service::run(customer_config, l, c)
        })
        .await;

        let proxy = TcpProxy::start(socket_addr_of(&shared::testing::amqp_url(), 5672))
            .await
            .expect("a proxy to the broker");
        let mut order_config = settings(&names, order_service::DEFAULTS, &options);
        if let Some(bus) = order_config.broker.as_mut() {
            bus.url = proxy.rewrite(&bus.url);
        }
        let orders = start_orders(&order_config, &products.base_url, &customers.base_url);
        let replicas = second_products.map(|second| {
            let second_orders = start_orders(&order_config, &second.base_url, &customers.base_url);
            Replicas {
                order_pool: Pool::new(&[orders.base_url.clone(), second_orders.base_url.clone()]),
                product_pool: Pool::new(&[products.base_url.clone(), second.base_url.clone()]),
                orders: second_orders,
                products: second,
            }
        });

        let mut alert_config = alert_service::Config::from_env(&Env::from_pairs(&[
            ("STREAM_HEARTBEAT_SECS", "1"),
            ("SMTP_URL", "off"),
        ]))
        .expect("alert-service settings");
        alert_config.service = settings(&names, alert_service::DEFAULTS, &options);
        let service = alert_config.service.clone();
        let alerts = spawn(&service, |l, c| alert_service::run(alert_config, l, c)).await;
        let analytics_config = analytics_service::Config::for_tests(
            settings(&names, analytics_service::DEFAULTS, &options),
            &orders.base_url,
        );
        let service = analytics_config.service.clone();
        let analytics = spawn(&service, |l, c| {
            analytics_service::run(analytics_config, l, c)
        })
        .await;
        for app in [&products, &customers, &alerts, &analytics] {
            app.wait_healthy(WAIT).await;
        }
        let orders_front = front(&orders).await;
        let rig = Self {
            admin: names.bearer("000000000000000000000001", Role::Admin),
            names,
            products,
            customers,
            alerts,
            analytics,
            proxy,
            orders_url: Arc::new(RwLock::new(orders_front.rewrite(&orders.base_url))),
            orders,
            orders_front,
            order_config,
            replicas,
            client: shared::http::client_builder(&shared::http::Trust::system())
                .timeout(Duration::from_secs(10))
                .build()
                .expect("a client"),
        };
        rig.wait_orders_healthy().await;
        if let Some(r) = &rig.replicas {
            rig.wait_healthy(&r.orders.base_url).await;
            rig.wait_healthy(&r.products.base_url).await;
        }
        rig
    }

    fn orders_url(&self) -> String {
        self.orders_url.read().expect("url").clone()
    }

    /// Each path to the service that owns it; order-service's URL as it is at the call. With
    /// replicas, `/orders` and `/products` take turns over the replicas still up.
    pub(super) fn routes(&self) -> Routes {
        let rest = self.single_routes();
        match &self.replicas {
            Some(r) => replica::routes(r.order_pool.clone(), r.product_pool.clone(), rest),
            None => rest,
        }
    }

    fn single_routes(&self) -> Routes {
        let orders = self.orders_url.clone();
        let products = self.products.base_url.clone();
        let analytics = self.analytics.base_url.clone();
        let alerts = self.alerts.base_url.clone();
        std::sync::Arc::new(move |path: &str| {
            let base = if path.starts_with("/orders") {
                orders.read().expect("url").clone()
            } else if path.starts_with("/products") {
                products.clone()
            } else if path.starts_with("/analytics") {
                analytics.clone()
            } else {
                alerts.clone()
            };
            format!("{base}{path}")
        })
    }

    async fn wait_orders_healthy(&self) {
        self.wait_healthy(&self.orders_url()).await;
    }

    async fn wait_healthy(&self, base: &str) {
        let url = format!("{base}/health");
        eventually("order-service to be healthy", WAIT, || async {
            let answer = self.client.get(&url).send().await.ok()?;
            let body: Value = answer.json().await.ok()?;
            (body["data"]["status"] == "ok").then_some(())
        })
        .await;
    }

    /// Kills order-service (its clients cut off first) and starts it again on the same
    /// databases and exchange.
    pub(super) async fn restart_orders(&mut self) {
        self.orders_front.sever();
        self.orders.kill();
        self.orders = start_orders(
            &self.order_config,
            &self.products.base_url,
            &self.customers.base_url,
        );
        self.orders_front = front(&self.orders).await;
        *self.orders_url.write().expect("url") = self.orders_front.rewrite(&self.orders.base_url);
        self.wait_orders_healthy().await;
    }

    /// Kills (as SIGKILL would) the second replica of order-service and of product-service,
    /// and only then takes them out of the turn, as a load balancer notices a dead replica;
    /// they are not started again.
    pub(super) fn kill_replicas(&mut self) -> String {
        let r = self.replicas.as_mut().expect("a rig with replicas");
        r.orders.kill();
        r.products.kill();
        r.order_pool.down(&r.orders.base_url);
        r.product_pool.down(&r.products.base_url);
        format!(
            "one of two order-services and one of two product-services killed, not restarted \
             ({} and {} left in the turn)",
            r.order_pool.up(),
            r.product_pool.up()
        )
    }

    pub(super) async fn stop(self) {
        let Self {
            products,
            customers,
            alerts,
            analytics,
            mut orders,
            order_config,
            replicas,
            ..
        } = self;
        orders.kill();
        if let Some(mut r) = replicas {
            r.orders.kill();
            r.products.kill();
        }
        if let Some(mongo) = &order_config.mongo
            && let Ok(db) = shared::store::mongo(mongo, "test-cleanup").await
        {
            let _ = db.drop().await;
        }
        analytics.stop_and_clean().await;
        alerts.stop_and_clean().await;
        products.stop_and_clean().await;
        customers.stop_and_clean().await;
    }
}
