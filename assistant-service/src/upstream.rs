//! The owning services over HTTP: product-service, order-service and customer-service. Every
//! call forwards the caller's bearer token, so those services enforce the caller's rights; a
//! service that is down or slow becomes [`UpstreamError::Unavailable`] within the timeout,
//! never a hang.

use std::time::Duration;

use serde_json::Value;
pub use shared::client::UpstreamError;
use shared::client::{Call, Service};

/// The services the assistant calls, over one pooled client.
#[derive(Clone)]
pub struct Upstream {
    products: Service,
    orders: Service,
    customers: Service,
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
        let client =
            shared::client::pooled(trust, timeout).expect("an HTTP client with timeouts builds");
        Self {
            products: Service::new("product-service", &urls.products, client.clone()),
            orders: Service::new("order-service", &urls.orders, client.clone()),
            customers: Service::new("customer-service", &urls.customers, client),
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
            .orders
            .get_json(&path, &[], &Call::with_token(bearer, request_id))
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
            .orders
            .get_json("/orders", &params, &Call::with_token(bearer, request_id))
            .await?;
        let orders = body["data"].as_array().cloned().unwrap_or_default();
        let total = body["meta"]["total"]
            .as_u64()
            .unwrap_or(orders.len() as u64);
        Ok((orders, total))
    }

    /// `GET /orders?customerId=&status=` (order-service): the newest orders of a customer in
    /// `status`.
    pub async fn orders_with_status(
        &self,
        customer_id: &str,
        status: &str,
        limit: u32,
        bearer: Option<&str>,
        request_id: &str,
    ) -> Result<Vec<Value>, UpstreamError> {
        let params = [
            ("customerId", customer_id.to_owned()),
            ("status", status.to_owned()),
            ("limit", limit.to_string()),
        ];
        let body = self
            .orders
            .get_json("/orders", &params, &Call::with_token(bearer, request_id))
            .await?;
        Ok(body["data"].as_array().cloned().unwrap_or_default())
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
            .customers
            .get_json("/customers", &params, &Call::with_token(bearer, request_id))
            .await?;
        Ok(body["data"].clone())
    }

    /// `GET /auth/me` (customer-service): the caller's own record.
    pub async fn me(&self, bearer: &str, request_id: &str) -> Result<Value, UpstreamError> {
        let body = self
            .customers
            .get_json("/auth/me", &[], &Call::with_token(Some(bearer), request_id))
            .await?;
        Ok(body["data"].clone())
    }

    /// `GET /loyalty` (customer-service): the caller's `{points, lifetimePoints, tier,
    /// nextTier, history}`.
    pub async fn loyalty(&self, bearer: &str, request_id: &str) -> Result<Value, UpstreamError> {
        let body = self
            .customers
            .get_json("/loyalty", &[], &Call::with_token(Some(bearer), request_id))
            .await?;
        Ok(body["data"].clone())
    }

    /// `GET /loyalty/tiers` (customer-service, public): `[{name, minPoints, discountPercent}]`,
    /// lowest first.
    pub async fn loyalty_tiers(&self, request_id: &str) -> Result<Vec<Value>, UpstreamError> {
        let body = self
            .customers
            .get_json("/loyalty/tiers", &[], &Call::with_token(None, request_id))
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
            .products
            .get_json("/products", &params, &Call::with_token(bearer, request_id))
            .await?;
        Ok(body["data"].as_array().cloned().unwrap_or_default())
    }
}
