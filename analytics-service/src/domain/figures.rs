//! Period figures and the trend between two periods.

use serde_json::{Value, json};

use super::{DayRange, money};

/// Revenue and order count of a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Revenue in cents.
    pub revenue: money::Cents,
    /// Orders that count.
    pub orders: i64,
}

impl Totals {
    /// Average order value in cents.
    pub fn average(self) -> money::Cents {
        money::average(self.revenue, self.orders)
    }

    /// `{revenue, orderCount, averageOrderValue}`.
    pub fn to_json(self) -> Value {
        json!({
            "revenue": money::to_json(self.revenue),
            "orderCount": self.orders,
            "averageOrderValue": money::to_json(self.average()),
        })
    }
}

/// The change from `before` to `now` in percent, to one decimal; `None` when `before` is 0.
pub fn change_percent(before: i64, now: i64) -> Option<f64> {
    if before == 0 {
        return None;
    }
    // Tenths of a percent, rounded half away from zero, in integers.
    let tenths = money::average((now - before) * 1000, before);
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
    fn the_trend_is_the_change_in_percent_and_null_from_nothing() {
        assert_eq!(change_percent(200, 300), Some(50.0));
        assert_eq!(change_percent(300, 200), Some(-33.3));
        assert_eq!(change_percent(3, 4), Some(33.3));
        assert_eq!(change_percent(0, 5), None);
    }
}
