//! Period figures and the trend between two periods.

use shared::{
    Money,
    api::reports::{self, BusinessMetrics, LoyaltyReport, Trend},
};

use super::DayRange;

/// An amount in cents, as the read models store and sum it.
pub type Cents = i64;

/// `total / count`, rounded half away from zero; 0 when `count` is 0.
pub fn rounded_div(total: i64, count: i64) -> i64 {
    if count == 0 {
        return 0;
    }
    let (q, r) = (total / count, total % count);
    if 2 * r.abs() >= count.abs() {
        q + total.signum() * count.signum()
    } else {
        q
    }
}

/// Revenue and order count of a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Revenue in cents.
    pub revenue: Cents,
    /// Orders that count.
    pub orders: i64,
}

impl Totals {
    /// Average order value in cents, rounded half up to the cent.
    pub fn average(self) -> Cents {
        rounded_div(self.revenue, self.orders)
    }

    /// `{revenue, orderCount, averageOrderValue}`.
    pub fn report(self) -> reports::Totals {
        reports::Totals {
            revenue: Money::from_cents(self.revenue),
            order_count: self.orders,
            average_order_value: Money::from_cents(self.average()),
        }
    }
}

/// The change from `before` to `now` in percent, to one decimal; `None` when `before` is 0.
pub fn change_percent(before: i64, now: i64) -> Option<f64> {
    if before == 0 {
        return None;
    }
    // Tenths of a percent, rounded half away from zero, in integers.
    let tenths = rounded_div((now - before) * 1000, before);
    Some(tenths as f64 / 10.0)
}

/// Business metrics: `range`'s figures against `before` (the period before), the trend
/// between them and the loyalty programme's figures.
pub fn business(
    range: DayRange,
    now: Totals,
    before: Totals,
    loyalty: LoyaltyReport,
) -> BusinessMetrics {
    BusinessMetrics {
        revenue: Money::from_cents(now.revenue),
        order_count: now.orders,
        average_order_value: Money::from_cents(now.average()),
        period: range.span(),
        previous_period: range.previous().span(),
        previous: before.report(),
        trend: Trend {
            revenue: change_percent(before.revenue, now.revenue),
            order_count: change_percent(before.orders, now.orders),
            average_order_value: change_percent(before.average(), now.average()),
        },
        loyalty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_round_half_up_to_the_cent() {
        assert_eq!(rounded_div(1000, 3), 333);
        assert_eq!(rounded_div(1001, 2), 501);
        assert_eq!(rounded_div(-1001, 2), -501);
        assert_eq!(rounded_div(5, 0), 0);
    }

    #[test]
    fn totals_show_money_with_at_most_two_decimals() {
        let totals = Totals {
            revenue: 1000,
            orders: 3,
        };
        let json = serde_json::to_value(totals.report()).unwrap();
        assert_eq!(json["revenue"].to_string(), "10.0");
        assert_eq!(json["averageOrderValue"].to_string(), "3.33");
    }

    #[test]
    fn the_trend_is_the_change_in_percent_and_null_from_nothing() {
        assert_eq!(change_percent(200, 300), Some(50.0));
        assert_eq!(change_percent(300, 200), Some(-33.3));
        assert_eq!(change_percent(3, 4), Some(33.3));
        assert_eq!(change_percent(0, 5), None);
    }
}
