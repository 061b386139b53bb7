//! The other services order-service asks at order time: product-service for names, prices and
//! stock (never the client), customer-service for the default shipping address. One pooled client;
//! a service that cannot be reached answers 503 `UPSTREAM_UNAVAILABLE`.

use std::time::Duration;

use bson::oid::ObjectId;
use reqwest::StatusCode;
use serde_json::Value;
use shared::ApiError;

use crate::domain::{Address, Money, request::address_from_json};

/// A product as priced now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    /// Its id.
    pub id: ObjectId,
    /// Its name.
    pub name: String,
    /// Its unit price.
    pub price: Money,
    /// Units in stock now.
    pub stock: i64,
}

/// Clients of product-service and customer-service. Cheap to clone.
#[derive(Clone)]
pub struct Upstream {
    client: reqwest::Client,
    products: String,
    customers: String,
}

fn unavailable(what: &str) -> impl Fn(reqwest::Error) -> ApiError + '_ {
    move |e| {
        tracing::warn!(error = %e, service = what, "upstream request failed");
        ApiError::UpstreamUnavailable(what.to_owned())
    }
}

impl Upstream {
    /// Clients of the services at these base URLs, trusting `trust`'s CAs.
    pub fn new(
        products: &str,
        customers: &str,
        trust: &shared::http::Trust,
    ) -> Result<Self, reqwest::Error> {
        let client = shared::http::client_builder(trust)
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            client,
            products: products.trim_end_matches('/').to_owned(),
            customers: customers.trim_end_matches('/').to_owned(),
        })
    }

    /// The product `id` with its current name and price; `None` when product-service does not
    /// know it (or it was deleted).
    #[tracing::instrument(skip(self, bearer))]
    pub async fn product(
        &self,
        id: ObjectId,
        bearer: Option<&str>,
    ) -> Result<Option<Priced>, ApiError> {
        const WHAT: &str = "product-service";
        let mut request = self
            .client
            .get(format!("{}/products/{}", self.products, id.to_hex()));
        if let Some(bearer) = bearer {
            request = request.header(reqwest::header::AUTHORIZATION, bearer);
        }
        let response = request.send().await.map_err(unavailable(WHAT))?;
        match response.status() {
            StatusCode::NOT_FOUND => return Ok(None),
            s if s.is_success() => {}
            s => {
                tracing::warn!(status = %s, "product-service answered an error");
                return Err(ApiError::UpstreamUnavailable(WHAT.to_owned()));
            }
        }
        let body: Value = response.json().await.map_err(unavailable(WHAT))?;
        let data = &body["data"];
        let name = data["name"].as_str();
        let price = Money::price(&data["price"]).ok();
        match (name, price, data["stock"].as_i64()) {
            (Some(name), Some(price), Some(stock)) => Ok(Some(Priced {
                id,
                name: name.to_owned(),
                price,
                stock,
            })),
            _ => {
                tracing::error!(product.id = %id, "product-service answered a product without a usable name, price or stock");
                Err(ApiError::UpstreamUnavailable(WHAT.to_owned()))
            }
        }
    }

    /// The products of `ids` (in that order), asked concurrently.
    pub async fn products(
        &self,
        ids: &[ObjectId],
        bearer: Option<&str>,
    ) -> Result<Vec<Option<Priced>>, ApiError> {
        use futures::{StreamExt, TryStreamExt};
        // Collected first: a lazy `map` closure in the stream trips the `Send` check of axum
        // handlers (higher-ranked lifetimes).
        let lookups: Vec<_> = ids.iter().map(|id| self.product(*id, bearer)).collect();
        futures::stream::iter(lookups)
            .buffered(16)
            .try_collect()
            .await
    }

    /// The address on file of customer `id`, asked with the caller's own token; `None` when
    /// the customer has none.
    #[tracing::instrument(skip(self, bearer))]
    pub async fn address(
        &self,
        id: &str,
        bearer: Option<&str>,
    ) -> Result<Option<Address>, ApiError> {
        const WHAT: &str = "customer-service";
        let mut request = self
            .client
            .get(format!("{}/customers/{id}", self.customers));
        if let Some(bearer) = bearer {
            request = request.header(reqwest::header::AUTHORIZATION, bearer);
        }
        let response = request.send().await.map_err(unavailable(WHAT))?;
        match response.status() {
            StatusCode::NOT_FOUND => return Ok(None),
            s if s.is_success() => {}
            s => {
                tracing::warn!(status = %s, "customer-service answered an error");
                return Err(ApiError::UpstreamUnavailable(WHAT.to_owned()));
            }
        }
        let body: Value = response.json().await.map_err(unavailable(WHAT))?;
        let address = &body["data"]["address"];
        if address.is_null() {
            return Ok(None);
        }
        Ok(address_from_json(address))
    }
}
