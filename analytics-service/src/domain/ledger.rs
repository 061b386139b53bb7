//! One order as the ledger knows it, and the rule of what it brought in.
//!
//! Revenue is money paid, recognised once and taken back by refunds:
//! - an order with a payment step counts the amount of its `payment.authorized`;
//! - an invoiced order (`POST /orders` without a card, so no payment step) counts what it is
//!   due (its quote's total; its `total` when it has no quote) once it reached `PROCESSING`,
//!   and nothing once it is cancelled or rejected;
//! - every `payment.refunded` takes its amount back, never more than was recognised; an order
//!   given back in full no longer counts.
//!
//! Figures fall on the UTC day the order was placed, so the rebuild (which sees orders, not
//! events) lands every cent on the same day the events did.

use super::Cents;

/// Statuses an invoiced order has reached `PROCESSING` in.
pub const REACHED: [&str; 3] = ["PROCESSING", "SHIPPED", "DELIVERED"];

/// How an order is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Payment {
    /// Not known yet (only `order.created` seen).
    #[default]
    Unknown,
    /// With a card: the payment events decide.
    Card,
    /// Invoiced: no payment step.
    Invoice,
}

impl Payment {
    /// As stored.
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            Self::Unknown => None,
            Self::Card => Some("card"),
            Self::Invoice => Some("invoice"),
        }
    }

    /// From what is stored.
    pub fn parse(text: Option<&str>) -> Self {
        match text {
            Some("card") => Self::Card,
            Some("invoice") => Self::Invoice,
            _ => Self::Unknown,
        }
    }
}

/// One line of an order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowLine {
    /// The product.
    pub product_id: String,
    /// Its name at order time.
    pub name: Option<String>,
    /// Units.
    pub quantity: i64,
    /// What the line cost.
    pub revenue: Cents,
}

/// What the ledger holds about one order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderRow {
    /// The UTC day it was placed.
    pub day: Option<String>,
    /// Its customer.
    pub customer_id: Option<String>,
    /// Its latest known status.
    pub status: String,
    /// Goods net of discounts (`total` of the order).
    pub total: Option<Cents>,
    /// What is paid: the quote's total.
    pub due: Option<Cents>,
    /// How it is paid.
    pub payment: Payment,
    /// The amount authorised (`payment.authorized`).
    pub paid: Option<Cents>,
    /// The sum of every refund.
    pub refunded: Cents,
    /// Whether it reached `PROCESSING`.
    pub reached: bool,
    /// Whether it came from a cart (`cart.checked_out`).
    pub from_cart: bool,
    /// Whether its payment was declined.
    pub payment_failed: bool,
    /// The coupon code applied, upper-cased.
    pub coupon: Option<String>,
    /// Taken off by the coupon.
    pub coupon_discount: Cents,
    /// The shipping a free-shipping coupon waived.
    pub coupon_shipping: Cents,
    /// Taken off by the loyalty tier.
    pub tier_discount: Cents,
    /// Taken off by redeemed points.
    pub points_discount: Cents,
    /// Its lines (only when asked for).
    pub lines: Vec<RowLine>,
}

impl OrderRow {
    /// What was recognised before refunds; `None` while nothing is.
    pub fn recognised(&self) -> Option<Cents> {
        if let Some(paid) = self.paid {
            return Some(paid);
        }
        let ended = matches!(self.status.as_str(), "CANCELLED" | "REJECTED");
        (self.payment == Payment::Invoice && self.reached && !ended)
            .then(|| self.due.or(self.total).unwrap_or(0))
    }

    /// What refunds took back: at most what was recognised.
    pub fn taken_back(&self) -> Cents {
        self.recognised()
            .map_or(0, |r| self.refunded.clamp(0, r.max(0)))
    }

    /// The order's revenue net of refunds; `None` when it does not count (nothing
    /// recognised, or everything given back).
    pub fn revenue(&self) -> Option<Cents> {
        let recognised = self.recognised()?;
        let back = self.taken_back();
        if self.refunded > 0 && back >= recognised {
            return None;
        }
        Some(recognised - back)
    }

    /// Whether it was paid by card (`payment.authorized` seen).
    pub fn is_paid(&self) -> bool {
        self.paid.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(paid: Option<Cents>, refunded: Cents) -> OrderRow {
        OrderRow {
            status: "PROCESSING".to_owned(),
            due: Some(1000),
            payment: Payment::Card,
            paid,
            refunded,
            ..OrderRow::default()
        }
    }

    #[test]
    fn a_card_order_counts_what_was_authorised_less_its_refunds() {
        assert_eq!(card(None, 0).revenue(), None);
        assert_eq!(card(Some(1000), 0).revenue(), Some(1000));
        assert_eq!(card(Some(1000), 250).revenue(), Some(750));
        assert_eq!(card(Some(1000), 1000).revenue(), None);
    }

    #[test]
    fn a_refund_never_takes_back_more_than_was_recognised() {
        // A void of an authorisation that lost the race with a cancel: no authorisation seen.
        assert_eq!(card(None, 1000).revenue(), None);
        assert_eq!(card(None, 1000).taken_back(), 0);
        // The same void seen twice (an event and the rebuild) takes back the amount once.
        assert_eq!(card(Some(1000), 2000).taken_back(), 1000);
    }

    #[test]
    fn an_invoiced_order_counts_its_due_from_processing_until_it_ends() {
        let mut row = OrderRow {
            status: "PENDING".to_owned(),
            total: Some(900),
            due: Some(1061),
            payment: Payment::Invoice,
            ..OrderRow::default()
        };
        assert_eq!(row.revenue(), None);
        row.reached = true;
        row.status = "SHIPPED".to_owned();
        assert_eq!(row.revenue(), Some(1061));
        row.due = None;
        assert_eq!(row.revenue(), Some(900));
        row.status = "CANCELLED".to_owned();
        assert_eq!(row.revenue(), None);
    }

    #[test]
    fn an_order_of_unknown_payment_counts_nothing() {
        let row = OrderRow {
            status: "PROCESSING".to_owned(),
            reached: true,
            total: Some(100),
            ..OrderRow::default()
        };
        assert_eq!(row.revenue(), None);
    }
}
