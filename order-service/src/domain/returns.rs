//! Returns (issue 17), without I/O: the stored return with its history, the status machine
//! `REQUESTED` → `APPROVED` → `RECEIVED` → `REFUNDED` (or `REJECTED` before the parcel is
//! received), and the rules of a new return ([`plan`]): the order was delivered less than
//! [`WINDOW_DAYS`] ago, every line is a product of the order, and no more is returned than was
//! bought, counting every earlier return that was not rejected.
//!
//! The refund: what a return gives back is its lines' share of the goods as paid.
//! - The base ([`refundable_cents`]) is the order's `quote.total` less shipping and the tax on
//!   shipping (8 % of it, half-up, never more than the tax charged): shipping is not refunded;
//!   coupon, tier and points discounts were taken off the goods, so they lower the base in
//!   proportion; tax on the goods is refunded with them.
//! - A return's share is by list price: after it, the non-rejected returns of the order hold
//!   `C` of the order's `S` cents of list subtotal, so together they are owed
//!   `floor(base × C / S)`; this return gets that less what the earlier ones were given (never
//!   below zero). Exact cents, rounding down except that returning everything gives back the
//!   whole base, and the sum over all returns never exceeds the base, hence never what was
//!   paid. An order without a quote (placed before pricing) has its total as base.

use std::collections::BTreeMap;

use bson::oid::ObjectId;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use shared::ApiError;

use super::{Money, Order, Status, order::rfc3339, pricing::TAX};

/// How long after delivery a return may be asked for.
pub const WINDOW_DAYS: i64 = 30;

pub use shared::api::returns::ReturnStatus;

/// One returned line, priced as the order was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnLine {
    /// The product.
    pub product_id: String,
    /// Its name on the order.
    pub name: String,
    /// Unit price on the order, in cents.
    pub unit_price_cents: i64,
    /// Units returned.
    pub quantity: i64,
}

/// One step of a return's history. Times are epoch milliseconds: a number reads back the same
/// from MongoDB and from the stand-in, which keeps a `$set` date as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnStep {
    /// The status entered.
    pub status: ReturnStatus,
    /// When.
    pub at_ms: i64,
    /// The reason, an admin's note, or the provider's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A return as stored in the `returns` collection (without its outbox fields).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Return {
    /// Id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// The order (hex id).
    pub order_id: String,
    /// The order's customer.
    pub customer_id: String,
    /// The how-manieth return of its order (0-based): unique with `orderId`, so two returns
    /// decided on the same earlier returns cannot both be stored.
    pub seq: i64,
    /// What goes back.
    pub items: Vec<ReturnLine>,
    /// The customer's reason.
    pub reason: String,
    /// What is refunded, in cents.
    pub amount_cents: i64,
    /// Where it stands.
    pub status: ReturnStatus,
    /// Incremented by every change; the index of the latest history entry.
    pub version: i64,
    /// Every step, keyed by zero-padded index (as an order's history).
    pub history: BTreeMap<String, ReturnStep>,
    /// The provider's reference of the refund, once refunded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_ref: Option<String>,
    /// When it was asked for (epoch milliseconds).
    pub created_at_ms: i64,
    /// Last change (epoch milliseconds).
    pub updated_at_ms: i64,
}

/// What a new return will hold, decided by [`plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The lines, priced as on the order.
    pub items: Vec<ReturnLine>,
    /// The refund, in cents.
    pub amount_cents: i64,
}

/// A return that may not be made: 422 with `details.code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The order is not `DELIVERED`.
    #[error("only a delivered order can be returned (this one is {0})")]
    NotDelivered(Status),
    /// Delivered more than [`WINDOW_DAYS`] ago.
    #[error("the {WINDOW_DAYS}-day return window closed on {0}")]
    WindowClosed(String),
    /// A line names a product the order does not hold.
    #[error("items[{0}]: the order holds no such product")]
    NotInOrder(usize),
    /// More than is left to return of a product.
    #[error("items[{index}]: {left} of this product can still be returned")]
    TooMany {
        /// The line.
        index: usize,
        /// Units bought less units in earlier returns that were not rejected.
        left: i64,
    },
}

impl Refusal {
    /// The machine-readable reason.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotDelivered(_) => "not_delivered",
            Self::WindowClosed(_) => "window_closed",
            Self::NotInOrder(_) => "not_in_order",
            Self::TooMany { .. } => "too_many",
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        ApiError::Refused {
            message: refusal.to_string(),
            details: serde_json::json!({ "code": refusal.code() }),
        }
    }
}

/// When `order` was delivered (its latest `DELIVERED` history entry).
pub fn delivered_at(order: &Order) -> Option<DateTime<Utc>> {
    order
        .history()
        .into_iter()
        .rev()
        .find(|(_, e)| e.status == Status::Delivered)
        .map(|(_, e)| e.at)
}

/// The goods' part of what was paid: the base every return's refund is a share of.
pub fn refundable_cents(order: &Order) -> i64 {
    match order.quote {
        Some(q) => {
            let shipping_tax = TAX.of(Money::from_cents(q.shipping_cents)).cents();
            (q.total_cents - q.shipping_cents - shipping_tax.min(q.tax_cents)).max(0)
        }
        None => order.total_cents,
    }
}

/// The return of `wanted` (product id, units) from `order`, given the order's `earlier`
/// returns, at `now`; or why not.
pub fn plan(
    order: &Order,
    earlier: &[Return],
    wanted: &[(String, i64)],
    now: DateTime<Utc>,
) -> Result<Plan, Refusal> {
    if order.status != Status::Delivered {
        return Err(Refusal::NotDelivered(order.status));
    }
    let closes = delivered_at(order).unwrap_or(order.updated_at) + Duration::days(WINDOW_DAYS);
    if now > closes {
        return Err(Refusal::WindowClosed(rfc3339(closes)));
    }
    let standing: Vec<&Return> = earlier
        .iter()
        .filter(|r| r.status != ReturnStatus::Rejected)
        .collect();
    let returned = |product: &str| -> i64 {
        standing
            .iter()
            .flat_map(|r| &r.items)
            .filter(|l| l.product_id == product)
            .map(|l| l.quantity)
            .sum()
    };
    let mut items = Vec::with_capacity(wanted.len());
    for (index, (product, quantity)) in wanted.iter().enumerate() {
        let product = product.to_ascii_lowercase();
        let line = order
            .items
            .iter()
            .find(|l| l.product_id.eq_ignore_ascii_case(&product))
            .ok_or(Refusal::NotInOrder(index))?;
        let left = line.quantity - returned(&line.product_id);
        if *quantity > left {
            return Err(Refusal::TooMany {
                index,
                left: left.max(0),
            });
        }
        items.push(ReturnLine {
            product_id: line.product_id.clone(),
            name: line.name.clone(),
            unit_price_cents: line.unit_price_cents,
            quantity: *quantity,
        });
    }
    let list = |lines: &mut dyn Iterator<Item = &ReturnLine>| -> i128 {
        lines
            .map(|l| i128::from(l.unit_price_cents) * i128::from(l.quantity))
            .sum()
    };
    let bought: i128 = order
        .items
        .iter()
        .map(|l| i128::from(l.subtotal_cents))
        .sum();
    let held = list(&mut standing.iter().flat_map(|r| &r.items).chain(&items));
    let given: i64 = standing.iter().map(|r| r.amount_cents).sum();
    let owed = if bought > 0 {
        i64::try_from(i128::from(refundable_cents(order)) * held.min(bought) / bought).unwrap_or(0)
    } else {
        0
    };
    Ok(Plan {
        items,
        amount_cents: (owed - given).max(0),
    })
}

/// What an admin (or the refund step) does to a return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `REQUESTED` → `APPROVED`.
    Approve,
    /// `REQUESTED` or `APPROVED` → `REJECTED`.
    Reject,
    /// `APPROVED` → `RECEIVED`.
    Receive,
    /// `RECEIVED` → `REFUNDED`.
    Refund,
}

impl Action {
    /// The status it leads to.
    pub fn target(self) -> ReturnStatus {
        match self {
            Self::Approve => ReturnStatus::Approved,
            Self::Reject => ReturnStatus::Rejected,
            Self::Receive => ReturnStatus::Received,
            Self::Refund => ReturnStatus::Refunded,
        }
    }

    /// Whether a return in `from` may take this action.
    pub fn allowed_from(self, from: ReturnStatus) -> bool {
        use ReturnStatus::*;
        matches!(
            (self, from),
            (Self::Approve, Requested)
                | (Self::Reject, Requested | Approved)
                | (Self::Receive, Approved)
                | (Self::Refund, Received)
        )
    }
}

/// The history key of index `n`.
pub fn step_key(n: i64) -> String {
    super::order::history_key(n)
}

impl Return {
    /// A new `REQUESTED` return of `plan` for `order`, the `seq`th of the order.
    pub fn requested(order: &Order, seq: i64, plan: Plan, reason: &str, now_ms: i64) -> Self {
        let step = ReturnStep {
            status: ReturnStatus::Requested,
            at_ms: now_ms,
            note: Some(reason.trim().to_owned()),
        };
        Self {
            id: ObjectId::new(),
            order_id: order.id.to_hex(),
            customer_id: order.customer_id.clone(),
            seq,
            items: plan.items,
            reason: reason.trim().to_owned(),
            amount_cents: plan.amount_cents,
            status: ReturnStatus::Requested,
            version: 0,
            history: BTreeMap::from([(step_key(0), step)]),
            refund_ref: None,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
        }
    }

    /// The return after `action` at `now_ms` with `note`; `None` when its status forbids it.
    pub fn after(&self, action: Action, note: Option<String>, now_ms: i64) -> Option<Self> {
        if !action.allowed_from(self.status) {
            return None;
        }
        let mut after = self.clone();
        after.status = action.target();
        after.version += 1;
        after.updated_at_ms = now_ms;
        after.history.insert(
            step_key(after.version),
            ReturnStep {
                status: after.status,
                at_ms: now_ms,
                note,
            },
        );
        Some(after)
    }
}

mod view;

#[cfg(test)]
mod tests;
