//! product-service as the wishlist asks it (`GET /products/{id}`, public): whether a product
//! exists, and its name, price, stock and `updatedAt` now. A product-service that cannot be
//! reached is 503 to a client and a delay to the consumer, never a guess.

use std::time::Duration;

use bson::oid::ObjectId;
use serde::Deserialize;
use shared::{
    ApiError, Money,
    client::{Call, Service, UpstreamError},
};

use crate::domain::wishlist::Sighting;

/// The client. Cheap to clone.
#[derive(Clone)]
pub struct Catalog {
    products: Service,
}

/// The part of a product this service reads (tolerant: product-service may add fields).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Product {
    name: String,
    price: Money,
    stock: i64,
    updated_at: String,
}

/// A product's `updatedAt` (RFC 3339) in milliseconds.
pub fn millis(rfc3339: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|at| at.timestamp_millis())
}

/// A product as the API shows it (`data` of `GET /products/{id}`, or of `product.updated`)
/// as a sighting; `None` when it is not one.
pub fn sighting(data: &serde_json::Value) -> Option<Sighting> {
    let product = Product::deserialize(data).ok()?;
    Some(Sighting {
        updated_at: millis(&product.updated_at)?,
        name: product.name,
        price: product.price,
        stock: product.stock,
    })
}

impl Catalog {
    /// product-service at `base`, trusting `trust`'s CAs.
    pub fn new(base: &str, trust: &shared::http::Trust) -> Result<Self, reqwest::Error> {
        let client = shared::client::pooled(trust, Duration::from_secs(5))?;
        Ok(Self {
            products: Service::new("product-service", base, client),
        })
    }

    /// The product `id` now; `None` when product-service does not have it (or it was
    /// deleted); 503 when product-service cannot be reached or answers nonsense.
    #[tracing::instrument(skip(self, call))]
    pub async fn product(
        &self,
        id: ObjectId,
        call: &Call<'_>,
    ) -> Result<Option<Sighting>, ApiError> {
        let path = format!("/products/{}", id.to_hex());
        let unavailable = || ApiError::UpstreamUnavailable(self.products.name().to_owned());
        match self.products.get_json(&path, &[], call).await {
            Ok(body) => sighting(&body["data"]).map(Some).ok_or_else(|| {
                tracing::error!(product.id = %id, "product-service answered a product without a usable name, price, stock or updatedAt");
                unavailable()
            }),
            Err(UpstreamError::NotFound) => Ok(None),
            Err(UpstreamError::Unavailable(_)) => Err(unavailable()),
            Err(e) => {
                tracing::warn!(error = %e, "product-service refused a product lookup");
                Err(unavailable())
            }
        }
    }
}
