//! The saga's answers from product-service: `stock.reserved` moves a `PENDING` order to
//! `PROCESSING`, `stock.rejected` to `REJECTED` with the reason, `stock.released` records
//! that a cancelled order's stock is back. Each change is guarded by the expected status and
//! version, so a redelivered event changes nothing. For an order with a payment,
//! `stock.reserved` is the payment step's cue ([`crate::payment`]): it goes to `PROCESSING`
//! only once the provider authorised it. A rejected order gives its coupon's use back
//! ([`super::coupons`]).

use bson::oid::ObjectId;
use chrono::Utc;
use shared::{
    ApiError,
    events::{Envelope, HandlerError, keys},
};

use super::payloads::{StockAnswer, StockRejected};
use crate::{domain::Change, lifecycle::Outcome, payment::Payments, store::orders};

/// Applies one stock event.
#[tracing::instrument(skip_all, fields(event.type = %event.kind, event.id = %event.id))]
pub async fn handle(payments: &Payments, event: Envelope) -> Result<(), HandlerError> {
    let orders_ = &payments.orders;
    // The order as `stock.reserved` read it, so the change starts from it instead of reading
    // it again.
    let mut read = None;
    let change = match event.kind.as_str() {
        keys::STOCK_RESERVED => {
            let id = order_id(&payload::<StockAnswer>(&event)?.order_id)?;
            let stored = orders::by_id_with_pending(&orders_.db, id)
                .await
                .map_err(transient)?;
            let Some((order, pending)) = stored else {
                tracing::warn!(order.id = %id, "stock answer for an unknown order; ignored");
                return Ok(());
            };
            if order.payment.is_some() {
                return payments
                    .on_stock_reserved(order, &event.correlation_id)
                    .await;
            }
            read = Some((order, pending));
            Change::Reserve
        }
        keys::STOCK_REJECTED => {
            let rejected: StockRejected = payload(&event)?;
            Change::Reject {
                reason: rejected.reason(),
            }
        }
        keys::STOCK_RELEASED => {
            let id = order_id(&payload::<StockAnswer>(&event)?.order_id)?;
            let first = orders::mark_stock_released(&orders_.db, id, Utc::now())
                .await
                .map_err(transient)?;
            tracing::info!(order.id = %id, first, "stock released");
            return Ok(());
        }
        other => {
            tracing::debug!(kind = other, "not a stock event; ignored");
            return Ok(());
        }
    };
    let id = order_id(&payload::<StockAnswer>(&event)?.order_id)?;
    let rejecting = matches!(change, Change::Reject { .. });
    let outcome = match read {
        Some(read) => {
            orders_
                .change_from(read, &change, &event.correlation_id)
                .await
        }
        None => orders_.change(id, &change, &event.correlation_id).await,
    };
    match outcome.map_err(transient)? {
        Outcome::Applied { .. } | Outcome::Skipped => {}
        Outcome::Illegal { current, .. } => {
            // A redelivery (already applied), or the customer cancelled first.
            tracing::info!(order.id = %id, status = %current.status, "stock answer does not apply any more; ignored");
        }
        Outcome::NotFound => {
            tracing::warn!(order.id = %id, "stock answer for an unknown order; ignored");
        }
    }
    if rejecting {
        // After the change is written, before the event is acknowledged: a crash in between
        // redelivers it, and this gives back then (once, whichever delivery gets here).
        super::coupons::give_back_for(orders_, id).await?;
    }
    Ok(())
}

fn payload<T: serde::de::DeserializeOwned>(event: &Envelope) -> Result<T, HandlerError> {
    event
        .data_as()
        .map_err(|e| HandlerError::Reject(format!("malformed {} payload: {e}", event.kind)))
}

fn order_id(raw: &str) -> Result<ObjectId, HandlerError> {
    ObjectId::parse_str(raw).map_err(|_| HandlerError::Reject(format!("not an order id: {raw:?}")))
}

fn transient(err: ApiError) -> HandlerError {
    HandlerError::from(err)
}
