//! Spawning product-service with its own database, exchange and Redis prefix; typed requests;
//! reading what it stored.

use std::{path::PathBuf, time::Duration};

use bson::{Document, doc, oid::ObjectId};
use product_service::{Config, DEFAULTS};
use serde_json::{Value, json};
use shared::{
    auth::Role,
    config::ServiceConfig,
    testing::{Spawned, TestNames, service_config, spawn},
};

/// How long anything asynchronous may take before a test fails.
pub const WAIT: Duration = Duration::from_secs(30);

/// A running product-service and handles on what it uses.
pub struct TestApp {
    /// The service.
    pub app: Spawned,
    /// The test's unique names.
    pub names: TestNames,
    /// The service's database, for looking behind the API.
    pub db: mongodb::Database,
    pub admin: String,
    customer: String,
}

/// product-service with the test's own database, exchange and Redis prefix, once every
/// dependency is connected (token checks need Redis for the revocation list).
pub async fn spawn_app() -> TestApp {
    let app = spawn_with(TestNames::new(), |_| {}).await;
    app.app.wait_healthy(WAIT).await;
    app
}

/// product-service over `names`, its configuration adjusted by `adjust` first; returns at
/// once, whatever state its dependencies are in.
pub async fn spawn_with(names: TestNames, adjust: impl FnOnce(&mut ServiceConfig)) -> TestApp {
    spawn_model(names, adjust, None).await
}

/// product-service over `names` with the embedding model in `model_dir` (see
/// `shared::testing::embedding_model_dir`); returns once it is healthy.
pub async fn spawn_with_model(names: TestNames, model_dir: Option<PathBuf>) -> TestApp {
    let app = spawn_model(names, |_| {}, model_dir).await;
    app.app.wait_healthy(WAIT).await;
    app
}

async fn spawn_model(
    names: TestNames,
    adjust: impl FnOnce(&mut ServiceConfig),
    embedding_model_dir: Option<PathBuf>,
) -> TestApp {
    let mut service = service_config(DEFAULTS, &names);
    adjust(&mut service);
    let config = Config {
        service: service.clone(),
        embedding_model_dir,
    };
    let app = spawn(&service, |listener, cancel| {
        product_service::run(config, listener, cancel)
    })
    .await;
    let mongo = shared::config::MongoConfig {
        uri: shared::testing::mongodb_uri(),
        database: names.database.clone(),
    };
    let db = shared::store::mongo(&mongo, "test")
        .await
        .expect("database");
    TestApp {
        app,
        admin: names.bearer("admin-1", Role::Admin),
        customer: names.bearer("customer-1", Role::Customer),
        names,
        db,
    }
}

/// A valid product body.
pub fn product(name: &str, price: f64, stock: i64) -> Value {
    json!({
        "name": name,
        "description": format!("About {name}."),
        "price": price,
        "category": "General",
        "tags": [],
        "stock": stock,
    })
}

/// Who makes a request.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum As {
    /// No token.
    Anonymous,
    /// A customer's token.
    Customer,
    /// An admin's token.
    Admin,
}

impl TestApp {
    /// Any request; the answer's status and JSON body.
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        who: As,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self.app.client.request(method, self.app.url(path));
        match who {
            As::Anonymous => {}
            As::Customer => request = request.header("authorization", &self.customer),
            As::Admin => request = request.header("authorization", &self.admin),
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `POST /products` as an admin.
    pub async fn create(&self, body: &Value) -> (u16, Value) {
        self.request(reqwest::Method::POST, "/products", As::Admin, Some(body))
            .await
    }

    /// Creates a product and returns it (`data`).
    pub async fn create_ok(&self, body: &Value) -> Value {
        let (status, answer) = self.create(body).await;
        assert_eq!(status, 201, "{answer}");
        answer["data"].clone()
    }

    /// `PUT /products/{id}` as an admin.
    pub async fn replace(&self, id: &str, body: &Value) -> (u16, Value) {
        let path = format!("/products/{id}");
        self.request(reqwest::Method::PUT, &path, As::Admin, Some(body))
            .await
    }

    /// `DELETE /products/{id}` as an admin.
    pub async fn delete(&self, id: &str) -> (u16, Value) {
        let path = format!("/products/{id}");
        self.request(reqwest::Method::DELETE, &path, As::Admin, None)
            .await
    }

    /// `GET /products/{id}`, anonymously.
    pub async fn get_product(&self, id: &str) -> (u16, Value) {
        self.app.get(&format!("/products/{id}")).await
    }

    /// `GET /products?<query>`, anonymously.
    pub async fn list(&self, query: &str) -> (u16, Value) {
        self.app.get(&format!("/products?{query}")).await
    }

    /// The names of the products `GET /products?<query>` answers, in order.
    pub async fn list_names(&self, query: &str) -> Vec<String> {
        let (status, body) = self.list(query).await;
        assert_eq!(status, 200, "{body}");
        names_of(&body)
    }

    /// Product documents in the database, deleted ones included.
    pub async fn count_products(&self) -> u64 {
        self.db
            .collection::<Document>("products")
            .count_documents(doc! {})
            .await
            .expect("count")
    }

    /// The stored product document.
    pub async fn product_doc(&self, id: &str) -> Document {
        let id = ObjectId::parse_str(id).expect("an ObjectId");
        self.db
            .collection::<Document>("products")
            .find_one(doc! { "_id": id })
            .await
            .expect("query")
            .expect("the product exists")
    }

    /// The stored stock of a product.
    pub async fn stock_of(&self, id: &str) -> i64 {
        product_service::store::int(&self.product_doc(id).await, "stock").expect("a stock")
    }

    /// The stored reservation of an order.
    pub async fn reservation(&self, order_id: &str) -> Option<Document> {
        self.db
            .collection::<Document>("reservations")
            .find_one(doc! { "_id": order_id })
            .await
            .expect("query")
    }

    /// The holds written for `product` (`stock_holds`), in no particular order.
    pub async fn holds_of(&self, product: &str) -> Vec<Document> {
        use futures::TryStreamExt;
        self.db
            .collection::<Document>("stock_holds")
            .find(doc! { "productId": product })
            .await
            .expect("query")
            .try_collect()
            .await
            .expect("holds")
    }

    /// Every Redis key under this test's prefix.
    pub async fn cache_keys(&self) -> Vec<String> {
        let mut conn = redis_connection().await;
        let pattern = format!("{}*", self.names.redis_prefix);
        redis::cmd("KEYS")
            .arg(pattern)
            .query_async(&mut conn)
            .await
            .expect("KEYS")
    }

    /// Stops the service, drops its database and its Redis keys.
    pub async fn stop(self) {
        let keys = self.cache_keys().await;
        if !keys.is_empty() {
            let mut conn = redis_connection().await;
            let _: () = redis::cmd("DEL")
                .arg(keys)
                .query_async(&mut conn)
                .await
                .expect("DEL");
        }
        self.app.stop_and_clean().await;
    }
}

async fn redis_connection() -> redis::aio::MultiplexedConnection {
    redis::Client::open(shared::testing::redis_url())
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("redis")
}

/// Fails unless `product` is free of per-order bookkeeping: no legacy `reservations`, no
/// `taking`/`givingBack` marker (nor a take's split) left, nothing on its way back.
pub fn assert_no_per_order_fields(product: &Document) {
    assert!(!product.contains_key("reservations"), "{product}");
    for map in ["taking", "takingFrom", "givingBack"] {
        let left = product.get_document(map).map(Document::len).unwrap_or(0);
        assert_eq!(left, 0, "{map} left on {product}");
    }
    assert_eq!(
        product_service::store::int(product, "returningUnits").unwrap_or(0),
        0,
        "{product}"
    );
}

/// The `name`s of a list answer's `data`, in order.
pub fn names_of(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| p["name"].as_str().expect("a name").to_owned())
        .collect()
}
