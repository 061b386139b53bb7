//! The calls both loads need, against the gateway (`/api` prefix) or a service directly (no
//! prefix): sign in, register, create a product, place an order, change its status, poll it.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use reqwest::{Client, Method};
use serde_json::{Value, json};
use shared::{config::Env, http::Trust};

/// The shipping address every order of the benchmarks goes to.
pub fn address() -> Value {
    json!({ "street": "1 Bench Street", "city": "Loadville", "zipCode": "12345", "country": "US" })
}

/// One base URL and the path prefix in front of every route (`/api` for the gateway).
#[derive(Clone)]
pub struct Api {
    /// A pooled client with a request timeout.
    pub client: Client,
    /// `http://127.0.0.1:5000/api` or `http://127.0.0.1:5001`.
    pub base: String,
}

/// A status code and the JSON body (`null` when there was none).
pub type Answer = (u16, Value);

/// The CAs the load's clients trust, as the services': the system's plus `EXTRA_CA_CERTS`.
pub fn trust() -> Result<Trust> {
    Ok(Trust::from_env(&Env::process())?)
}

impl Api {
    /// Calls `base + path` with a 30-second timeout client.
    pub fn new(base: &str) -> Result<Self> {
        let client = shared::http::client_builder(&trust()?)
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .context("cannot build an HTTP client")?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    /// `base + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// One request; transport errors are errors, any status is an answer.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Result<Answer> {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// A call that must answer `expected`; its `data`.
    pub async fn expect(
        &self,
        expected: &[u16],
        method: Method,
        path: &str,
        body: Option<&Value>,
        bearer: Option<&str>,
    ) -> Result<Value> {
        let (status, answer) = self
            .call(method.clone(), path, body, bearer, &[])
            .await
            .with_context(|| format!("{method} {path}"))?;
        if !expected.contains(&status) {
            bail!("{method} {path} answered {status}: {answer}");
        }
        Ok(answer["data"].clone())
    }

    /// Signs in; the access token.
    pub async fn login(&self, email: &str, password: &str) -> Result<String> {
        let body = json!({ "email": email, "password": password });
        let data = self
            .expect(&[200], Method::POST, "/auth/login", Some(&body), None)
            .await?;
        token(&data)
    }

    /// Signs in, retrying for up to 30 s: customer-service ensures the admin account in the
    /// background after it starts serving, so the first attempts may come too early.
    pub async fn login_when_ready(&self, email: &str, password: &str) -> Result<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.login(email, password).await {
                Ok(token) => return Ok(token),
                Err(error) if Instant::now() >= deadline => return Err(error),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Registers a customer with an address; the access token.
    pub async fn register(&self, name: &str, email: &str, password: &str) -> Result<String> {
        let body =
            json!({ "name": name, "email": email, "password": password, "address": address() });
        let data = self
            .expect(&[201], Method::POST, "/auth/register", Some(&body), None)
            .await?;
        token(&data)
    }

    /// Creates a product as the admin; its id.
    pub async fn create_product(&self, admin: &str, product: &Value) -> Result<String> {
        let data = self
            .expect(
                &[201],
                Method::POST,
                "/products",
                Some(product),
                Some(admin),
            )
            .await?;
        id(&data)
    }

    /// Places an order of `quantity` × `product`; its id.
    pub async fn place_order(&self, bearer: &str, product: &str, quantity: u32) -> Result<String> {
        let body = order_body(product, quantity);
        let data = self
            .expect(&[201], Method::POST, "/orders", Some(&body), Some(bearer))
            .await?;
        id(&data)
    }

    /// `PATCH /orders/:id/status` as the admin; the order after.
    pub async fn set_status(&self, admin: &str, order: &str, status: &str) -> Result<Value> {
        let body = json!({ "status": status });
        self.expect(
            &[200],
            Method::PATCH,
            &format!("/orders/{order}/status"),
            Some(&body),
            Some(admin),
        )
        .await
    }

    /// Polls `GET /orders/:id` until the order is in `status` (30 s at most).
    pub async fn wait_status(&self, bearer: &str, order: &str, status: &str) -> Result<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let path = format!("/orders/{order}");
        loop {
            let data = self
                .expect(&[200], Method::GET, &path, None, Some(bearer))
                .await?;
            if data["status"] == status {
                return Ok(data);
            }
            if Instant::now() >= deadline {
                bail!(
                    "order {order} is {} after 30 s, not {status}",
                    data["status"]
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The body of `POST /orders` for one line.
pub fn order_body(product: &str, quantity: u32) -> Value {
    json!({ "items": [{ "productId": product, "quantity": quantity }], "shippingAddress": address() })
}

fn token(data: &Value) -> Result<String> {
    data["accessToken"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no accessToken in {data}"))
}

fn id(data: &Value) -> Result<String> {
    data["id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no id in {data}"))
}
