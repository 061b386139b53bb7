//! The consumer of `order.created` (reserve the order's stock) and `order.cancelled`,
//! `order.expired` or `payment.failed` (give it back), on the durable queue
//! [`topology::PRODUCT_ORDERS`].
//!
//! `payment.failed` is published when a payment is declined after the stock was reserved
//! (order-service's payment step, issue 15): the order is `REJECTED` and its stock comes back
//! through the same release as a cancellation, once whatever is redelivered.
//!
//! An expired order (its saga ran past order-service's deadline) is released exactly like a
//! cancelled one, and for the same reason whenever it comes: its `order.created` may still be
//! on its way (retried, or dead-lettered and replayed), and the release recorded first makes
//! that late reservation hold nothing, while one that came first is given back.
//!
//! A payload that can never be applied (wrong shape, unknown type or version, a bad order id,
//! an order without lines, a quantity below 1) is rejected and dead-lettered at once; a
//! database failure is retried with backoff. Redeliveries are harmless: see
//! [`crate::store::stock`].

use shared::events::{Bus, ConsumerSpec, Consuming, Envelope, HandlerError, keys, topology};

use crate::{
    cache::Cache,
    domain::stock::{OrderCancelled, OrderCreated, order_id},
    store::stock::{Outcome, Stock, StockError},
};

/// What the consumer needs; cheap to clone.
#[derive(Clone)]
pub struct StockKeeper {
    /// The reservations; they tell the relay about the events they stage
    /// ([`Stock::with_nudge`]).
    pub stock: Stock,
    /// Invalidated when stock changes, since reads show it.
    pub cache: Cache,
}

/// Starts consuming order events.
pub fn start(bus: &Bus, keeper: StockKeeper) -> Consuming {
    bus.consume(ConsumerSpec::from(topology::PRODUCT_ORDERS), move |event| {
        let keeper = keeper.clone();
        async move { keeper.handle(event).await }
    })
}

impl StockKeeper {
    /// Applies one order event.
    #[tracing::instrument(skip_all, fields(event.id = %event.id, event.type = %event.kind))]
    pub async fn handle(&self, event: Envelope) -> Result<(), HandlerError> {
        if event.version != 1 {
            return Err(HandlerError::Reject(format!(
                "unsupported version {} of {}",
                event.version, event.kind
            )));
        }
        // The products whose stock it may move, when the event names them (a release takes
        // its lines from the stored reservation).
        let mut products = None;
        let outcome = match event.kind.as_str() {
            keys::ORDER_CREATED => {
                let request = event
                    .data_as::<OrderCreated>()
                    .map_err(|e| HandlerError::Reject(format!("malformed order.created: {e}")))?
                    .into_request()
                    .map_err(HandlerError::Reject)?;
                let outcome = self.stock.reserve(&request, &event.correlation_id).await;
                products = Some(request.lines.into_iter().map(|l| l.product_id).collect());
                outcome
            }
            keys::ORDER_CANCELLED | keys::ORDER_EXPIRED | keys::PAYMENT_FAILED => {
                let data = event
                    .data_as::<OrderCancelled>()
                    .map_err(|e| HandlerError::Reject(format!("malformed {}: {e}", event.kind)))?;
                let id = order_id(&data.order_id).map_err(HandlerError::Reject)?;
                self.stock.release(&id, &event.correlation_id).await
            }
            other => return Err(HandlerError::Reject(format!("not an order event: {other}"))),
        }
        .map_err(|e| match e {
            StockError::Database(e) => HandlerError::from(e),
            other => HandlerError::Retry(other.to_string()),
        })?;
        self.after(outcome, products).await;
        Ok(())
    }

    /// `products`: those whose stock the event may have moved, when known; every entry is
    /// invalidated otherwise.
    async fn after(&self, outcome: Outcome, products: Option<Vec<String>>) {
        tracing::info!(
            status = outcome.status.as_str(),
            decided_now = outcome.decided_now,
            "order event applied"
        );
        if !outcome.stock_changed {
            return;
        }
        match products {
            Some(ids) => self.cache.invalidate_stock(ids).await,
            None => self.cache.invalidate().await,
        }
    }
}
