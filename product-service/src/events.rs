//! Events: what product-service publishes and what it consumes.
//!
//! Published, always through the outbox (staged in the same single-document write as the
//! change, then sent by the relay started in [`crate::run`]):
//! - `product.created`, `product.updated` (data: the product as the API shows it) and
//!   `product.deleted` (`{id}`), staged on the product;
//! - `product.stock_low` (`{productId, name, stock, threshold}`), staged on the product;
//! - `stock.restocked` (`{returnId, productId, quantity}`), staged on the product in the write
//!   that puts a received return's units back (live stock streams follow it, see
//!   [`crate::live`]);
//! - `stock.reserved` / `stock.released` (`{orderId, items}`) and `stock.rejected`
//!   (`{orderId, lines: [{productId, requested, available, reason}]}`), staged on the order's
//!   reservation;
//! - `review.created` (`{reviewId, productId, customerId, rating}`), staged on the review.
//!
//! Consumed: `order.created`, `order.cancelled` and `order.expired`, see [`orders`];
//! `return.received` (the stock of a received return goes back), see [`returns`];
//! `order.status_changed` into `DELIVERED`, see [`purchases`]; the stock events again, on a
//! queue of each replica's own, for live stock streams, see [`crate::live`].

pub mod orders;
pub mod purchases;
pub mod returns;

use serde::Serialize;
use shared::events::Envelope;

/// The `source` of every event this service publishes.
pub const SOURCE: &str = crate::config::DEFAULTS.name;

/// A new event of `kind` caused by the request (or event) `correlation_id`.
pub fn envelope(
    kind: &str,
    correlation_id: &str,
    data: impl Serialize,
) -> Result<Envelope, serde_json::Error> {
    Ok(Envelope::new(
        kind,
        SOURCE,
        correlation_id,
        serde_json::to_value(data)?,
    ))
}
