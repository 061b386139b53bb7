//! The consumer of `return.received` (issue 17) on the durable queue
//! [`topology::PRODUCT_RETURNS`]: the return's stock goes back on the shelf once, whatever is
//! redelivered ([`crate::store::restock`]). A payload that can never be applied (wrong shape,
//! a bad return or product id, a quantity below 1) is dead-lettered at once; a database
//! failure is retried with backoff.

use bson::oid::ObjectId;
use serde::Deserialize;
use shared::events::{Bus, ConsumerSpec, Consuming, Envelope, HandlerError, topology};

use crate::{
    cache::Cache,
    store::{
        restock::{Restock, ReturnedLine},
        stock::StockError,
    },
};

/// `return.received` as this service reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Received {
    return_id: String,
    order_id: String,
    items: Vec<Item>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    product_id: String,
    quantity: i64,
}

/// What the consumer needs; cheap to clone.
#[derive(Clone)]
pub struct Restocker {
    /// The products.
    pub restock: Restock,
    /// Invalidated when stock changes, since reads show it.
    pub cache: Cache,
}

/// Starts consuming return events.
pub fn start(bus: &Bus, restocker: Restocker) -> Consuming {
    bus.consume(
        ConsumerSpec::from(topology::PRODUCT_RETURNS),
        move |event| {
            let restocker = restocker.clone();
            async move { restocker.handle(event).await }
        },
    )
}

/// The return's id and lines, checked; the reason when they can never be applied.
fn parse(event: &Envelope) -> Result<(String, String, Vec<ReturnedLine>), String> {
    if event.version != 1 {
        return Err(format!(
            "unsupported version {} of {}",
            event.version, event.kind
        ));
    }
    let data: Received = event
        .data_as()
        .map_err(|e| format!("malformed {}: {e}", event.kind))?;
    let return_id = ObjectId::parse_str(&data.return_id)
        .map_err(|_| format!("not a return id: {}", data.return_id))?
        .to_hex();
    let lines = data
        .items
        .iter()
        .map(|item| {
            let product_id = ObjectId::parse_str(&item.product_id)
                .map_err(|_| format!("not a product id: {}", item.product_id))?;
            if item.quantity < 1 {
                return Err(format!("quantity {} below 1", item.quantity));
            }
            Ok(ReturnedLine {
                product_id,
                quantity: item.quantity,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok((return_id, data.order_id, lines))
}

impl Restocker {
    /// Applies one `return.received`.
    #[tracing::instrument(skip_all, fields(event.id = %event.id, event.type = %event.kind))]
    pub async fn handle(&self, event: Envelope) -> Result<(), HandlerError> {
        let (return_id, order_id, lines) = parse(&event).map_err(HandlerError::Reject)?;
        let changed = self
            .restock
            .apply(&return_id, &order_id, &lines)
            .await
            .map_err(|e| match e {
                StockError::Database(e) => HandlerError::from(e),
                other => HandlerError::Retry(other.to_string()),
            })?;
        tracing::info!(r#return.id = %return_id, changed, "return restocked");
        if changed {
            self.cache
                .invalidate_stock(lines.iter().map(|l| l.product_id.to_hex()))
                .await;
        }
        Ok(())
    }
}
