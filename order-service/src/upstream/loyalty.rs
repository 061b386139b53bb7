//! What checkout asks customer-service besides the default address: one of the caller's saved
//! addresses by id, and a hold on the points the checkout redeems (idempotent by the
//! checkout's token on customer-service's side, so a retried call holds once).

use bson::oid::ObjectId;
use serde_json::{Value, json};
use shared::{
    ApiError,
    client::{Call, UpstreamError},
};

use super::{Upstream, found};
use crate::domain::Address;

/// Points held for one checkout, as customer-service answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The id the order must have (the first attempt's, on a retry).
    pub order_id: ObjectId,
    /// How many points.
    pub points: i64,
}

impl Upstream {
    /// The caller's saved address `id` (asked with the caller's own token); `None` when the
    /// caller has no address with that id.
    #[tracing::instrument(skip(self, call))]
    pub async fn saved_address(
        &self,
        id: &str,
        call: &Call<'_>,
    ) -> Result<Option<Address>, ApiError> {
        let Some(body) = found(
            self.customers
                .get_json("/customers/me/addresses", &[], call)
                .await,
        )?
        else {
            return Ok(None);
        };
        let Some(saved) = body["data"]
            .as_array()
            .and_then(|book| book.iter().find(|a| a["id"].as_str() == Some(id)))
        else {
            return Ok(None);
        };
        let parts: Value = ["street", "city", "zipCode", "country"]
            .into_iter()
            .map(|k| (k.to_owned(), saved[k].clone()))
            .collect::<serde_json::Map<_, _>>()
            .into();
        Ok(crate::domain::request::address_from_json(&parts))
    }

    /// Holds `points` of the caller's for the checkout `key`, whose order will be `order_id`:
    /// the hold made (or made before under `key`). Too few points is 422 naming `redeemPoints`.
    #[tracing::instrument(skip(self, call))]
    pub async fn hold_points(
        &self,
        key: &str,
        order_id: ObjectId,
        points: i64,
        call: &Call<'_>,
    ) -> Result<Held, ApiError> {
        let body = json!({ "key": key, "orderId": order_id.to_hex(), "points": points });
        let answer = match self
            .customers
            .post_json("/internal/loyalty/holds", &body, call)
            .await
        {
            Err(UpstreamError::Rejected(message)) => {
                return Err(ApiError::Unprocessable(message));
            }
            other => found(other)?,
        };
        let data = answer.as_ref().map(|a| &a["data"]);
        let order_id = data
            .and_then(|d| d["orderId"].as_str())
            .and_then(|id| ObjectId::parse_str(id).ok());
        match (order_id, data.and_then(|d| d["points"].as_i64())) {
            (Some(order_id), Some(points)) => Ok(Held { order_id, points }),
            _ => {
                tracing::error!("customer-service answered a hold without an order id or points");
                Err(ApiError::UpstreamUnavailable(
                    self.customers.name().to_owned(),
                ))
            }
        }
    }
}
