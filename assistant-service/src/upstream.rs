//! The owning services over HTTP: product-service, order-service and customer-service. Every
//! call forwards the caller's bearer token, so those services enforce the caller's rights; a
//! service that is down or slow becomes [`UpstreamError::Unavailable`] within the timeout,
//! never a hang.

use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde_json::Value;

/// Why a call to another service gave no data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// The service could not be reached, timed out or failed (5xx).
    #[error("{0} could not be reached")]
    Unavailable(&'static str),
    /// 404, or 403: the record does not exist for this caller.
    #[error("not found")]
    NotFound,
    /// 401: the caller's token was refused.
    #[error("not signed in")]
    Unauthorized,
    /// 400 or an answer we do not understand.
    #[error("rejected: {0}")]
    Rejected(String),
}

/// Base URLs of the services and one pooled client.
#[derive(Clone)]
pub struct Upstream {
    client: reqwest::Client,
    products: String,
    orders: String,
    customers: String,
}

/// Where the services live.
#[derive(Debug, Clone)]
pub struct ServiceUrls {
    /// product-service, e.g. `http://127.0.0.1:5002`.
    pub products: String,
    /// order-service, e.g. `http://127.0.0.1:5001`.
    pub orders: String,
    /// customer-service, e.g. `http://127.0.0.1:5003`.
    pub customers: String,
}

impl Upstream {
    /// A client that gives up on a call after `timeout`, trusting `trust`'s CAs.
    pub fn new(urls: &ServiceUrls, timeout: Duration, trust: &shared::http::Trust) -> Self {
        let client = shared::http::client_builder(trust)
            .connect_timeout(timeout.min(Duration::from_secs(2)))
            .timeout(timeout)
            .build()
            .expect("an HTTP client with timeouts builds");
        let trim = |u: &str| u.trim_end_matches('/').to_owned();
        Self {
            client,
            products: trim(&urls.products),
            orders: trim(&urls.orders),
            customers: trim(&urls.customers),
        }
    }

    /// `GET base + path ? params` as the caller; the whole JSON body on 2xx.
    async fn get(
        &self,
        service: &'static str,
        base: &str,
        path: &str,
        params: &[(&str, String)],
        bearer: Option<&str>,
        request_id: &str,
    ) -> Result<Value, UpstreamError> {
        let url = Url::parse_with_params(&format!("{base}{path}"), params)
            .map_err(|e| UpstreamError::Rejected(e.to_string()))?;
        let mut request = self.client.get(url).header("x-request-id", request_id);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| {
            tracing::warn!(service, error = %e, "upstream call failed");
            UpstreamError::Unavailable(service)
        })?;
        let status = response.status();
        match status {
            s if s.is_success() => response.json().await.map_err(|e| {
                tracing::warn!(service, error = %e, "upstream answered something unreadable");
                UpstreamError::Unavailable(service)
            }),
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => Err(UpstreamError::NotFound),
            StatusCode::UNAUTHORIZED => Err(UpstreamError::Unauthorized),
            s if s.is_client_error() => {
                let body: Value = response.json().await.unwrap_or(Value::Null);
                let message = body["error"]["message"].as_str().unwrap_or("bad request");
                Err(UpstreamError::Rejected(message.to_owned()))
            }
            s => {
                tracing::warn!(service, status = s.as_u16(), "upstream failed");
                Err(UpstreamError::Unavailable(service))
            }
        }
    }

    /// `GET /orders/{id}` (order-service): the order's `data`.
    pub async fn order(
        &self,
        id: &str,
        bearer: Option<&str>,
        request_id: &str,
    ) -> Result<Value, UpstreamError> {
        let path = format!("/orders/{id}");
        let body = self
            .get(
                "order-service",
                &self.orders,
                &path,
                &[],
                bearer,
                request_id,
            )
            .await?;
        Ok(body["data"].clone())
    }

    /// `GET /orders?customerId=` (order-service): the newest orders of a customer, and the total.
    pub async fn orders_of(
        &self,
        customer_id: &str,
        limit: u32,
        bearer: Option<&str>,
        request_id: &str,
    ) -> Result<(Vec<Value>, u64), UpstreamError> {
        let params = [
            ("customerId", customer_id.to_owned()),
            ("limit", limit.to_string()),
        ];
        let body = self
            .get(
                "order-service",
                &self.orders,
                "/orders",
                &params,
                bearer,
                request_id,
            )
            .await?;
        let orders = body["data"].as_array().cloned().unwrap_or_default();
        let total = body["meta"]["total"]
            .as_u64()
            .unwrap_or(orders.len() as u64);
        Ok((orders, total))
    }

    /// `GET /customers?email=` (customer-service): the customer's `data`.
    pub async fn customer_by_email(
        &self,
        email: &str,
        bearer: Option<&str>,
        request_id: &str,
    ) -> Result<Value, UpstreamError> {
        let params = [("email", email.to_owned())];
        let body = self
            .get(
                "customer-service",
                &self.customers,
                "/customers",
                &params,
                bearer,
                request_id,
            )
            .await?;
        Ok(body["data"].clone())
    }

    /// `GET /auth/me` (customer-service): the caller's own record.
    pub async fn me(&self, bearer: &str, request_id: &str) -> Result<Value, UpstreamError> {
        let body = self
            .get(
                "customer-service",
                &self.customers,
                "/auth/me",
                &[],
                Some(bearer),
                request_id,
            )
            .await?;
        Ok(body["data"].clone())
    }

    /// `GET /loyalty` (customer-service): the caller's `{points, lifetimePoints, tier,
    /// nextTier, history}`.
    pub async fn loyalty(&self, bearer: &str, request_id: &str) -> Result<Value, UpstreamError> {
        let body = self
            .get(
                "customer-service",
                &self.customers,
                "/loyalty",
                &[],
                Some(bearer),
                request_id,
            )
            .await?;
        Ok(body["data"].clone())
    }

    /// `GET /loyalty/tiers` (customer-service, public): `[{name, minPoints, discountPercent}]`,
    /// lowest first.
    pub async fn loyalty_tiers(&self, request_id: &str) -> Result<Vec<Value>, UpstreamError> {
        let body = self
            .get(
                "customer-service",
                &self.customers,
                "/loyalty/tiers",
                &[],
                None,
                request_id,
            )
            .await?;
        Ok(body["data"].as_array().cloned().unwrap_or_default())
    }

    /// `GET /products?search=&limit=` (product-service): matching products.
    pub async fn search_products(
        &self,
        query: &str,
        limit: u32,
        bearer: Option<&str>,
        request_id: &str,
    ) -> Result<Vec<Value>, UpstreamError> {
        let params = [("search", query.to_owned()), ("limit", limit.to_string())];
        let body = self
            .get(
                "product-service",
                &self.products,
                "/products",
                &params,
                bearer,
                request_id,
            )
            .await?;
        Ok(body["data"].as_array().cloned().unwrap_or_default())
    }
}
