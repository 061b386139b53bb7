//! Loyalty: points earned on delivered orders, tiers by lifetime points (DESIGN.md, "Coupons
//! and loyalty"). Pure rules, no I/O; `store::loyalty` keeps an [`Account`] inside the
//! customer's document. Points redeemed at checkout (held, spent, released), taken back on a
//! refund and adjusted by an admin: [`moves`].

pub mod moves;

pub use moves::{Hold, HoldState, NotEnough};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::{Money, api::loyalty as api};

/// One tier of the programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tier {
    /// Its name.
    pub name: &'static str,
    /// Lifetime points from which a customer holds it.
    pub min_points: i64,
    /// The discount it gives at checkout, in percent.
    pub discount_percent: u8,
}

/// The tiers, lowest first.
pub const TIERS: [Tier; 4] = [
    Tier {
        name: "Bronze",
        min_points: 0,
        discount_percent: 0,
    },
    Tier {
        name: "Silver",
        min_points: 500,
        discount_percent: 5,
    },
    Tier {
        name: "Gold",
        min_points: 2_000,
        discount_percent: 10,
    },
    Tier {
        name: "Platinum",
        min_points: 5_000,
        discount_percent: 15,
    },
];

/// The tier held with `lifetime` points.
pub fn tier_of(lifetime: i64) -> Tier {
    TIERS
        .into_iter()
        .rev()
        .find(|t| lifetime >= t.min_points)
        .unwrap_or(TIERS[0])
}

/// The next tier up and how many points it still takes; `None` at the top.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NextTier {
    /// Its name.
    pub name: &'static str,
    /// Lifetime points still missing.
    pub points_needed: i64,
}

/// The tier after the one held with `lifetime` points.
pub fn next_tier(lifetime: i64) -> Option<NextTier> {
    TIERS
        .into_iter()
        .find(|t| t.min_points > lifetime)
        .map(|t| NextTier {
            name: t.name,
            points_needed: t.min_points - lifetime,
        })
}

/// One point per whole currency unit of `total` (cents are dropped).
pub fn points_for(total: Money) -> i64 {
    total.cents().max(0) / 100
}

/// Why points moved.
pub const REASON_DELIVERED: &str = "ORDER_DELIVERED";

/// One movement of points, kept in the account just as the API shows it (times as RFC 3339
/// text, which sorts and survives the stand-in alike).
pub use api::LoyaltyEntry as HistoryEntry;

/// An entry at `at` moving `points` for `reason`; the optional parts empty.
pub fn entry(at: DateTime<Utc>, points: i64, reason: &str) -> HistoryEntry {
    HistoryEntry {
        at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        points,
        reason: reason.to_owned(),
        order_id: None,
        held: None,
        paid_cents: None,
        key: None,
        note: None,
    }
}

/// A customer's loyalty account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Points to spend.
    #[serde(default)]
    pub points: i64,
    /// Every point ever earned: decides the tier.
    #[serde(default)]
    pub lifetime_points: i64,
    /// Points held by orders not yet paid (not in `points`).
    #[serde(default)]
    pub held: i64,
    /// Every movement, oldest first. Also the inbox: an order appears here once.
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    /// Every hold ever made, oldest first, with its state: the inbox of the hold's steps.
    #[serde(default)]
    pub holds: Vec<Hold>,
}

impl Account {
    /// Whether `order` was credited already.
    pub fn credited(&self, order: &str) -> bool {
        self.history
            .iter()
            .any(|h| h.reason == REASON_DELIVERED && h.order_id.as_deref() == Some(order))
    }

    /// Credits `points` for the delivered `order`; `false` (and no change) when that order
    /// was credited before.
    /// `paid`: what the order charged (a refund takes back its share of the points).
    pub fn credit_delivery(
        &mut self,
        order: &str,
        points: i64,
        paid: Option<Money>,
        at: DateTime<Utc>,
    ) -> bool {
        if self.credited(order) {
            return false;
        }
        self.points = self.points.saturating_add(points);
        self.lifetime_points = self.lifetime_points.saturating_add(points);
        self.history.push(HistoryEntry {
            order_id: Some(order.to_owned()),
            paid_cents: paid.map(Money::cents),
            ..entry(at, points, REASON_DELIVERED)
        });
        true
    }

    /// What `GET /loyalty` answers: the history newest first.
    pub fn view(&self) -> api::LoyaltyAccount {
        api::LoyaltyAccount {
            points: self.points,
            lifetime_points: self.lifetime_points,
            held: self.held,
            tier: tier_of(self.lifetime_points).name.to_owned(),
            next_tier: next_tier(self.lifetime_points).map(|t| api::NextTier {
                name: t.name.to_owned(),
                points_needed: t.points_needed,
            }),
            history: self.history.iter().rev().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_follow_lifetime_points() {
        assert_eq!(tier_of(0).name, "Bronze");
        assert_eq!(tier_of(499).name, "Bronze");
        assert_eq!(tier_of(500).name, "Silver");
        assert_eq!(tier_of(1_999).name, "Silver");
        assert_eq!(tier_of(2_000).name, "Gold");
        assert_eq!(tier_of(1_000_000).name, "Platinum");
        assert_eq!(
            next_tier(499),
            Some(NextTier {
                name: "Silver",
                points_needed: 1
            })
        );
        assert_eq!(next_tier(5_000), None);
    }

    #[test]
    fn a_point_per_whole_currency_unit() {
        assert_eq!(points_for(Money::from_cents(5_997)), 59);
        assert_eq!(points_for(Money::from_cents(99)), 0);
        assert_eq!(points_for(Money::from_cents(50_000)), 500);
    }

    #[test]
    fn an_order_is_credited_once() {
        let mut account = Account::default();
        assert!(account.credit_delivery("o1", 300, None, Utc::now()));
        assert!(!account.credit_delivery("o1", 300, None, Utc::now()));
        assert!(account.credit_delivery("o2", 200, None, Utc::now()));
        assert_eq!((account.points, account.lifetime_points), (500, 500));
        let view = serde_json::to_value(account.view()).unwrap();
        assert_eq!(view["tier"], "Silver");
        assert_eq!(view["nextTier"]["name"], "Gold");
        assert_eq!(view["history"][0]["orderId"], "o2");
    }
}
