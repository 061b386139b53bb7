//! The order funnel of one day: how far the orders placed that day got, and the ratios
//! between the steps. Each day follows its own orders (a cohort), so a ratio compares the same
//! orders and a late delivery still counts for the day its order was placed.

use shared::api::reports::{FunnelFigures, FunnelRatios};

use super::ledger::OrderRow;

/// The steps of one day's orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Funnel {
    /// Orders that came from a cart (`cart.checked_out`).
    pub checked_out: i64,
    /// Orders placed.
    pub created: i64,
    /// Orders whose payment was authorised.
    pub paid: i64,
    /// Orders whose payment was declined.
    pub payment_failed: i64,
    /// Orders rejected (no stock, a declined payment, the saga's deadline).
    pub rejected: i64,
    /// Orders cancelled.
    pub cancelled: i64,
    /// Orders delivered.
    pub delivered: i64,
}

/// `n / of` to four decimals; `None` when `of` is 0.
pub fn ratio(n: i64, of: i64) -> Option<f64> {
    (of != 0).then(|| super::figures::rounded_div(n * 10_000, of) as f64 / 10_000.0)
}

impl Funnel {
    /// Counts `row` in.
    pub fn add(&mut self, row: &OrderRow) {
        self.created += 1;
        self.checked_out += i64::from(row.from_cart);
        self.paid += i64::from(row.is_paid());
        self.payment_failed += i64::from(row.payment_failed);
        match row.status.as_str() {
            "REJECTED" => self.rejected += 1,
            "CANCELLED" => self.cancelled += 1,
            "DELIVERED" => self.delivered += 1,
            _ => {}
        }
    }

    /// The sum of two.
    pub fn plus(self, o: Self) -> Self {
        Self {
            checked_out: self.checked_out + o.checked_out,
            created: self.created + o.created,
            paid: self.paid + o.paid,
            payment_failed: self.payment_failed + o.payment_failed,
            rejected: self.rejected + o.rejected,
            cancelled: self.cancelled + o.cancelled,
            delivered: self.delivered + o.delivered,
        }
    }

    /// The figures of `date` (of a whole period without one), with their ratios; a ratio is
    /// `null` when there is nothing to divide by.
    pub fn report(self, date: Option<String>) -> FunnelFigures {
        FunnelFigures {
            date,
            checked_out: self.checked_out,
            created: self.created,
            paid: self.paid,
            payment_failed: self.payment_failed,
            rejected: self.rejected,
            cancelled: self.cancelled,
            delivered: self.delivered,
            ratios: FunnelRatios {
                checkout_share: ratio(self.checked_out, self.created),
                payment_success: ratio(self.paid, self.paid + self.payment_failed),
                paid_of_created: ratio(self.paid, self.created),
                rejected: ratio(self.rejected, self.created),
                cancelled: ratio(self.cancelled, self.created),
                delivered: ratio(self.delivered, self.created),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_have_four_decimals_and_are_null_without_a_base() {
        assert_eq!(ratio(1, 3), Some(0.3333));
        assert_eq!(ratio(2, 3), Some(0.6667));
        assert_eq!(ratio(0, 0), None);
        assert_eq!(Funnel::default().report(None).ratios.delivered, None);
    }

    #[test]
    fn a_declined_card_counts_as_failed_and_rejected_never_paid() {
        let mut funnel = Funnel::default();
        funnel.add(&OrderRow {
            status: "REJECTED".to_owned(),
            payment_failed: true,
            from_cart: true,
            ..OrderRow::default()
        });
        funnel.add(&OrderRow {
            status: "DELIVERED".to_owned(),
            paid: Some(100),
            ..OrderRow::default()
        });
        assert_eq!(
            funnel,
            Funnel {
                checked_out: 1,
                created: 2,
                paid: 1,
                payment_failed: 1,
                rejected: 1,
                cancelled: 0,
                delivered: 1,
            }
        );
        assert_eq!(funnel.report(None).ratios.payment_success, Some(0.5));
    }
}
