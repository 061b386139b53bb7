//! One status change applied to an order in memory: the next state, checked against the
//! status machine. The store writes it guarded by the previous status and version.

use chrono::{DateTime, Duration, Utc};

use super::{
    HistoryEntry, Order, PaymentStatus, Status, order::history_key, payment::declined_reason,
    shipment,
};

/// A status change and what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Stock reserved: `PENDING → PROCESSING` (an order without a payment step).
    Reserve,
    /// Stock reserved and the payment authorised: `PENDING → PROCESSING`, the payment
    /// `authorized` with the provider's reference.
    Authorize {
        /// The provider's reference of the authorisation.
        provider_ref: String,
    },
    /// Stock reserved but the payment declined: `PENDING → REJECTED` with
    /// `PAYMENT_DECLINED: <code>`; the stock goes back (product-service hears `payment.failed`).
    Decline {
        /// The provider's decline code (`card_declined`, `insufficient_funds`).
        code: String,
    },
    /// Stock refused: `PENDING → REJECTED`, with the reason.
    Reject {
        /// Why.
        reason: String,
    },
    /// The saga's deadline passed with no stock answer: `PENDING → REJECTED` with
    /// [`SAGA_TIMEOUT`]; whatever stock the order holds, or comes to hold, goes back.
    Expire,
    /// `PENDING | PROCESSING → CANCELLED`.
    Cancel {
        /// Why, as given (or who cancelled).
        reason: String,
    },
    /// `PROCESSING → SHIPPED`; a carrier and tracking number are made up when not given.
    Ship {
        /// Carrier.
        carrier: Option<String>,
        /// Tracking number.
        tracking_number: Option<String>,
    },
    /// `SHIPPED → DELIVERED`.
    Deliver,
}

impl Change {
    /// The status this change leads to.
    pub fn target(&self) -> Status {
        match self {
            Self::Reserve | Self::Authorize { .. } => Status::Processing,
            Self::Reject { .. } | Self::Expire | Self::Decline { .. } => Status::Rejected,
            Self::Cancel { .. } => Status::Cancelled,
            Self::Ship { .. } => Status::Shipped,
            Self::Deliver => Status::Delivered,
        }
    }
}

/// The rejection reason of an order whose saga ran past its deadline; it starts with the code
/// `SAGA_TIMEOUT` so that clients can tell it from a refusal of stock.
pub const SAGA_TIMEOUT: &str = "SAGA_TIMEOUT: the stock was neither reserved nor refused in time";

/// The change does not fit where the order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order that is {from} cannot become {to}")]
pub struct Illegal {
    /// Where the order stands.
    pub from: Status,
    /// Where the change would take it.
    pub to: Status,
}

/// The order after `change` at `now`. `next_step_in` is when the fulfilment schedule should
/// take the following step, for statuses that have one (`PROCESSING`, `SHIPPED`).
pub fn apply(
    order: &Order,
    change: &Change,
    now: DateTime<Utc>,
    next_step_in: std::time::Duration,
) -> Result<Order, Illegal> {
    let to = change.target();
    if !order.status.can_become(to) {
        return Err(Illegal {
            from: order.status,
            to,
        });
    }
    let mut next = order.clone();
    let mut note = None;
    match change {
        Change::Reserve | Change::Deliver => {}
        Change::Authorize { provider_ref } => {
            let payment = next.payment.as_mut().ok_or(Illegal {
                from: order.status,
                to,
            })?;
            payment.status = PaymentStatus::Authorized;
            payment.provider_ref = Some(provider_ref.clone());
        }
        Change::Decline { code } => {
            let payment = next.payment.as_mut().ok_or(Illegal {
                from: order.status,
                to,
            })?;
            payment.status = PaymentStatus::Declined;
            payment.decline_reason = Some(code.clone());
            let reason = declined_reason(code);
            next.rejection_reason = Some(reason.clone());
            note = Some(reason);
        }
        Change::Reject { reason } => {
            next.rejection_reason = Some(reason.clone());
            note = Some(reason.clone());
        }
        Change::Expire => {
            next.rejection_reason = Some(SAGA_TIMEOUT.to_owned());
            note = Some(SAGA_TIMEOUT.to_owned());
        }
        Change::Cancel { reason } => {
            next.cancellation_reason = Some(reason.clone());
            note = Some(reason.clone());
        }
        Change::Ship {
            carrier,
            tracking_number,
        } => {
            let carrier = carrier.clone().unwrap_or_else(shipment::any_carrier);
            let tracking = tracking_number
                .clone()
                .unwrap_or_else(shipment::tracking_number);
            note = Some(format!("{carrier} {tracking}"));
            next.carrier = Some(carrier);
            next.tracking_number = Some(tracking);
            next.estimated_delivery = shipment::estimate_from_shipping(now);
        }
    }
    next.next_due_at_ms = next_due(to, now, next_step_in);
    next.status = to;
    next.version = order.version + 1;
    next.updated_at = now;
    next.history.insert(
        history_key(next.version),
        HistoryEntry {
            status: to,
            at: now,
            note,
        },
    );
    Ok(next)
}

/// When the step after `status` is due, counting `wait` from `from` (epoch milliseconds): for
/// `PENDING` the saga's deadline, for `PROCESSING` and `SHIPPED` the fulfilment schedule's next
/// step; `None` for the final statuses.
pub fn next_due(status: Status, from: DateTime<Utc>, wait: std::time::Duration) -> Option<i64> {
    match status {
        Status::Pending | Status::Processing | Status::Shipped => {
            let wait = Duration::from_std(wait).unwrap_or(Duration::zero());
            Some((from + wait).timestamp_millis())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use bson::oid::ObjectId;

    use super::*;
    use crate::domain::Address;

    fn placed() -> Order {
        let now = Utc::now();
        let mut history = BTreeMap::new();
        history.insert(
            history_key(0),
            HistoryEntry {
                status: Status::Pending,
                at: now,
                note: None,
            },
        );
        Order {
            id: ObjectId::new(),
            customer_id: "c".to_owned(),
            items: vec![],
            total_cents: 0,
            quote: None,
            shipping_address: Address {
                street: "s".to_owned(),
                city: "c".to_owned(),
                zip_code: "z".to_owned(),
                country: "x".to_owned(),
            },
            status: Status::Pending,
            version: 0,
            history,
            rejection_reason: None,
            cancellation_reason: None,
            carrier: None,
            tracking_number: None,
            estimated_delivery: shipment::estimate_from_order(now),
            next_due_at_ms: None,
            stock_released_at: None,
            payment: None,
            request_key: "order:x".to_owned(),
            coupon: None,
            created_at: now,
            updated_at: now,
        }
    }

    const SOON: std::time::Duration = std::time::Duration::from_millis(250);

    #[test]
    fn each_change_appends_one_history_entry_and_bumps_the_version() {
        let now = Utc::now();
        let processing = apply(&placed(), &Change::Reserve, now, SOON).unwrap();
        let shipped = apply(
            &processing,
            &Change::Ship {
                carrier: None,
                tracking_number: None,
            },
            now,
            SOON,
        )
        .unwrap();
        let delivered = apply(&shipped, &Change::Deliver, now, SOON).unwrap();

        assert_eq!(delivered.version, 3);
        let statuses: Vec<Status> = delivered.history().iter().map(|(_, e)| e.status).collect();
        assert_eq!(
            statuses,
            [
                Status::Pending,
                Status::Processing,
                Status::Shipped,
                Status::Delivered
            ]
        );
        assert!(shipped.carrier.is_some() && shipped.tracking_number.is_some());
        assert_eq!(
            processing.next_due_at_ms,
            Some((now + Duration::milliseconds(250)).timestamp_millis())
        );
        assert!(shipped.next_due_at_ms.is_some());
        assert_eq!(delivered.next_due_at_ms, None);
    }

    #[test]
    fn an_expired_order_is_rejected_with_the_saga_timeout_and_leaves_the_schedule() {
        let mut pending = placed();
        pending.next_due_at_ms = next_due(Status::Pending, Utc::now(), SOON);

        let expired = apply(&pending, &Change::Expire, Utc::now(), SOON).unwrap();
        let processing = apply(&pending, &Change::Reserve, Utc::now(), SOON).unwrap();

        assert_eq!(expired.status, Status::Rejected);
        assert_eq!(expired.rejection_reason.as_deref(), Some(SAGA_TIMEOUT));
        assert!(SAGA_TIMEOUT.starts_with("SAGA_TIMEOUT"));
        assert_eq!(expired.next_due_at_ms, None);
        assert!(apply(&processing, &Change::Expire, Utc::now(), SOON).is_err());
    }

    #[test]
    fn an_authorisation_records_the_reference_and_a_decline_rejects_with_its_code() {
        let mut paying = placed();
        paying.payment = Some(crate::domain::Payment::pending(
            "test", "visa", "4242", 12, 2030, "tok",
        ));
        let authorized = apply(
            &paying,
            &Change::Authorize {
                provider_ref: "auth_1".to_owned(),
            },
            Utc::now(),
            SOON,
        )
        .unwrap();
        let declined = apply(
            &paying,
            &Change::Decline {
                code: "card_declined".to_owned(),
            },
            Utc::now(),
            SOON,
        )
        .unwrap();

        let payment = authorized.payment.unwrap();
        assert_eq!(authorized.status, Status::Processing);
        assert_eq!(payment.status, PaymentStatus::Authorized);
        assert_eq!(payment.provider_ref.as_deref(), Some("auth_1"));
        assert_eq!(declined.status, Status::Rejected);
        assert_eq!(
            declined.rejection_reason.as_deref(),
            Some("PAYMENT_DECLINED: card_declined")
        );
        assert_eq!(declined.payment.unwrap().status, PaymentStatus::Declined);
        // An invoiced order has no payment to authorise.
        assert!(
            apply(
                &placed(),
                &Change::Authorize {
                    provider_ref: "x".to_owned()
                },
                Utc::now(),
                SOON
            )
            .is_err()
        );
    }

    #[test]
    fn an_illegal_change_names_both_statuses() {
        let err = apply(&placed(), &Change::Deliver, Utc::now(), SOON).unwrap_err();
        assert_eq!(
            err,
            Illegal {
                from: Status::Pending,
                to: Status::Delivered
            }
        );
        assert_eq!(
            err.to_string(),
            "an order that is PENDING cannot become DELIVERED"
        );
    }

    #[test]
    fn a_rejection_keeps_its_reason_and_a_given_carrier_is_used() {
        let rejected = apply(
            &placed(),
            &Change::Reject {
                reason: "out of stock".to_owned(),
            },
            Utc::now(),
            SOON,
        )
        .unwrap();
        assert_eq!(rejected.rejection_reason.as_deref(), Some("out of stock"));
        let processing = apply(&placed(), &Change::Reserve, Utc::now(), SOON).unwrap();
        let shipped = apply(
            &processing,
            &Change::Ship {
                carrier: Some("DHL".to_owned()),
                tracking_number: Some("T1".to_owned()),
            },
            Utc::now(),
            SOON,
        )
        .unwrap();
        assert_eq!(shipped.carrier.as_deref(), Some("DHL"));
        assert_eq!(shipped.tracking_number.as_deref(), Some("T1"));
    }
}
