//! Period figures and the trend between two periods.

use serde_json::{Value, json};
use shared::Money;

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
    pub fn to_json(self) -> Value {
        json!({
            "revenue": Money::from_cents(self.revenue),
            "orderCount": self.orders,
            "averageOrderValue": Money::from_cents(self.average()),
        })
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

/// `{period, previousPeriod, current, previous, trend}` for business metrics.
pub fn business(range: DayRange, now: Totals, before: Totals) -> Value {
    let period = |r: DayRange| json!({ "from": r.from.text(), "to": r.to.text(), "days": r.len() });
    let mut body = now.to_json();
    let trend = json!({
        "revenue": change_percent(before.revenue, now.revenue),
        "orderCount": change_percent(before.orders, now.orders),
        "averageOrderValue": change_percent(before.average(), now.average()),
    });
    if let Value::Object(map) = &mut body {
        map.insert("period".to_owned(), period(range));
        map.insert("previousPeriod".to_owned(), period(range.previous()));
        map.insert("previous".to_owned(), before.to_json());
        map.insert("trend".to_owned(), trend);
    }
    body
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
        let json = totals.to_json();
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
