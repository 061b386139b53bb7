//! The saga's payment step (issue 15): `stock.reserved` → authorise the order's total with
//! the provider → `PROCESSING` (+ `payment.authorized`), or `REJECTED` `PAYMENT_DECLINED`
//! (+ `payment.failed`, on which product-service gives the stock back); and the void of a
//! cancelled order's authorisation (+ `payment.refunded`).
//!
//! - **Once.** Every provider call carries the order id as its idempotency key, so a
//!   redelivered `stock.reserved` gets the first answer and the ledger holds one charge; the
//!   status change is guarded by status and version like every other.
//! - **A provider that is down delays, it never rejects.** Before the first call the order's
//!   saga deadline is lifted ([`orders::hold_for_payment`]): its stock is held and it waits for
//!   the provider alone. The consumer answers `Unavailable`, so the bus redelivers with
//!   backoff for as long as the outage lasts without dead-lettering. The customer may cancel
//!   meanwhile.
//! - **A cancel never loses its void.** The cancel stages `order.cancelled` in the same write as
//!   the status; this service consumes it on its own durable queue (`ORDER_PAYMENTS`) and
//!   voids by order id until the provider answers, then records the void with
//!   `payment.refunded` in one write guarded by "no void recorded yet". An order cancelled
//!   before it was authorised has its key voided too, and the test provider declines a key
//!   voided first, so a late authorisation cannot charge it; an authorisation that won the race
//!   finds the order cancelled and voids it itself, through the same guarded record.
//!
//! Nothing is captured in this suite (orders are never charged beyond the authorisation), so
//! giving back is always a void; a refund of a captured charge (returns) is another slice.

use std::sync::Arc;

use bson::oid::ObjectId;
use chrono::Utc;
use shared::{
    ApiError,
    events::{Envelope, HandlerError},
    payment::{Authorization, PaymentProvider, ProviderError},
};

use crate::{
    domain::{Change, Order, PaymentStatus, Status},
    events,
    lifecycle::{Orders, Outcome},
    store::orders,
};

/// The orders and the provider. Cheap to clone.
#[derive(Clone)]
pub struct Payments {
    /// Status changes with their events.
    pub orders: Orders,
    /// The payment provider (`PAYMENT_PROVIDER`).
    pub provider: Arc<dyn PaymentProvider>,
}

fn unavailable(e: ApiError) -> HandlerError {
    HandlerError::from(e)
}

impl Payments {
    /// The saga's step for a paying order whose stock was reserved (`order.payment` is set),
    /// as the stock answer's handler read it.
    #[tracing::instrument(skip_all, fields(order.id = %order.id))]
    pub async fn on_stock_reserved(
        &self,
        order: Order,
        correlation_id: &str,
    ) -> Result<(), HandlerError> {
        let db = &self.orders.db;
        let id = order.id;
        let Some(payment) = order.payment.clone() else {
            return Err(HandlerError::Reject("not a paying order".to_owned()));
        };
        if order.status != Status::Pending {
            tracing::info!(status = %order.status, "stock answer does not apply any more; ignored");
            return Ok(());
        }
        if payment.stock_reserved_at_ms.is_none() {
            let now_ms = Utc::now().timestamp_millis();
            if !orders::hold_for_payment(db, &order, now_ms)
                .await
                .map_err(unavailable)?
            {
                // The deadline, a cancel or another replica moved it: decide again.
                return Err(HandlerError::Retry(
                    "the order changed meanwhile".to_owned(),
                ));
            }
        }
        let key = id.to_hex();
        let amount = order.amount_due_cents();
        let change = match self.provider.authorize(&key, &payment.token, amount).await {
            Ok(Authorization::Approved { provider_ref }) => Change::Authorize { provider_ref },
            Ok(Authorization::Declined { reason }) => Change::Decline {
                code: reason.code().to_owned(),
            },
            Err(ProviderError::Unavailable(why)) => {
                metrics::counter!("order_payments_total", "outcome" => "unavailable").increment(1);
                tracing::warn!(%why, "payment provider unavailable; the order waits, retried");
                return Err(HandlerError::Unavailable(format!(
                    "payment provider: {why}"
                )));
            }
            // A token this provider cannot charge, or a call it will never do: the payment
            // failed, and the order must not wait for ever.
            Err(e @ (ProviderError::InvalidCard { .. } | ProviderError::Refused(_))) => {
                tracing::warn!(error = %e, "payment provider refused the authorisation");
                Change::Decline {
                    code: "payment_refused".to_owned(),
                }
            }
        };
        let outcome = match &change {
            Change::Authorize { .. } => "authorized",
            _ => "declined",
        };
        match self
            .orders
            .change(id, &change, correlation_id)
            .await
            .map_err(unavailable)?
        {
            Outcome::Applied { .. } => {
                metrics::counter!("order_payments_total", "outcome" => outcome).increment(1);
                tracing::info!(outcome, amount, "payment step decided");
            }
            Outcome::Illegal { current, .. } => {
                // Cancelled while the provider was asked: give an authorisation back.
                if let (Change::Authorize { .. }, Status::Cancelled) = (&change, current.status) {
                    self.void(&current, true, correlation_id).await?;
                }
            }
            Outcome::Skipped | Outcome::NotFound => {}
        }
        Ok(())
    }

    /// `order.cancelled`: voids the order's authorisation, if it has a payment that may hold
    /// one.
    #[tracing::instrument(skip_all, fields(event.id = %event.id))]
    pub async fn on_cancelled(&self, event: Envelope) -> Result<(), HandlerError> {
        let data: events::OrderCancelled = event
            .data_as()
            .map_err(|e| HandlerError::Reject(format!("malformed order.cancelled: {e}")))?;
        let id = ObjectId::parse_str(&data.order_id)
            .map_err(|_| HandlerError::Reject(format!("not an order id: {}", data.order_id)))?;
        let Some(order) = orders::by_id(&self.orders.db, id)
            .await
            .map_err(unavailable)?
        else {
            return Ok(());
        };
        let Some(payment) = &order.payment else {
            return Ok(()); // An invoiced order: nothing to give back.
        };
        match payment.status {
            PaymentStatus::Authorized => self.void(&order, true, &event.correlation_id).await,
            PaymentStatus::Pending => self.void(&order, false, &event.correlation_id).await,
            PaymentStatus::Declined | PaymentStatus::Voided => Ok(()),
        }
    }

    /// Voids `order`'s key at the provider and records it; `charged`: an authorisation was
    /// approved, so the void is recorded with `payment.refunded`.
    async fn void(
        &self,
        order: &Order,
        charged: bool,
        correlation_id: &str,
    ) -> Result<(), HandlerError> {
        let void_ref = match self.provider.void(&order.id.to_hex()).await {
            Ok(void_ref) => void_ref,
            Err(ProviderError::Unavailable(why)) => {
                tracing::warn!(order.id = %order.id, %why, "payment provider unavailable; the void is retried");
                return Err(HandlerError::Unavailable(format!(
                    "payment provider: {why}"
                )));
            }
            Err(e) => {
                tracing::error!(order.id = %order.id, error = %e, "the provider refused to void; nothing more to do here");
                return Ok(());
            }
        };
        let db = &self.orders.db;
        if !charged {
            orders::mark_unpaid_void(db, order.id)
                .await
                .map_err(unavailable)?;
            return Ok(());
        }
        let refunded = events::payment_refunded(order, &void_ref, correlation_id)
            .map_err(|e| HandlerError::Reject(e.to_string()))?;
        if orders::record_void(db, order, &void_ref, &[refunded])
            .await
            .map_err(unavailable)?
        {
            self.orders.outbox.nudge_collection(orders::COLLECTION);
            metrics::counter!("order_payment_voids_total").increment(1);
            tracing::info!(order.id = %order.id, "authorisation voided");
        }
        Ok(())
    }
}
