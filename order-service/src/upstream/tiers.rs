//! Each caller's loyalty tier, remembered for a while: every price includes the tier, so a
//! shopper's cart, coupon, quote and checkout would otherwise each ask customer-service twice
//! (`/loyalty`, which reads the whole account, and `/loyalty/tiers`).
//!
//! - **A change is heard at once.** A tier changes only when lifetime points cross a threshold
//!   (a delivery credited, an adjustment, a refund taking points back); customer-service then
//!   says so in `loyalty.changed` (`previousTier` ≠ `tier`). Every replica hears it on a queue
//!   of its own ([`consume`]) and forgets that customer's tier; the next price asks again.
//!   Credits that keep the tier (most of them) forget nothing.
//! - **An answer older than a change is not kept.** A tier asked before a change was heard
//!   but answered after it may be the old one: [`Tiers::remember`] drops it.
//! - **A missed change ends with the time to live.** A replica's own queue keeps nothing
//!   while it is cut off from the broker, so a change made then is not heard: every tier is
//!   forgotten `TIER_CACHE_SECS` (default 30) after it was asked, whatever happens. 0 asks
//!   every time.

use std::time::{Duration, Instant};

use moka::sync::Cache;
use serde::Deserialize;
use shared::events::{Bus, ConsumerSpec, Consuming, HandlerError, keys};

use crate::domain::coupon::Tier;

/// Customers whose tier is remembered at most (the oldest unused go first).
const CAPACITY: u64 = 100_000;
/// How long a heard change is kept to refuse older answers: longer than any ask takes (the
/// client's timeout is 5 s).
const CHANGES_KEPT: Duration = Duration::from_secs(60);

/// The remembered tiers. Cheap to clone; clones share what they remember.
#[derive(Clone)]
pub struct Tiers {
    /// Tier by customer id; `None` when nothing is remembered (`TIER_CACHE_SECS=0`).
    known: Option<Cache<String, Tier>>,
    /// When a change of each customer's tier was last heard.
    changed: Cache<String, Instant>,
}

impl Tiers {
    /// Tiers remembered for `ttl` after they were asked; none at all when `ttl` is zero.
    pub fn new(ttl: Duration) -> Self {
        Self {
            known: (!ttl.is_zero()).then(|| {
                Cache::builder()
                    .max_capacity(CAPACITY)
                    .time_to_live(ttl)
                    .build()
            }),
            changed: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(CHANGES_KEPT)
                .build(),
        }
    }

    /// The remembered tier of `customer`.
    pub fn get(&self, customer: &str) -> Option<Tier> {
        self.known.as_ref()?.get(customer)
    }

    /// Remembers `tier`, which customer-service answered for `customer` to a question asked
    /// at `asked`, unless a change of that customer's tier was heard since.
    pub fn remember(&self, customer: &str, tier: Tier, asked: Instant) {
        let Some(known) = &self.known else {
            return;
        };
        known.insert(customer.to_owned(), tier);
        // Checked after the insert: a change heard between the two is seen here, and one
        // heard after it removes the entry itself.
        if self.changed.get(customer).is_some_and(|at| at >= asked) {
            known.invalidate(customer);
        }
    }

    /// Forgets the tier of `customer`, whose tier changed, and refuses answers asked before.
    pub fn forget(&self, customer: &str) {
        self.changed.insert(customer.to_owned(), Instant::now());
        if let Some(known) = &self.known {
            known.invalidate(customer);
        }
    }
}

/// The part of `loyalty.changed` read here.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Changed {
    customer_id: String,
    tier: String,
    previous_tier: String,
}

/// Hears `loyalty.changed` on this replica's own queue and forgets the tiers that changed.
pub fn consume(bus: &Bus, tiers: Tiers) -> Consuming {
    let spec = ConsumerSpec::per_replica("order.tiers", &[keys::LOYALTY_CHANGED]);
    bus.consume(spec, move |event| {
        let tiers = tiers.clone();
        async move {
            let changed: Changed = event
                .data_as()
                .map_err(|e| HandlerError::Reject(format!("malformed loyalty.changed: {e}")))?;
            if changed.tier != changed.previous_tier {
                tiers.forget(&changed.customer_id);
                tracing::debug!(customer.id = %changed.customer_id, tier = %changed.tier, "tier changed: forgotten");
            }
            Ok(())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pricing::Percent;

    fn gold() -> Tier {
        Tier {
            name: "Gold".to_owned(),
            discount: Percent::whole(10),
        }
    }

    #[test]
    fn a_tier_is_remembered_until_it_changes() {
        let tiers = Tiers::new(Duration::from_secs(30));
        tiers.remember("c1", gold(), Instant::now());
        assert_eq!(tiers.get("c1"), Some(gold()));
        assert_eq!(tiers.get("c2"), None);
        tiers.forget("c1");
        assert_eq!(tiers.get("c1"), None);
    }

    #[test]
    fn an_answer_to_a_question_asked_before_a_change_is_not_kept() {
        let tiers = Tiers::new(Duration::from_secs(30));
        let asked = Instant::now();
        tiers.forget("c1");
        tiers.remember("c1", gold(), asked);
        assert_eq!(tiers.get("c1"), None);
        // Asked after the change: kept.
        tiers.remember("c1", gold(), Instant::now() + Duration::from_millis(1));
        assert_eq!(tiers.get("c1"), Some(gold()));
    }

    #[test]
    fn a_time_to_live_of_zero_remembers_nothing() {
        let tiers = Tiers::new(Duration::ZERO);
        tiers.remember("c1", gold(), Instant::now());
        assert_eq!(tiers.get("c1"), None);
    }
}
