//! Subscriptions (issue 17, replenishment), without I/O: the stored subscription with its runs,
//! the status machine `ACTIVE` ⇄ `PAUSED` → `CANCELLED` ([`Action`]), and when the run after
//! a claimed one is due ([`next_run_after`]).
//!
//! The schedule lives in the subscription (`nextRunAtMs`); a run is *claimed* by one
//! conditional write that advances it (see `crate::subscriptions`), so `runCount` counts the
//! runs claimed and run `n`'s order carries the request key [`run_key`] `sub:<id>:<n>`.

use std::collections::BTreeMap;

use bson::oid::ObjectId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Address, Payment, order::rfc3339};

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubscriptionStatus {
    /// Runs when due.
    Active,
    /// Runs no more until resumed.
    Paused,
    /// Ended for good.
    Cancelled,
}

impl SubscriptionStatus {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Paused => "PAUSED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// The status from its wire name (checked by `shared::api::subscriptions` before).
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Active, Self::Paused, Self::Cancelled]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// What a customer may do to their subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `ACTIVE` → `PAUSED`.
    Pause,
    /// `PAUSED` → `ACTIVE`.
    Resume,
    /// `ACTIVE` or `PAUSED` → `CANCELLED`.
    Cancel,
}

impl Action {
    /// The status it leads to.
    pub fn target(self) -> SubscriptionStatus {
        match self {
            Self::Pause => SubscriptionStatus::Paused,
            Self::Resume => SubscriptionStatus::Active,
            Self::Cancel => SubscriptionStatus::Cancelled,
        }
    }

    /// Whether a subscription in `from` may take it.
    pub fn allowed_from(self, from: SubscriptionStatus) -> bool {
        use SubscriptionStatus::{Active, Paused};
        matches!(
            (self, from),
            (Self::Pause, Active) | (Self::Resume, Paused) | (Self::Cancel, Active | Paused)
        )
    }
}

/// Why a customer's own pause paused it.
pub const PAUSED_BY_CUSTOMER: &str = "CUSTOMER";

/// One line of a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionLine {
    /// The product.
    pub product_id: ObjectId,
    /// Units per run.
    pub quantity: i64,
}

/// One claimed run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// 1 for the first.
    pub n: i64,
    /// When it was claimed.
    pub at_ms: i64,
    /// The order it placed, once recorded.
    #[serde(default)]
    pub order_id: Option<String>,
    /// Why it placed none.
    #[serde(default)]
    pub error: Option<String>,
}

/// A subscription as stored (collection `subscriptions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// Its id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Whose it is.
    pub customer_id: String,
    /// What each run orders.
    pub items: Vec<SubscriptionLine>,
    /// Days between two runs.
    pub interval_days: i64,
    /// Where it stands.
    pub status: SubscriptionStatus,
    /// Why it is paused.
    #[serde(default)]
    pub pause_reason: Option<String>,
    /// The saved card's id at customer-service.
    pub payment_method_id: String,
    /// That card as customer-service gave it (with the provider's token: runs happen with no
    /// caller whose token could ask for it again).
    pub card: Payment,
    /// The saved address's id at customer-service.
    pub shipping_address_id: String,
    /// That address, as it was when the subscription was made.
    pub shipping_address: Address,
    /// The caller's loyalty tier when the subscription was made (runs are priced with it).
    pub tier_name: String,
    /// Its discount in basis points.
    pub tier_basis_points: u32,
    /// When the next run is due (epoch milliseconds).
    pub next_run_at_ms: i64,
    /// Runs claimed so far.
    pub run_count: i64,
    /// Every claimed run, by [`run_field`] key.
    #[serde(default)]
    pub runs: BTreeMap<String, Run>,
    /// A claimed run whose order is not recorded yet (a crash may leave one; it is finished
    /// by the next pass, under the same request key).
    #[serde(default)]
    pub pending_run: Option<i64>,
    /// The last run's order, while its payment's outcome is unknown.
    #[serde(default)]
    pub awaiting_order: Option<String>,
    /// Bumped by every change of status or schedule.
    pub version: i64,
    /// When it was made (epoch milliseconds).
    pub created_at_ms: i64,
}

/// The key of run `n` in `runs` (zero-padded: the map's order is the runs' order).
pub fn run_field(n: i64) -> String {
    format!("r{n:06}")
}

/// The request key (the order's idempotency key) of run `n` of subscription `id`.
pub fn run_key(id: ObjectId, n: i64) -> String {
    format!("sub:{}:{n}", id.to_hex())
}

/// When the run after one due at `due_ms` and claimed at `now_ms` is due: one interval later;
/// a schedule that fell behind (the service was down for longer than an interval) starts
/// again from now rather than catching up with a burst of orders.
pub fn next_run_after(due_ms: i64, now_ms: i64, interval_ms: i64) -> i64 {
    let next = due_ms.saturating_add(interval_ms);
    if next > now_ms {
        next
    } else {
        now_ms.saturating_add(interval_ms)
    }
}

impl Subscription {
    /// The answer of every route (never the card's token).
    pub fn view(&self) -> shared::api::subscriptions::Subscription {
        use shared::api::{
            customers::Address as ApiAddress,
            orders::OrderLine,
            subscriptions::{Subscription as View, SubscriptionCard, SubscriptionRun},
        };
        let at = |ms: i64| {
            rfc3339(DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::MIN_UTC))
        };
        View {
            id: self.id.to_hex(),
            customer_id: self.customer_id.clone(),
            items: self
                .items
                .iter()
                .map(|l| OrderLine {
                    product_id: l.product_id.to_hex(),
                    quantity: l.quantity,
                })
                .collect(),
            interval_days: self.interval_days,
            status: self.status.as_str().to_owned(),
            pause_reason: self.pause_reason.clone(),
            payment_method_id: self.payment_method_id.clone(),
            card: SubscriptionCard {
                brand: self.card.brand.clone(),
                last4: self.card.last4.clone(),
            },
            shipping_address_id: self.shipping_address_id.clone(),
            shipping_address: ApiAddress {
                street: self.shipping_address.street.clone(),
                city: self.shipping_address.city.clone(),
                zip_code: self.shipping_address.zip_code.clone(),
                country: self.shipping_address.country.clone(),
            },
            next_run_at: at(self.next_run_at_ms),
            runs: self
                .runs
                .values()
                .map(|r| SubscriptionRun {
                    n: r.n,
                    at: at(r.at_ms),
                    order_id: r.order_id.clone(),
                    error: r.error.clone(),
                })
                .collect(),
            version: self.version,
            created_at: at(self.created_at_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubscriptionStatus::{Active, Cancelled, Paused};

    #[test]
    fn active_and_paused_go_back_and_forth_and_cancelled_is_the_end() {
        assert!(Action::Pause.allowed_from(Active));
        assert!(Action::Resume.allowed_from(Paused));
        assert!(Action::Cancel.allowed_from(Active));
        assert!(Action::Cancel.allowed_from(Paused));
        assert!(!Action::Pause.allowed_from(Paused));
        assert!(!Action::Resume.allowed_from(Active));
        for action in [Action::Pause, Action::Resume, Action::Cancel] {
            assert!(!action.allowed_from(Cancelled), "{action:?}");
        }
    }

    #[test]
    fn the_next_run_is_one_interval_on_unless_the_schedule_fell_behind() {
        assert_eq!(next_run_after(1_000, 1_200, 500), 1_500);
        // Down for three intervals: one run now, the next one interval from now.
        assert_eq!(next_run_after(1_000, 2_600, 500), 3_100);
    }

    #[test]
    fn run_fields_sort_in_run_order_and_keys_name_the_subscription_and_run() {
        assert!(run_field(9) < run_field(10));
        let id = ObjectId::parse_str("0123456789abcdef01234567").unwrap();
        assert_eq!(run_key(id, 3), "sub:0123456789abcdef01234567:3");
    }
}
