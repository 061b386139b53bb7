//! The public API as the drill uses it, through the gateway: accounts and products to drive
//! the load with, and one call answered (or not) with our envelope read back.

use std::{
    io,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use anyhow::{Result, anyhow, bail};

use crate::{ctx::Ctx, http, json::Json, seed};

/// How long one request may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a setup or check call waits out 429s and outages before it gives up.
const PATIENCE: Duration = Duration::from_secs(60);
/// The password of the customers a drill registers.
const PASSWORD: &str = "drill-password-1";

/// An answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body (`Null` when it is not JSON).
    pub json: Json,
    /// `Retry-After`, in seconds.
    pub retry_after: Option<u64>,
}

impl Answer {
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `503: the database is unavailable`.
    pub fn describe(&self) -> String {
        let message = self
            .json
            .pointer(&["error", "message"])
            .and_then(Json::as_str)
            .unwrap_or("");
        format!("{} {message}", self.status).trim().to_owned()
    }
}

/// A signed-in caller, who signs in again when a token is refused: in development
/// customer-service makes a fresh signing key at every start, so the `service` drill's restart
/// of it invalidates every token (production keeps `JWT_PRIVATE_KEY`).
#[derive(Debug, Clone)]
pub struct Account {
    email: String,
    password: String,
    bearer: Arc<RwLock<String>>,
}

impl Account {
    fn new(email: &str, password: &str, token: &str) -> Self {
        Self {
            email: email.to_owned(),
            password: password.to_owned(),
            bearer: Arc::new(RwLock::new(format!("Bearer {token}"))),
        }
    }

    /// `Bearer <token>`, the latest.
    pub fn bearer(&self) -> String {
        self.bearer
            .read()
            .map_or_else(|e| e.into_inner().clone(), |b| b.clone())
    }
}

/// The gateway.
#[derive(Debug, Clone)]
pub struct Api {
    /// Where it is.
    pub gateway: seed::Gateway,
}

impl Api {
    /// One request; an answer, or the transport error (nothing heard back). A 401 makes
    /// `caller` sign in again, and the request goes once more with the new token.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        caller: Option<&Account>,
        body: Option<&Json>,
        headers: &[(&str, &str)],
    ) -> io::Result<Answer> {
        let answer = self.call_once(method, path, caller, body, headers)?;
        match caller {
            Some(caller) if answer.status == 401 && self.sign_in(caller).is_ok() => {
                self.call_once(method, path, Some(caller), body, headers)
            }
            _ => Ok(answer),
        }
    }

    fn call_once(
        &self,
        method: &str,
        path: &str,
        caller: Option<&Account>,
        body: Option<&Json>,
        headers: &[(&str, &str)],
    ) -> io::Result<Answer> {
        self.request(method, path, caller, body, headers)
            .send(TIMEOUT)
            .map(|response| Answer {
                status: response.status,
                json: Json::parse(&response.text()).unwrap_or(Json::Null),
                retry_after: response
                    .header("retry-after")
                    .and_then(|v| v.trim().parse().ok()),
            })
    }

    /// Signs `account` in again (`POST /api/auth/login`) and keeps the new token.
    pub fn sign_in(&self, account: &Account) -> Result<()> {
        let body = Json::Object(vec![
            ("email".into(), Json::String(account.email.clone())),
            ("password".into(), Json::String(account.password.clone())),
        ]);
        let data = self.data("POST", "/auth/login", None, Some(&body))?;
        let token = data
            .get("accessToken")
            .and_then(Json::as_str)
            .ok_or_else(|| anyhow!("POST /api/auth/login answered without a token"))?;
        if let Ok(mut bearer) = account.bearer.write() {
            *bearer = format!("Bearer {token}");
        }
        Ok(())
    }

    /// The request [`Api::call`] sends (also for streams).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        caller: Option<&Account>,
        body: Option<&Json>,
        headers: &[(&str, &str)],
    ) -> http::Request {
        let mut request = self.gateway.request(method, path);
        if let Some(caller) = caller {
            request = request.header("Authorization", &caller.bearer());
        }
        for (name, value) in headers {
            request = request.header(name, value);
        }
        match body {
            Some(body) => request.json(&body.to_string()),
            None => request,
        }
    }

    /// A call for setting up or checking: 429, 502, 503 and transport errors are tried again
    /// for up to a minute; then the 2xx answer's `data`, or an error.
    pub fn data(
        &self,
        method: &str,
        path: &str,
        caller: Option<&Account>,
        body: Option<&Json>,
    ) -> Result<Json> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let why = match self.call(method, path, caller, body, &[]) {
                Ok(answer) if answer.ok() => {
                    return Ok(answer.json.get("data").cloned().unwrap_or(Json::Null));
                }
                Ok(answer) if matches!(answer.status, 429 | 502 | 503 | 504) => {
                    let wait = answer.retry_after.unwrap_or(1).clamp(1, 10);
                    std::thread::sleep(Duration::from_secs(wait));
                    answer.describe()
                }
                Ok(answer) => bail!("{method} /api{path}: {}", answer.describe()),
                Err(error) => {
                    std::thread::sleep(Duration::from_millis(500));
                    error.to_string()
                }
            };
            if Instant::now() > deadline {
                bail!(
                    "{method} /api{path}: still {why} after {}s",
                    PATIENCE.as_secs()
                );
            }
        }
    }

    /// The admin, signed in with `ADMIN_EMAIL`/`ADMIN_PASSWORD`.
    pub fn admin(&self, ctx: &Ctx) -> Result<Account> {
        let [(email, password), _] = seed::credentials()?;
        let token = seed::sign_in(ctx, &self.gateway, &email, &password)?;
        Ok(Account::new(&email, &password, &token))
    }

    /// Registers a fresh customer (with an address on file) and returns it signed in.
    pub fn register(&self, email: &str, name: &str) -> Result<Account> {
        let text = |s: &str| Json::String(s.to_owned());
        let address = Json::Object(vec![
            ("street".into(), text("1 Drill Lane")),
            ("city".into(), text("Faultville")),
            ("zipCode".into(), text("12345")),
            ("country".into(), text("US")),
        ]);
        let body = Json::Object(vec![
            ("name".into(), text(name)),
            ("email".into(), text(email)),
            ("password".into(), text(PASSWORD)),
            ("address".into(), address),
        ]);
        let data = self.data("POST", "/auth/register", None, Some(&body))?;
        match data.get("accessToken").and_then(Json::as_str) {
            Some(token) => Ok(Account::new(email, PASSWORD, token)),
            None => Err(anyhow!("POST /api/auth/register answered without a token")),
        }
    }

    /// Creates a product as the admin; its id.
    pub fn product(&self, admin: &Account, name: &str, price: f64, stock: i64) -> Result<String> {
        let body = Json::Object(vec![
            ("name".into(), Json::String(name.to_owned())),
            (
                "description".into(),
                Json::String("Made by cargo xtask drill.".into()),
            ),
            ("price".into(), Json::Number(price)),
            ("category".into(), Json::String("Drill".into())),
            ("stock".into(), Json::Number(stock as f64)),
            ("lowStockThreshold".into(), Json::Number(0.0)),
        ]);
        let data = self.data("POST", "/products", Some(admin), Some(&body))?;
        data.get("id")
            .and_then(Json::as_str)
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("POST /api/products answered without an id"))
    }

    /// A product's stock now.
    pub fn stock(&self, product: &str) -> Result<i64> {
        let data = self.data("GET", &format!("/products/{product}"), None, None)?;
        data.get("stock")
            .and_then(Json::as_f64)
            .map(|n| n as i64)
            .ok_or_else(|| anyhow!("GET /api/products/{product} answered without a stock"))
    }

    /// Every item of a paged list (`limit=100`, page by page).
    pub fn all_pages(&self, path: &str, caller: &Account) -> Result<Vec<Json>> {
        let mut items = Vec::new();
        for page in 1.. {
            let separator = if path.contains('?') { '&' } else { '?' };
            let data = self.data(
                "GET",
                &format!("{path}{separator}limit=100&page={page}"),
                Some(caller),
                None,
            )?;
            let batch = data.as_array().unwrap_or_default();
            items.extend(batch.iter().cloned());
            if batch.len() < 100 {
                break;
            }
        }
        Ok(items)
    }
}

/// `true` for the statuses an order never leaves.
pub fn is_final(status: &str) -> bool {
    matches!(status, "DELIVERED" | "CANCELLED" | "REJECTED")
}

/// `true` for the statuses whose stock stays taken.
pub fn holds_stock(status: &str) -> bool {
    matches!(status, "PROCESSING" | "SHIPPED" | "DELIVERED")
}
