//! The calls a drill makes, through the gateway (`cargo xtask drill`) or to each service
//! directly (the gateway's tests): [`Routes`] says where a path goes. An [`Account`] signs in
//! again when its token is refused.

use std::{
    sync::{Arc, RwLock},
    time::Duration,
};

use anyhow::{Result, anyhow, bail};
use reqwest::{Client, Method};
use serde_json::{Value, json};
use tokio::time::Instant;

/// How long one request may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a setup or check call waits out 429s and outages before it gives up.
const PATIENCE: Duration = Duration::from_secs(60);
/// The password of the customers a drill registers.
const PASSWORD: &str = "drill-password-1";

/// Where a path (`/orders/..`, `/products/..`) goes: the gateway's `/api` for every path, or
/// the owning service's URL (which may change when a test restarts it).
pub type Routes = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// Every path under one base: `http://127.0.0.1:5000/api`.
pub fn under(base: &str) -> Routes {
    let base = base.trim_end_matches('/').to_owned();
    Arc::new(move |path| format!("{base}{path}"))
}

/// An answer: the status, the body (`Null` when it is not JSON), `Retry-After` in seconds.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub json: Value,
    /// `Retry-After`, in seconds.
    pub retry_after: Option<u64>,
}

impl Answer {
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `503 the database is unavailable`.
    pub fn describe(&self) -> String {
        let message = self.json["error"]["message"].as_str().unwrap_or("");
        format!("{} {message}", self.status).trim().to_owned()
    }
}

/// A caller: a bearer token and, for an account that can sign in, its credentials. In
/// development customer-service makes a fresh signing key at every start, so the `service`
/// drill's restart of it invalidates every token (production keeps `JWT_PRIVATE_KEY`).
#[derive(Debug, Clone)]
pub struct Account {
    credentials: Option<(String, String)>,
    bearer: Arc<RwLock<String>>,
}

impl Account {
    /// An account that signs in again with `email` and `password` when refused.
    pub fn new(email: &str, password: &str, token: &str) -> Self {
        Self {
            credentials: Some((email.to_owned(), password.to_owned())),
            bearer: Arc::new(RwLock::new(format!("Bearer {token}"))),
        }
    }

    /// A caller with a fixed `Bearer ...` (a token a test signed).
    pub fn token(bearer: &str) -> Self {
        Self {
            credentials: None,
            bearer: Arc::new(RwLock::new(bearer.to_owned())),
        }
    }

    /// `Bearer <token>`, the latest.
    pub fn bearer(&self) -> String {
        self.bearer
            .read()
            .map_or_else(|e| e.into_inner().clone(), |b| b.clone())
    }
}

/// The suite as a drill calls it.
#[derive(Clone)]
pub struct Api {
    /// A client without a total timeout (streams stay open); each call sets [`TIMEOUT`].
    pub client: Client,
    /// Where each path goes.
    pub routes: Routes,
}

impl Api {
    /// A client trusting what the services trust, calling `routes`.
    pub fn new(routes: Routes) -> Result<Self> {
        let client = shared::http::client_builder(&crate::api::trust()?)
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self { client, routes })
    }

    /// The request [`Api::call`] sends (also for streams, which get no total timeout).
    pub fn request(
        &self,
        method: Method,
        path: &str,
        caller: Option<&Account>,
        headers: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let mut request = self.client.request(method, (self.routes)(path));
        if let Some(caller) = caller {
            request = request.header("authorization", caller.bearer());
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request
    }

    /// One request; an answer, or the transport error (nothing heard back). A 401 makes
    /// `caller` sign in again (when it can), and the request goes once more.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        caller: Option<&Account>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> reqwest::Result<Answer> {
        let answer = self
            .call_once(method.clone(), path, caller, body, headers)
            .await?;
        match caller {
            Some(caller)
                if answer.status == 401
                    && caller.credentials.is_some()
                    // Boxed: signing in is itself a call.
                    && Box::pin(self.sign_in(caller)).await.is_ok() =>
            {
                self.call_once(method, path, Some(caller), body, headers)
                    .await
            }
            _ => Ok(answer),
        }
    }

    async fn call_once(
        &self,
        method: Method,
        path: &str,
        caller: Option<&Account>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> reqwest::Result<Answer> {
        let mut request = self.request(method, path, caller, headers).timeout(TIMEOUT);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let bytes = response.bytes().await?;
        Ok(Answer {
            status,
            json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            retry_after,
        })
    }

    /// Signs `account` in again (`POST /auth/login`) and keeps the new token.
    pub async fn sign_in(&self, account: &Account) -> Result<()> {
        let (email, password) = account
            .credentials
            .as_ref()
            .ok_or_else(|| anyhow!("this caller has a fixed token"))?;
        let body = json!({ "email": email, "password": password });
        let data = self
            .data(Method::POST, "/auth/login", None, Some(&body))
            .await?;
        let token = data["accessToken"]
            .as_str()
            .ok_or_else(|| anyhow!("POST /auth/login answered without a token"))?;
        if let Ok(mut bearer) = account.bearer.write() {
            *bearer = format!("Bearer {token}");
        }
        Ok(())
    }

    /// A call for setting up or checking: 429, 502, 503, 504 and transport errors are tried
    /// again for up to a minute; then the 2xx answer's `data`, or an error.
    pub async fn data(
        &self,
        method: Method,
        path: &str,
        caller: Option<&Account>,
        body: Option<&Value>,
    ) -> Result<Value> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let why = match self.call(method.clone(), path, caller, body, &[]).await {
                Ok(answer) if answer.ok() => return Ok(answer.json["data"].clone()),
                Ok(answer) if matches!(answer.status, 429 | 502 | 503 | 504) => {
                    let wait = answer.retry_after.unwrap_or(1).clamp(1, 10);
                    tokio::time::sleep(Duration::from_secs(wait)).await;
                    answer.describe()
                }
                Ok(answer) => bail!("{method} {path}: {}", answer.describe()),
                Err(error) => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    error.to_string()
                }
            };
            if Instant::now() > deadline {
                bail!("{method} {path}: still {why} after {}s", PATIENCE.as_secs());
            }
        }
    }

    /// Signs in with `email` and `password`.
    pub async fn account(&self, email: &str, password: &str) -> Result<Account> {
        let account = Account::new(email, password, "");
        self.sign_in(&account).await?;
        Ok(account)
    }

    /// Registers a fresh customer (with an address on file) and returns it signed in.
    pub async fn register(&self, email: &str, name: &str) -> Result<Account> {
        let body = json!({ "name": name, "email": email, "password": PASSWORD,
                           "address": address() });
        let data = self
            .data(Method::POST, "/auth/register", None, Some(&body))
            .await?;
        match data["accessToken"].as_str() {
            Some(token) => Ok(Account::new(email, PASSWORD, token)),
            None => Err(anyhow!("POST /auth/register answered without a token")),
        }
    }

    /// Creates a product as the admin (the price in cents); its id.
    pub async fn product(
        &self,
        admin: &Account,
        name: &str,
        cents: u32,
        stock: i64,
    ) -> Result<String> {
        let price = f64::from(cents) / 100.0;
        let body = json!({ "name": name, "description": "Made by a fault drill.",
                           "price": price, "category": "Drill", "stock": stock,
                           "lowStockThreshold": 0 });
        let data = self
            .data(Method::POST, "/products", Some(admin), Some(&body))
            .await?;
        data["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("POST /products answered without an id"))
    }

    /// A product's stock now.
    pub async fn stock(&self, admin: &Account, product: &str) -> Result<i64> {
        let path = format!("/products/{product}");
        let data = self.data(Method::GET, &path, Some(admin), None).await?;
        data["stock"]
            .as_i64()
            .ok_or_else(|| anyhow!("GET {path} answered without a stock"))
    }

    /// Every item of a paged list (`limit=100`, page by page).
    pub async fn all_pages(&self, path: &str, caller: &Account) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        for page in 1.. {
            let separator = if path.contains('?') { '&' } else { '?' };
            let path = format!("{path}{separator}limit=100&page={page}");
            let data = self.data(Method::GET, &path, Some(caller), None).await?;
            let batch = data.as_array().cloned().unwrap_or_default();
            let last = batch.len() < 100;
            items.extend(batch);
            if last {
                break;
            }
        }
        Ok(items)
    }
}

/// The shipping address of the drill's customers and orders.
pub fn address() -> Value {
    json!({ "street": "1 Drill Lane", "city": "Faultville", "zipCode": "12345", "country": "US" })
}

/// `true` for the statuses an order never leaves.
pub fn is_final(status: &str) -> bool {
    matches!(status, "DELIVERED" | "CANCELLED" | "REJECTED")
}

/// `true` for the statuses whose stock stays taken.
pub fn holds_stock(status: &str) -> bool {
    matches!(status, "PROCESSING" | "SHIPPED" | "DELIVERED")
}
