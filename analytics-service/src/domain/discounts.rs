//! The discounts report: what coupons, loyalty tiers and redeemed points took off the orders
//! that count (a cancelled, rejected or fully refunded order gave nothing away: its coupon use
//! and points went back). Amounts are the order's quote as priced, in exact cents. A
//! free-shipping coupon takes nothing off the goods: its worth is the shipping it waived
//! (counted in its `discount` and the day's `couponDiscount`, and shown apart as
//! `couponShipping`), as the cart shows it.

use std::collections::BTreeMap;

use shared::{
    Money,
    api::reports::{self, DiscountFigures},
};

use super::{Cents, DayRange, ledger::OrderRow};

/// One coupon's orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CouponFigures {
    /// Orders that used it.
    pub orders: i64,
    /// What it took off (the shipping it waived included).
    pub discount: Cents,
    /// What those orders brought in.
    pub revenue: Cents,
}

/// The discounts of one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayDiscounts {
    /// By coupons (the shipping they waived included).
    pub coupon: Cents,
    /// The shipping free-shipping coupons waived.
    pub coupon_shipping: Cents,
    /// By loyalty tiers.
    pub tier: Cents,
    /// By redeemed points.
    pub points: Cents,
}

/// The report over a range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discounts {
    /// Per coupon code.
    pub coupons: BTreeMap<String, CouponFigures>,
    /// Per day.
    pub days: BTreeMap<String, DayDiscounts>,
}

impl Discounts {
    /// Counts `row` in, if it counts.
    pub fn add(&mut self, row: &OrderRow) {
        let (Some(revenue), Some(day)) = (row.revenue(), row.day.as_ref()) else {
            return;
        };
        if let Some(code) = &row.coupon {
            let c = self.coupons.entry(code.clone()).or_default();
            c.orders += 1;
            c.discount += row.coupon_discount + row.coupon_shipping;
            c.revenue += revenue;
        }
        let d = self.days.entry(day.clone()).or_default();
        d.coupon += row.coupon_discount + row.coupon_shipping;
        d.coupon_shipping += row.coupon_shipping;
        d.tier += row.tier_discount;
        d.points += row.points_discount;
    }

    /// `{coupons: [{code, orders, discount, revenue}], days: [{date, couponDiscount,
    /// tierDiscount, pointsDiscount}], totals}`: coupons by discount given, then code; every
    /// day of `range`, zero days included.
    pub fn report(&self, range: DayRange) -> reports::Discounts {
        let mut coupons: Vec<(&String, &CouponFigures)> = self.coupons.iter().collect();
        coupons.sort_by(|a, b| b.1.discount.cmp(&a.1.discount).then(a.0.cmp(b.0)));
        let coupons = coupons
            .into_iter()
            .map(|(code, c)| reports::CouponFigures {
                code: code.clone(),
                orders: c.orders,
                discount: Money::from_cents(c.discount),
                revenue: Money::from_cents(c.revenue),
            })
            .collect();
        let day_report = |date: Option<String>, d: DayDiscounts| DiscountFigures {
            date,
            coupon_discount: Money::from_cents(d.coupon),
            coupon_shipping: Money::from_cents(d.coupon_shipping),
            tier_discount: Money::from_cents(d.tier),
            points_discount: Money::from_cents(d.points),
        };
        let mut total = DayDiscounts::default();
        let days = range
            .days()
            .map(|day| {
                let d = self.days.get(&day.text()).copied().unwrap_or_default();
                total.coupon += d.coupon;
                total.coupon_shipping += d.coupon_shipping;
                total.tier += d.tier;
                total.points += d.points;
                day_report(Some(day.text()), d)
            })
            .collect();
        reports::Discounts {
            period: range.span(),
            coupons,
            days,
            totals: day_report(None, total),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::{Day, ledger::Payment};

    #[test]
    fn only_orders_that_count_give_discounts_and_sums_stay_in_cents() {
        let row = |status: &str, paid: Option<Cents>, coupon: &str, off: Cents| OrderRow {
            day: Some("2026-05-01".to_owned()),
            status: status.to_owned(),
            payment: Payment::Card,
            paid,
            coupon: Some(coupon.to_owned()),
            coupon_discount: off,
            tier_discount: 1,
            points_discount: 10,
            ..OrderRow::default()
        };
        let mut report = Discounts::default();
        for _ in 0..3 {
            report.add(&row("PROCESSING", Some(1001), "WELCOME10", 111));
        }
        report.add(&row("REJECTED", None, "WELCOME10", 500));
        let day = Day::parse("2026-05-01").unwrap();
        let json = serde_json::to_value(report.report(DayRange::new(day, day).unwrap())).unwrap();
        assert_eq!(
            json["coupons"],
            json!([{"code": "WELCOME10", "orders": 3, "discount": 3.33, "revenue": 30.03}])
        );
        assert_eq!(
            json["totals"],
            json!({"couponDiscount": 3.33, "couponShipping": 0.0, "tierDiscount": 0.03,
                "pointsDiscount": 0.3})
        );
    }

    #[test]
    fn a_free_shipping_coupon_is_worth_the_shipping_it_waived() {
        let row = OrderRow {
            day: Some("2026-05-02".to_owned()),
            status: "DELIVERED".to_owned(),
            payment: Payment::Card,
            paid: Some(2807),
            coupon: Some("FREESHIP".to_owned()),
            coupon_shipping: 599,
            ..OrderRow::default()
        };
        let mut report = Discounts::default();
        report.add(&row);
        let day = Day::parse("2026-05-02").unwrap();
        let json = serde_json::to_value(report.report(DayRange::new(day, day).unwrap())).unwrap();
        assert_eq!(
            json["coupons"],
            json!([{"code": "FREESHIP", "orders": 1, "discount": 5.99, "revenue": 28.07}])
        );
        assert_eq!(json["totals"]["couponDiscount"], 5.99);
        assert_eq!(json["totals"]["couponShipping"], 5.99);
    }
}
