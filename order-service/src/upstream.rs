//! The other services order-service asks at order time: product-service for names, prices and
//! stock (never the client), customer-service for the default shipping address, a saved
//! card with its token (its internal route, never behind the gateway) and the caller's
//! loyalty tier (whose discount every price includes), through
//! `shared::client` (the caller's token and request id passed on); a service that cannot be
//! reached answers 503 `UPSTREAM_UNAVAILABLE`.

use std::time::Duration;

use bson::oid::ObjectId;
use serde_json::Value;
use shared::{
    ApiError,
    client::{Call, Service, UpstreamError},
    payment::SavedMethod,
};

use crate::domain::{Address, Money, coupon::Tier, pricing::Percent, request::address_from_json};

mod loyalty;
pub mod tiers;

pub use loyalty::Held;
pub use tiers::Tiers;

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
    /// On a variant, its SKU (its `name` then ends with its options: `Tee (Red / M)`).
    pub sku: Option<String>,
    /// Whether it is sold in variants, and so not itself: a cart or an order names one of
    /// them.
    pub in_variants: bool,
}

impl Priced {
    /// Why it cannot be bought as such, when it is sold in variants: names what to choose.
    pub fn variant_required(&self) -> Option<String> {
        self.in_variants.then(|| {
            format!(
                "{} is sold in variants: choose one (GET /products/{}/variants)",
                self.name,
                self.id.to_hex()
            )
        })
    }
}

/// Clients of product-service and customer-service. Cheap to clone.
#[derive(Clone)]
pub struct Upstream {
    products: Service,
    customers: Service,
    tiers: Tiers,
}

/// The 503 of a service that gave no usable answer; a record it does not have is `None`.
fn found(answer: Result<Value, UpstreamError>) -> Result<Option<Value>, ApiError> {
    match answer {
        Ok(body) => Ok(Some(body)),
        Err(UpstreamError::NotFound) => Ok(None),
        Err(UpstreamError::Unavailable(service)) => {
            Err(ApiError::UpstreamUnavailable(service.to_owned()))
        }
        Err(e) => {
            tracing::warn!(error = %e, "another service refused an order-time question");
            Err(ApiError::UpstreamUnavailable("another service".to_owned()))
        }
    }
}

impl Upstream {
    /// Clients of the services at these base URLs, trusting `trust`'s CAs; callers' tiers
    /// remembered in `tiers`.
    pub fn new(
        products: &str,
        customers: &str,
        trust: &shared::http::Trust,
        tiers: Tiers,
    ) -> Result<Self, reqwest::Error> {
        let client = shared::client::pooled(trust, Duration::from_secs(5))?;
        Ok(Self {
            products: Service::new("product-service", products, client.clone()),
            customers: Service::new("customer-service", customers, client),
            tiers,
        })
    }

    /// The product `id` with its current name and price; `None` when product-service does not
    /// know it (or it was deleted).
    #[tracing::instrument(skip(self, call))]
    pub async fn product(&self, id: ObjectId, call: &Call<'_>) -> Result<Option<Priced>, ApiError> {
        let path = format!("/products/{}", id.to_hex());
        let Some(body) = found(self.products.get_json(&path, &[], call).await)? else {
            return Ok(None);
        };
        let data = &body["data"];
        let name = data["name"].as_str();
        let price = Money::price(&data["price"]).ok();
        let variant = &data["variant"];
        let in_variants = data["variants"].as_array().is_some_and(|v| !v.is_empty());
        match (name, price, data["stock"].as_i64()) {
            (Some(name), Some(price), Some(stock)) => Ok(Some(Priced {
                id,
                name: match variant["label"].as_str() {
                    Some(label) => format!("{name} ({label})"),
                    None => name.to_owned(),
                },
                price,
                stock,
                sku: variant["sku"].as_str().map(str::to_owned),
                in_variants,
            })),
            _ => {
                tracing::error!(product.id = %id, "product-service answered a product without a usable name, price or stock");
                Err(ApiError::UpstreamUnavailable(
                    self.products.name().to_owned(),
                ))
            }
        }
    }

    /// The products of `ids` (in that order), asked concurrently.
    pub async fn products(
        &self,
        ids: &[ObjectId],
        call: &Call<'_>,
    ) -> Result<Vec<Option<Priced>>, ApiError> {
        use futures::{StreamExt, TryStreamExt};
        // Collected first: a lazy `map` closure in the stream trips the `Send` check of axum
        // handlers (higher-ranked lifetimes).
        let lookups: Vec<_> = ids.iter().map(|id| self.product(*id, call)).collect();
        futures::stream::iter(lookups)
            .buffered(16)
            .try_collect()
            .await
    }

    /// The address on file of customer `id`, asked with the caller's own token; `None` when
    /// the customer has none.
    #[tracing::instrument(skip(self, call))]
    pub async fn address(&self, id: &str, call: &Call<'_>) -> Result<Option<Address>, ApiError> {
        let path = format!("/customers/{id}");
        let Some(body) = found(self.customers.get_json(&path, &[], call).await)? else {
            return Ok(None);
        };
        let address = &body["data"]["address"];
        if address.is_null() {
            return Ok(None);
        }
        Ok(address_from_json(address))
    }

    /// The saved card `id` of customer `customer` (or their default card when `id` is
    /// `None`), with its token, asked with the caller's own token; `None` when there is no
    /// such card.
    #[tracing::instrument(skip(self, call))]
    pub async fn payment_method(
        &self,
        customer: &str,
        id: Option<&str>,
        call: &Call<'_>,
    ) -> Result<Option<SavedMethod>, ApiError> {
        let path = shared::payment::saved_method_path(customer, id);
        let Some(body) = found(self.customers.get_json(&path, &[], call).await)? else {
            return Ok(None);
        };
        serde_json::from_value(body["data"].clone())
            .map(Some)
            .map_err(|e| {
                tracing::error!(error = %e, "customer-service answered a saved card without a usable token");
                ApiError::UpstreamUnavailable(self.customers.name().to_owned())
            })
    }

    /// The loyalty tier and its discount of the caller `customer`: remembered ([`tiers`]), or
    /// asked with the caller's own token (`/loyalty` and `/loyalty/tiers`). A caller
    /// customer-service has no account for (an admin, a token from elsewhere) is Bronze;
    /// customer-service down is 503, never a price without the tier.
    #[tracing::instrument(skip_all)]
    pub async fn tier(&self, customer: &str, call: &Call<'_>) -> Result<Tier, ApiError> {
        if let Some(tier) = self.tiers.get(customer) {
            return Ok(tier);
        }
        let asked = std::time::Instant::now();
        let tier = self.ask_tier(call).await?;
        self.tiers.remember(customer, tier.clone(), asked);
        Ok(tier)
    }

    async fn ask_tier(&self, call: &Call<'_>) -> Result<Tier, ApiError> {
        let (account, tiers) = tokio::join!(
            self.customers.get_json("/loyalty", &[], call),
            self.customers.get_json("/loyalty/tiers", &[], call),
        );
        let Some(account) = found(account)? else {
            return Ok(Tier::bronze());
        };
        let tiers = found(tiers)?.unwrap_or(Value::Null);
        let name = account["data"]["tier"].as_str();
        let percent = tiers["data"].as_array().and_then(|all| {
            all.iter()
                .find(|t| t["name"].as_str() == name)
                .and_then(|t| t["discountPercent"].as_u64())
        });
        match (name, percent.and_then(|p| u32::try_from(p).ok())) {
            (Some(name), Some(percent)) => Ok(Tier {
                name: name.to_owned(),
                discount: Percent::whole(percent),
            }),
            _ => {
                tracing::error!("customer-service answered a loyalty account without a known tier");
                Err(ApiError::UpstreamUnavailable(
                    self.customers.name().to_owned(),
                ))
            }
        }
    }
}
