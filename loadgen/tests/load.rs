//! The loads against real services spawned in this process (their own database, exchange and
//! Redis prefix), tiny enough to run in CI: a few subscribers of one order, and one short
//! stage of the orders mix through the gateway.

use std::time::Duration;

use loadgen::{orders, streams};
use serde_json::Value;
use shared::{
    auth::KeySource,
    config::{Env, ServiceConfig, ServiceDefaults},
    testing::{Spawned, TestNames, service_config, spawn},
};

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "admin-loadgen-password";
const WAIT: Duration = Duration::from_secs(30);

/// Customer-, product- and order-service (and the gateway, when asked) on random ports.
struct Stack {
    customers: Spawned,
    products: Spawned,
    orders: Spawned,
    gateway: Option<Spawned>,
}

fn settings(defaults: ServiceDefaults, names: &TestNames) -> ServiceConfig {
    let mut service = service_config(defaults, names);
    if let Some(mongo) = service.mongo.as_mut() {
        mongo.database = format!("{}_{}", names.database, defaults.name.replace('-', "_"));
    }
    service
}

async fn stack(fulfilment: bool, with_gateway: bool) -> Stack {
    shared::telemetry::init_for_tests("loadgen");
    let names = TestNames::new();
    let mut customer_config = customer_service::Config::from_env(&Env::from_pairs(&[
        ("APP_ENV", "development"),
        ("ADMIN_EMAIL", ADMIN_EMAIL),
        ("ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("LOGIN_MAX_PER_CLIENT", "100000"),
        ("LOGIN_MAX_FAILURES", "100000"),
    ]))
    .expect("customer-service settings");
    customer_config.service = settings(customer_service::DEFAULTS, &names);
    customer_config.signer = names.signer.clone();
    let service = customer_config.service.clone();
    let customers = spawn(&service, |l, c| {
        customer_service::run(customer_config, l, c)
    })
    .await;

    let product_config = product_service::Config {
        service: settings(product_service::DEFAULTS, &names),
        embedding_model_dir: None,
    };
    let service = product_config.service.clone();
    let products = spawn(&service, |l, c| product_service::run(product_config, l, c)).await;

    let mut order_config = order_service::Config::from_env(&Env::from_pairs(&[
        ("APP_ENV", "development"),
        ("PRODUCT_SERVICE_URL", products.base_url.as_str()),
        ("CUSTOMER_SERVICE_URL", customers.base_url.as_str()),
        (
            "FULFILMENT_ENABLED",
            if fulfilment { "true" } else { "false" },
        ),
        ("FULFILMENT_MIN_DELAY_MS", "20"),
        ("FULFILMENT_MAX_DELAY_MS", "50"),
        ("FULFILMENT_POLL_MS", "20"),
    ]))
    .expect("order-service settings");
    order_config.service = settings(order_service::DEFAULTS, &names);
    let service = order_config.service.clone();
    let orders = spawn(&service, |l, c| order_service::run(order_config, l, c)).await;

    let gateway = if with_gateway {
        let mut pairs = vec![
            ("APP_ENV", "development"),
            ("CUSTOMER_SERVICE_URL", customers.base_url.as_str()),
            ("PRODUCT_SERVICE_URL", products.base_url.as_str()),
            ("ORDER_SERVICE_URL", orders.base_url.as_str()),
        ];
        for quota in [
            "RATE_LIMIT_AUTH_PER_MIN",
            "RATE_LIMIT_ASSISTANT_PER_MIN",
            "RATE_LIMIT_CATALOG_PER_MIN",
            "RATE_LIMIT_CLICKSTREAM_PER_MIN",
            "RATE_LIMIT_DEFAULT_PER_MIN",
        ] {
            pairs.push((quota, "100000"));
        }
        let mut config = gateway::Config::from_env(&Env::from_pairs(&pairs)).expect("gateway");
        config.service = service_config(gateway::DEFAULTS, &names);
        config.service.auth =
            KeySource::Jwks(format!("{}/.well-known/jwks.json", customers.base_url));
        let service = config.service.clone();
        Some(spawn(&service, |l, c| gateway::run(config, l, c)).await)
    } else {
        None
    };
    for app in [&customers, &products, &orders]
        .into_iter()
        .chain(gateway.as_ref())
    {
        app.wait_healthy(WAIT).await;
    }
    Stack {
        customers,
        products,
        orders,
        gateway,
    }
}

impl Stack {
    async fn stop(self) {
        if let Some(gateway) = self.gateway {
            gateway.stop_and_clean().await;
        }
        self.orders.stop_and_clean().await;
        self.products.stop_and_clean().await;
        self.customers.stop_and_clean().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subscriber_of_both_kinds_gets_both_changes_and_memory_is_read() {
    let stack = stack(false, false).await;
    let params = streams::Params {
        orders: stack.orders.base_url.clone(),
        customers: stack.customers.base_url.clone(),
        products: stack.products.base_url.clone(),
        admin_email: ADMIN_EMAIL.to_owned(),
        admin_password: ADMIN_PASSWORD.to_owned(),
        run: uuid_like(),
        n: 12,
        sse: true,
        ws: true,
        pid: Some(std::process::id()),
        reach_secs: 10.0,
        sources: 3,
        connect_concurrency: 4,
    };

    let figures = streams::run(&params).await.expect("the streams load runs");
    stack.stop().await;

    assert_eq!(figures["opened"]["sse"], 12, "{figures}");
    assert_eq!(figures["opened"]["ws"], 12, "{figures}");
    assert!(figures["rssKiB"]["afterWs"].as_u64().is_some(), "{figures}");
    let changes = figures["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 2);
    for change in changes {
        assert_eq!(change["allReached"], true, "{change}");
        assert_eq!(change["reached"]["sse"], 12, "{change}");
        assert_eq!(change["reached"]["ws"], 12, "{change}");
        let p99 = change["fromStoredMs"]["p99"].as_f64().expect("p99");
        assert!((0.0..10_000.0).contains(&p99), "{change}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_stage_of_the_orders_mix_places_orders_and_follows_them_to_delivery() {
    let stack = stack(true, true).await;
    let gateway = stack.gateway.as_ref().expect("a gateway").base_url.clone();
    let params = orders::Params {
        gateway,
        admin_email: ADMIN_EMAIL.to_owned(),
        admin_password: ADMIN_PASSWORD.to_owned(),
        run: uuid_like(),
        rates: vec![3.0],
        stage_secs: 2.0,
        customers: 2,
        login_every: 3,
        follow_secs: 20.0,
        max_in_flight: 100,
        paths: vec![orders::Path::Direct, orders::Path::Shop],
        // One, so that a session finding it leased registers another.
        shop_customers: 1,
        coupon_every: 2,
    };

    let figures = orders::run(&params).await.expect("the orders load runs");
    stack.stop().await;

    assert_eq!(figures["paths"], serde_json::json!(["direct", "shop"]));
    assert_eq!(figures["stages"], figures["byPath"]["direct"]["stages"]);
    let stage = &figures["stages"][0];
    assert_eq!(stage["path"], "direct", "{figures}");
    assert_eq!(stage["ordersOk"], 6, "{figures}");
    assert_eq!(stage["streams"]["finished"], 6, "{figures}");
    assert_eq!(
        stage["errors"],
        Value::Object(Default::default()),
        "{figures}"
    );
    for kind in ["browse", "search", "product", "login", "order"] {
        assert!(
            stage["latencyMs"][kind]["count"].as_u64() > Some(0),
            "{kind}: {figures}"
        );
    }
    // SHIPPED and DELIVERED at least: the fulfilment steps happen after the stream opened.
    assert!(
        stage["eventToClientMs"]["count"].as_u64() >= Some(12),
        "{figures}"
    );

    // The shop path: cart, coupon (sessions 0, 2 and 4), quote and checkout with the test
    // card; every order was priced as its cart's quote to the cent (a difference would be an
    // error) and was paid and delivered.
    let shop = &figures["byPath"]["shop"]["stages"][0];
    assert_eq!(shop["path"], "shop", "{figures}");
    assert_eq!(shop["placing"], "checkout", "{figures}");
    assert_eq!(shop["ordersOk"], 6, "{figures}");
    assert_eq!(shop["streams"]["finished"], 6, "{figures}");
    assert_eq!(
        shop["errors"],
        Value::Object(Default::default()),
        "{figures}"
    );
    assert_eq!(shop["latencyMs"]["cart"]["count"], 12, "{figures}");
    assert_eq!(shop["latencyMs"]["coupon"]["count"], 3, "{figures}");
    assert_eq!(shop["latencyMs"]["quote"]["count"], 6, "{figures}");
    assert_eq!(shop["latencyMs"]["checkout"]["count"], 6, "{figures}");
    assert!(
        shop["latencyMs"]["clear"].is_null(),
        "no failed checkout: {figures}"
    );
    let pool = &shop["customers"];
    assert!(pool["pool"].as_u64() >= Some(1), "{figures}");
    assert_eq!(
        pool["pool"].as_u64(),
        pool["registeredDuringStage"].as_u64().map(|n| n + 1),
        "{figures}"
    );
    assert!(
        shop["eventToClientMs"]["count"].as_u64() >= Some(12),
        "{figures}"
    );
    assert!(
        shop["loadAverage"]["start"][0].as_f64().is_some(),
        "{figures}"
    );
    // One rate, so one stage each (sustained or not: the machine may be busy).
    assert_eq!(
        figures["byPath"]["shop"]["stages"].as_array().map(Vec::len),
        Some(1)
    );
}

/// A short unique token for names.
fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("t{nanos:x}")
}

/// `loadgen clean` removes a run's queues (retry queues too), its exchange and dead-letter
/// parts, its databases and its Redis keys, and nothing of another run's with a longer id.
#[tokio::test]
async fn clean_removes_what_a_run_left_and_nothing_of_another_run() {
    use lapin::{
        Connection,
        options::{ExchangeDeclareOptions, QueueDeclareOptions},
        types::FieldTable,
    };
    let id = TestNames::new().id;
    let (run, other) = (format!("{id}a"), format!("{id}ab"));
    let exchange = |run: &str| format!("bench.test.{run}");
    let queues = |run: &str| {
        [
            format!("{}.order-service.stock", exchange(run)),
            format!("{}.order-service.stock.retry.500", exchange(run)),
            format!("{}.dead-letter", exchange(run)),
        ]
    };
    let amqp = shared::testing::amqp_url();
    let connection = Connection::connect(&amqp, Default::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    for r in [&run, &other] {
        for name in [exchange(r), format!("{}.dlx", exchange(r))] {
            channel
                .exchange_declare(
                    name.as_str().into(),
                    lapin::ExchangeKind::Topic,
                    ExchangeDeclareOptions::default(),
                    FieldTable::default(),
                )
                .await
                .unwrap();
        }
        for queue in queues(r) {
            channel
                .queue_declare(
                    queue.as_str().into(),
                    QueueDeclareOptions::default(),
                    FieldTable::default(),
                )
                .await
                .unwrap();
        }
    }
    let mongo = mongodb::Client::with_uri_str(shared::testing::mongodb_uri())
        .await
        .unwrap();
    for r in [&run, &other] {
        mongo
            .database(&format!("bench_{r}_orders"))
            .collection::<bson::Document>("orders")
            .insert_one(bson::doc! {"n": 1})
            .await
            .unwrap();
    }
    let redis = redis::Client::open(shared::testing::redis_url()).unwrap();
    let mut keys = redis.get_multiplexed_async_connection().await.unwrap();
    for r in [&run, &other] {
        let () = redis::AsyncCommands::set(&mut keys, format!("bench:{r}:k"), 1)
            .await
            .unwrap();
    }

    // As `cargo xtask bench` calls it: every queue on the broker, the run's among them.
    let mut listed: Vec<String> = queues(&run).into();
    listed.extend(queues(&other));
    let said = loadgen::clean::run(&loadgen::clean::Params {
        mongodb: shared::testing::mongodb_uri(),
        amqp: amqp.clone(),
        redis: shared::testing::redis_url(),
        run: run.clone(),
        exchange: exchange(&run),
        queues: listed,
    })
    .await
    .unwrap();
    assert_eq!(said["queues"], 3, "{said}");
    assert_eq!(said["databases"], 1, "{said}");
    assert_eq!(said["redisKeys"], 1, "{said}");

    // A passive declare of a missing queue or exchange closes the channel: one each.
    let exists = |queue: String| {
        let connection = &connection;
        async move {
            let channel = connection.create_channel().await.unwrap();
            channel
                .queue_declare(
                    queue.as_str().into(),
                    QueueDeclareOptions {
                        passive: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await
                .is_ok()
        }
    };
    let exchange_exists = |name: String| {
        let connection = &connection;
        async move {
            let channel = connection.create_channel().await.unwrap();
            channel
                .exchange_declare(
                    name.as_str().into(),
                    lapin::ExchangeKind::Topic,
                    ExchangeDeclareOptions {
                        passive: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await
                .is_ok()
        }
    };
    for queue in queues(&run) {
        assert!(!exists(queue.clone()).await, "{queue} is still there");
    }
    for queue in queues(&other) {
        assert!(
            exists(queue.clone()).await,
            "{queue} of the other run is gone"
        );
    }
    assert!(!exchange_exists(exchange(&run)).await);
    assert!(!exchange_exists(format!("{}.dlx", exchange(&run))).await);
    assert!(exchange_exists(exchange(&other)).await);
    let names = mongo.list_database_names().await.unwrap();
    assert!(!names.contains(&format!("bench_{run}_orders")));
    assert!(names.contains(&format!("bench_{other}_orders")));
    let left: Option<i64> = redis::AsyncCommands::get(&mut keys, format!("bench:{run}:k"))
        .await
        .unwrap();
    let kept: Option<i64> = redis::AsyncCommands::get(&mut keys, format!("bench:{other}:k"))
        .await
        .unwrap();
    assert_eq!((left, kept), (None, Some(1)));

    // The other run is this test's to remove too.
    loadgen::clean::run(&loadgen::clean::Params {
        mongodb: shared::testing::mongodb_uri(),
        amqp,
        redis: shared::testing::redis_url(),
        run: other.clone(),
        exchange: exchange(&other),
        queues: queues(&other).into(),
    })
    .await
    .unwrap();
    let _ = connection.close(200, "done".into()).await;
}
