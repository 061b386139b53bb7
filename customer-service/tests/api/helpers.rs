//! `spawn_app()`: customer-service on a random port with its own database, exchange, Redis
//! prefix and signing key, and typed request helpers.

use std::time::Duration;

use customer_service::{Config, DEFAULTS, config::LoginLimits};
use serde_json::{Value, json};
use shared::{
    auth::service::ServiceSigner,
    testing::{Spawned, TestNames, eventually, service_config, spawn},
};

pub const WAIT: Duration = Duration::from_secs(30);
pub const ADMIN_EMAIL: &str = customer_service::config::TEST_ADMIN_EMAIL;
pub const ADMIN_PASSWORD: &str = customer_service::config::TEST_ADMIN_PASSWORD;
pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub app: Spawned,
    pub names: TestNames,
    /// The suite's service key for this test, as another service (alert-service) holds it.
    pub service_key: ServiceSigner,
}

pub async fn spawn_app() -> TestApp {
    spawn_with(LoginLimits {
        max_failures: 3,
        lock: Duration::from_secs(60),
        per_client_per_minute: 1000,
        // No wait between failures, so tests can fail in a row; the lock still comes.
        delay: Duration::ZERO,
        burst_alert: 1000,
    })
    .await
}

pub async fn spawn_with(limits: LoginLimits) -> TestApp {
    spawn_named(
        TestNames::new(),
        limits,
        customer_service::config::DEFAULT_PRODUCT_SERVICE_URL,
    )
    .await
}

/// customer-service under `names`, asking product-service at `products`.
pub async fn spawn_named(names: TestNames, limits: LoginLimits, products: &str) -> TestApp {
    let products = products.to_owned();
    let app = spawn_starting(names, move |config| {
        config.limits = limits;
        config.product_service_url = products;
    })
    .await;
    app.app.wait_healthy(WAIT).await;
    app
}

/// customer-service under `names` with the tests' configuration as `change` leaves it, taking
/// requests but not waited for: its start-up steps may still be running.
pub async fn spawn_starting(names: TestNames, change: impl FnOnce(&mut Config)) -> TestApp {
    shared::telemetry::init_for_tests("customer-service");
    let service = service_config(DEFAULTS, &names);
    let service_key = ServiceSigner::generate("alert-service");
    let mut config = Config {
        service_tokens: Some(service_key.verifier()),
        ..Config::for_tests(service.clone(), names.signer.clone())
    };
    change(&mut config);
    let app = spawn(&service, |listener, cancel| {
        customer_service::run(config, listener, cancel)
    })
    .await;
    TestApp {
        app,
        names,
        service_key,
    }
}

impl TestApp {
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        bearer: Option<&str>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.app.client.request(method, self.app.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let res = request.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.request("POST", path, Some(body), None).await
    }

    /// `POST /auth/refresh` with `refresh_token`.
    pub async fn refresh(&self, refresh_token: impl serde::Serialize) -> (u16, Value) {
        self.post(
            "/auth/refresh",
            serde_json::json!({ "refreshToken": refresh_token }),
        )
        .await
    }

    pub async fn get_as(&self, path: &str, token: &str) -> (u16, Value) {
        self.request("GET", path, None, Some(token)).await
    }

    /// Registers `email` with [`PASSWORD`] and a full profile; returns the session (`data`).
    pub async fn register(&self, email: &str) -> Value {
        let (status, body) = self
            .post(
                "/auth/register",
                json!({
                    "name": "Ada Lovelace", "email": email, "password": PASSWORD, "phone": "+44 20 7946 0000",
                    "address": { "street": "12 St James's Square", "city": "London", "zipCode": "SW1Y 4JH", "country": "UK" }
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["data"].clone()
    }

    pub async fn login(&self, email: &str, password: &str) -> (u16, Value) {
        self.post(
            "/auth/login",
            json!({ "email": email, "password": password }),
        )
        .await
    }

    /// The admin's access token, once the account has been ensured at start.
    pub async fn admin_token(&self) -> String {
        eventually("the admin account", WAIT, || async {
            let (status, body) = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
            (status == 200).then(|| body["data"]["accessToken"].as_str().unwrap().to_owned())
        })
        .await
    }

    /// Customers stored, the admin excepted.
    pub async fn customer_count(&self) -> u64 {
        let mongo = self.app.config.mongo.as_ref().unwrap();
        let db = shared::store::mongo(mongo, "test").await.unwrap();
        db.collection::<bson::Document>("customers")
            .count_documents(bson::doc! { "email": { "$ne": ADMIN_EMAIL } })
            .await
            .unwrap()
    }

    pub async fn stop(self) {
        self.app.stop_and_clean().await;
    }
}

pub fn token(session: &Value) -> String {
    session["accessToken"]
        .as_str()
        .expect("an access token")
        .to_owned()
}
