//! Loyalty figures from `loyalty.changed`: each event carries the movement that made it
//! (`change: {points, held, reason}`, customer-service's history entry), sorted here into
//! what a programme reports. Holds and releases of points not yet spent move nothing final.
//!
//! - issued: points earned on delivery (`ORDER_DELIVERED`) and an admin's additions;
//! - redeemed: points spent on a paid order (`POINTS_SPENT`, the hold that became a payment);
//! - returned: redeemed points given back because a paid order was cancelled (`POINTS_RETURNED`);
//! - taken back: earned points taken on a refund (`ORDER_REFUNDED`) and an admin's deductions.

use std::collections::BTreeMap;

use shared::api::reports::{LoyaltyReport, PointsFigures};

use super::DayRange;

/// The tiers, lowest first (customer-service's names).
pub const TIERS: [&str; 4] = ["Bronze", "Silver", "Gold", "Platinum"];

/// Points moved on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Points {
    /// Earned.
    pub issued: i64,
    /// Spent on paid orders.
    pub redeemed: i64,
    /// Spent points given back.
    pub returned: i64,
    /// Earned points taken away.
    pub taken_back: i64,
}

impl Points {
    /// One movement: `points` added to the balance (negative: taken), `held` added to the
    /// held points, for `reason`.
    pub fn of(reason: &str, points: i64, held: i64) -> Self {
        let mut p = Self::default();
        match reason {
            "ORDER_DELIVERED" => p.issued = points.max(0),
            "POINTS_SPENT" => p.redeemed = (-held).max(0),
            "POINTS_RETURNED" => p.returned = points.max(0),
            "ORDER_REFUNDED" => p.taken_back = (-points).max(0),
            "ADMIN_ADJUSTMENT" if points >= 0 => p.issued = points,
            "ADMIN_ADJUSTMENT" => p.taken_back = -points,
            _ => {}
        }
        p
    }

    /// The sum of two.
    pub fn plus(self, o: Self) -> Self {
        Self {
            issued: self.issued + o.issued,
            redeemed: self.redeemed + o.redeemed,
            returned: self.returned + o.returned,
            taken_back: self.taken_back + o.taken_back,
        }
    }

    /// The figures of `date` (of a whole period without one).
    pub fn report(self, date: Option<String>) -> PointsFigures {
        PointsFigures {
            date,
            issued: self.issued,
            redeemed: self.redeemed,
            returned: self.returned,
            taken_back: self.taken_back,
        }
    }
}

/// `{days: [{date, issued, redeemed, returned, takenBack}], totals, customersByTier}` over
/// `range`, zero days included, every tier present.
pub fn report(
    range: DayRange,
    per_day: &BTreeMap<String, Points>,
    tiers: &BTreeMap<String, i64>,
) -> LoyaltyReport {
    let mut total = Points::default();
    let days = range
        .days()
        .map(|day| {
            let p = per_day.get(&day.text()).copied().unwrap_or_default();
            total = total.plus(p);
            p.report(Some(day.text()))
        })
        .collect();
    LoyaltyReport {
        days,
        totals: total.report(None),
        customers_by_tier: by_tier(tiers),
    }
}

/// Every tier with its customers (0 included), and any other tier name seen.
pub fn by_tier(tiers: &BTreeMap<String, i64>) -> BTreeMap<String, i64> {
    let mut map = tiers.clone();
    for tier in TIERS {
        map.entry(tier.to_owned()).or_insert(0);
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_movement_lands_in_one_figure_and_holds_in_none() {
        assert_eq!(Points::of("ORDER_DELIVERED", 120, 0).issued, 120);
        assert_eq!(Points::of("POINTS_SPENT", 0, -500).redeemed, 500);
        assert_eq!(Points::of("POINTS_RETURNED", 500, 0).returned, 500);
        assert_eq!(Points::of("ORDER_REFUNDED", -60, 0).taken_back, 60);
        assert_eq!(Points::of("ADMIN_ADJUSTMENT", -7, 0).taken_back, 7);
        assert_eq!(Points::of("ADMIN_ADJUSTMENT", 7, 0).issued, 7);
        assert_eq!(Points::of("POINTS_HELD", -500, 500), Points::default());
        assert_eq!(Points::of("POINTS_RELEASED", 500, -500), Points::default());
    }

    #[test]
    fn every_tier_is_listed_even_without_customers() {
        let tiers = BTreeMap::from([("Gold".to_owned(), 2)]);
        let expected = [("Bronze", 0), ("Silver", 0), ("Gold", 2), ("Platinum", 0)]
            .map(|(tier, n)| (tier.to_owned(), n));
        assert_eq!(by_tier(&tiers), BTreeMap::from(expected));
    }
}
