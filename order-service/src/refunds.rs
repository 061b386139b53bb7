//! The refund of a received return (issue 17): `return.received` → the provider refunds the
//! return's amount of the order's charge → `REFUNDED` with `payment.refunded` (the amount;
//! customer-service takes back its share of the points) and `return.refunded`, in one write.
//!
//! - **Once.** The provider call is idempotent by the return's id (the charge's key is the
//!   order id, as for the authorisation), so a redelivered `return.received` or a second
//!   replica gets the first refund's reference back and the ledger holds one refund; the status
//!   change is guarded by `RECEIVED` and the version, so only one write stages the events.
//! - **A provider that is down delays, it never loses.** The receipt stages `return.received`
//!   in the same write as `RECEIVED`; this service consumes it on its own durable queue
//!   ([`topology::ORDER_REFUNDS`]) and answers `Unavailable` while the provider is down, so the
//!   bus redelivers with backoff for as long as the outage lasts and the return stays
//!   `RECEIVED` meanwhile.
//! - An invoiced API order (no payment) has nothing to refund through a provider: the return
//!   becomes `REFUNDED` (credited on the invoice) with `payment.refunded` and no reference.
//!   A zero amount refunds nothing and stages only `return.refunded`.
//! - `order_refunds_total{outcome}` counts `refunded`, `already` (a redelivery or a second
//!   replica, nothing done) and `unavailable` (the provider was down; retried).
//! - A refund the provider refuses for good (more than is left of the charge) is dead-lettered
//!   for a person to look at; the return stays `RECEIVED`.

use std::sync::Arc;

use bson::oid::ObjectId;
use shared::{
    events::{Bus, ConsumerSpec, Consuming, Envelope, HandlerError, topology},
    payment::{PaymentProvider, ProviderError},
};

use crate::{
    domain::returns::{Action, ReturnStatus},
    events::returns::ReturnEvent,
    lifecycle::Orders,
    returns::{Changed, change},
    store::{orders, returns},
};

/// The orders and the provider. Cheap to clone.
#[derive(Clone)]
pub struct Refunds {
    /// The database and the outbox's nudge.
    pub orders: Orders,
    /// The payment provider (`PAYMENT_PROVIDER`).
    pub provider: Arc<dyn PaymentProvider>,
}

/// Starts the refund consumer on its durable queue.
pub fn consume(bus: &Bus, refunds: Refunds) -> Consuming {
    bus.consume(ConsumerSpec::from(topology::ORDER_REFUNDS), move |event| {
        let refunds = refunds.clone();
        async move { refunds.on_received(event).await }
    })
}

impl Refunds {
    /// `return.received`: refunds the return, once.
    #[tracing::instrument(skip_all, fields(event.id = %event.id))]
    pub async fn on_received(&self, event: Envelope) -> Result<(), HandlerError> {
        let data: ReturnEvent = event
            .data_as()
            .map_err(|e| HandlerError::Reject(format!("malformed return.received: {e}")))?;
        let id = ObjectId::parse_str(&data.return_id)
            .map_err(|_| HandlerError::Reject(format!("not a return id: {}", data.return_id)))?;
        let db = &self.orders.db;
        let Some(ret) = returns::by_id(db, id).await.map_err(HandlerError::from)? else {
            tracing::warn!(return.id = %id, "a received return that is not stored; ignored");
            return Ok(());
        };
        if ret.status != ReturnStatus::Received {
            metrics::counter!("order_refunds_total", "outcome" => "already").increment(1);
            tracing::info!(return.id = %id, status = ret.status.as_str(), "refund already decided; ignored");
            return Ok(());
        }
        let order_id = ObjectId::parse_str(&ret.order_id)
            .map_err(|_| HandlerError::Reject(format!("not an order id: {}", ret.order_id)))?;
        let paid = orders::by_id(db, order_id)
            .await
            .map_err(HandlerError::from)?
            .and_then(|o| o.payment)
            .is_some();
        let (refund_ref, note) = if !paid {
            (None, "invoiced order: credited on the invoice".to_owned())
        } else if ret.amount_cents == 0 {
            (None, "nothing to refund".to_owned())
        } else {
            let reference = self
                .refund(&ret.order_id, &data.return_id, ret.amount_cents)
                .await?;
            (Some(reference.clone()), format!("refunded: {reference}"))
        };
        match change(
            &self.orders,
            id,
            Action::Refund,
            Some(note),
            refund_ref,
            &event.correlation_id,
        )
        .await
        .map_err(HandlerError::from)?
        {
            Changed::Applied(after) => {
                metrics::counter!("order_refunds_total", "outcome" => "refunded").increment(1);
                tracing::info!(return.id = %id, amount = after.amount_cents, "return refunded");
            }
            // A second replica or a redelivery recorded it first.
            Changed::Illegal(_) | Changed::NotFound => {}
        }
        Ok(())
    }

    /// The provider's refund of `amount` of the charge `order` under the key `ret`.
    async fn refund(&self, order: &str, ret: &str, amount: i64) -> Result<String, HandlerError> {
        match self.provider.refund(order, ret, amount).await {
            Ok(reference) => Ok(reference),
            Err(ProviderError::Unavailable(why)) => {
                metrics::counter!("order_refunds_total", "outcome" => "unavailable").increment(1);
                tracing::warn!(%why, "payment provider unavailable; the refund is retried");
                Err(HandlerError::Unavailable(format!(
                    "payment provider: {why}"
                )))
            }
            Err(e) => {
                tracing::error!(error = %e, "the provider refused the refund; dead-lettered");
                Err(HandlerError::Reject(format!("refund refused: {e}")))
            }
        }
    }
}
