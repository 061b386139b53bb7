//! Points that move besides a delivery's credit: redeemed at checkout (held when the order is
//! placed, spent when it is paid, released when it is rejected or cancelled), taken back when
//! a delivered order is refunded, and adjusted by an admin. Each move happens once: a hold is
//! found again by its key, a hold's state only goes forward (`HELD` → `SPENT` → `RETURNED`, or
//! `HELD` → `RELEASED`; `HELD` → `EXPIRED` when the checkout never placed its order, and back
//! to `HELD` only if that checkout comes back with the same key), and a refund or an adjustment is recorded under its own key.
//!
//! `points` is what can be spent now; `held` is what orders not yet paid have put aside. A hold
//! moves points from `points` to `held`, a spend removes them from `held`, a release moves them
//! back. History entries carry both changes (`points`, `held`), so the history adds up to both.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::Money;

use super::{Account, HistoryEntry, REASON_DELIVERED, entry};

/// Points put aside for an order being placed.
pub const REASON_HELD: &str = "POINTS_HELD";
/// The order was paid: its held points are gone.
pub const REASON_SPENT: &str = "POINTS_SPENT";
/// The order was rejected or cancelled before it was paid: its held points came back. Also the
/// reason of a hold the sweep expired (its checkout placed no order; `note` says so).
pub const REASON_RELEASED: &str = "POINTS_RELEASED";
/// The note of a history entry of a hold the sweep expired.
pub const NOTE_EXPIRED: &str = "the checkout placed no order";
/// A paid order was cancelled (its payment voided or refunded): its spent points came back.
pub const REASON_RETURNED: &str = "POINTS_RETURNED";
/// A delivered order was refunded: the points it earned (its share for a part) were taken.
pub const REASON_REFUNDED: &str = "ORDER_REFUNDED";
/// An admin added or took points.
pub const REASON_ADJUSTED: &str = "ADMIN_ADJUSTMENT";

/// Where a hold stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HoldState {
    /// Put aside, the order not yet paid.
    Held,
    /// The order was paid.
    Spent,
    /// The order ended unpaid; the points came back.
    Released,
    /// The order was cancelled after it was paid; the points came back.
    Returned,
    /// The checkout that made it never placed its order (it stopped between the hold and the
    /// order's insert, or its cart was dropped): the sweep gave the points back. The same
    /// checkout coming back (same key) holds them again, under the same order id.
    Expired,
}

/// Points put aside by one checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    /// The checkout's token: a retry of the same checkout finds this hold.
    pub key: String,
    /// The order the checkout places (order-service uses this id for it).
    pub order_id: String,
    /// How many points.
    pub points: i64,
    /// Where it stands.
    pub state: HoldState,
    /// When it was made (RFC 3339).
    pub at: String,
}

/// Not enough points to hold: how many there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotEnough {
    /// Points that can be spent now.
    pub available: i64,
}

impl std::fmt::Display for NotEnough {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "only {} points are available", self.available)
    }
}

impl Account {
    /// The hold made under `key`, if any.
    pub fn hold_by_key(&self, key: &str) -> Option<&Hold> {
        self.holds.iter().find(|h| h.key == key)
    }

    /// Holds `points` for the order `order_id` of the checkout `key`: the hold, and whether it
    /// is new. A hold under `key` already is answered as it is (its order id and points win),
    /// so a retried checkout holds once.
    pub fn hold(
        &mut self,
        key: &str,
        order_id: &str,
        points: i64,
        at: DateTime<Utc>,
    ) -> Result<(Hold, bool), NotEnough> {
        if let Some(i) = self.holds.iter().position(|h| h.key == key) {
            let hold = &self.holds[i];
            if hold.state != HoldState::Expired {
                return Ok((hold.clone(), false));
            }
            // The checkout came back after the sweep gave its points back: hold them again,
            // under its order id, or refuse like a new hold.
            let (n, order) = (hold.points, hold.order_id.clone());
            if n > self.points {
                return Err(NotEnough {
                    available: self.points,
                });
            }
            self.points -= n;
            self.held += n;
            self.holds[i].state = HoldState::Held;
            self.history.push(HistoryEntry {
                order_id: Some(order),
                held: Some(n),
                key: Some(key.to_owned()),
                ..entry(at, -n, REASON_HELD)
            });
            return Ok((self.holds[i].clone(), true));
        }
        if points > self.points {
            return Err(NotEnough {
                available: self.points,
            });
        }
        let hold = Hold {
            key: key.to_owned(),
            order_id: order_id.to_owned(),
            points,
            state: HoldState::Held,
            at: entry(at, 0, "").at,
        };
        self.points -= points;
        self.held += points;
        self.holds.push(hold.clone());
        self.history.push(HistoryEntry {
            order_id: Some(order_id.to_owned()),
            held: Some(points),
            ..entry(at, -points, REASON_HELD)
        });
        Ok((hold, true))
    }

    /// Moves the hold of `order` from `from` to `to`, with its history entry; `false` when
    /// there is no such hold in `from` (none, or moved before).
    fn move_hold(
        &mut self,
        order: &str,
        from: HoldState,
        to: HoldState,
        at: DateTime<Utc>,
    ) -> bool {
        let Some(hold) = self
            .holds
            .iter_mut()
            .find(|h| h.order_id == order && h.state == from)
        else {
            return false;
        };
        hold.state = to;
        let n = hold.points;
        let (points, held, reason) = match to {
            HoldState::Spent => (0, -n, REASON_SPENT),
            HoldState::Released => (n, -n, REASON_RELEASED),
            HoldState::Returned => (n, 0, REASON_RETURNED),
            HoldState::Held | HoldState::Expired => {
                unreachable!("an order's status never moves a hold to held or expired")
            }
        };
        self.points += points;
        self.held += held;
        self.history.push(HistoryEntry {
            order_id: Some(order.to_owned()),
            held: (held != 0).then_some(held),
            ..entry(at, points, reason)
        });
        true
    }

    /// The holds still `HELD` that were made before `cutoff`: candidates for the sweep (whose
    /// order may or may not exist; the sweep asks order-service).
    pub fn held_before(&self, cutoff: DateTime<Utc>) -> Vec<&Hold> {
        self.holds
            .iter()
            .filter(|h| h.state == HoldState::Held)
            .filter(|h| {
                DateTime::parse_from_rfc3339(&h.at).is_ok_and(|at| at.with_timezone(&Utc) < cutoff)
            })
            .collect()
    }

    /// The sweep's move: the hold under `key`, still `HELD`, whose checkout placed no order,
    /// gives its points back (`EXPIRED`). `false` when it is not held any more (moved by its
    /// order, or expired by another replica's sweep): the move is made once.
    pub fn expire(&mut self, key: &str, at: DateTime<Utc>) -> bool {
        let Some(hold) = self
            .holds
            .iter_mut()
            .find(|h| h.key == key && h.state == HoldState::Held)
        else {
            return false;
        };
        hold.state = HoldState::Expired;
        let (n, order) = (hold.points, hold.order_id.clone());
        self.points += n;
        self.held -= n;
        self.history.push(HistoryEntry {
            order_id: Some(order),
            held: Some(-n),
            key: Some(key.to_owned()),
            note: Some(NOTE_EXPIRED.to_owned()),
            ..entry(at, n, REASON_RELEASED)
        });
        true
    }

    /// The order was paid: its held points are spent. `false` when there was nothing to spend.
    pub fn spend(&mut self, order: &str, at: DateTime<Utc>) -> bool {
        self.move_hold(order, HoldState::Held, HoldState::Spent, at)
    }

    /// The order ended without being delivered (rejected, cancelled, expired): held points come
    /// back, and so do points spent on it (a cancelled paid order is voided or refunded).
    pub fn release(&mut self, order: &str, at: DateTime<Utc>) -> bool {
        self.move_hold(order, HoldState::Held, HoldState::Released, at)
            || self.move_hold(order, HoldState::Spent, HoldState::Returned, at)
    }

    /// A refund of `amount` of the delivered `order`, known by `refund`: takes back the
    /// points it earned, in proportion to the amount when the order's charge is known (all of
    /// them otherwise), never more than it earned over all its refunds, and never leaving the
    /// balance below zero. The points taken (0 when nothing was, or the refund was seen before).
    pub fn take_back(
        &mut self,
        order: &str,
        refund: &str,
        amount: Money,
        at: DateTime<Utc>,
    ) -> i64 {
        let seen = self
            .history
            .iter()
            .any(|h| h.reason == REASON_REFUNDED && h.key.as_deref() == Some(refund));
        let earned = self
            .history
            .iter()
            .find(|h| h.reason == REASON_DELIVERED && h.order_id.as_deref() == Some(order));
        let (false, Some(earned)) = (seen, earned) else {
            return 0;
        };
        let share = match earned.paid_cents {
            Some(paid) if paid > 0 => {
                let exact = i128::from(earned.points) * i128::from(amount.cents().max(0));
                // Half-up, like every share in the shop.
                i64::try_from((exact * 2 + i128::from(paid)) / (2 * i128::from(paid)))
                    .unwrap_or(i64::MAX)
            }
            _ => earned.points,
        };
        let taken_before: i64 = self
            .history
            .iter()
            .filter(|h| h.reason == REASON_REFUNDED && h.order_id.as_deref() == Some(order))
            .map(|h| -h.points)
            .sum();
        let take = share
            .min(earned.points - taken_before)
            .min(self.points)
            .max(0);
        self.points -= take;
        self.lifetime_points = (self.lifetime_points - take).max(0);
        self.history.push(HistoryEntry {
            order_id: Some(order.to_owned()),
            key: Some(refund.to_owned()),
            ..entry(at, -take, REASON_REFUNDED)
        });
        take
    }

    /// Whether an adjustment under `key` was made.
    pub fn adjusted(&self, key: &str) -> bool {
        self.history
            .iter()
            .any(|h| h.reason == REASON_ADJUSTED && h.key.as_deref() == Some(key))
    }

    /// An admin's adjustment of `points` (negative: taken) under `key`, once; points given
    /// count towards the tier. `Ok(false)` when `key` was used before; taking more than can be
    /// spent is refused.
    pub fn adjust(
        &mut self,
        key: &str,
        points: i64,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, NotEnough> {
        if self.adjusted(key) {
            return Ok(false);
        }
        if points < 0 && -points > self.points {
            return Err(NotEnough {
                available: self.points,
            });
        }
        self.points += points;
        if points > 0 {
            self.lifetime_points = self.lifetime_points.saturating_add(points);
        }
        self.history.push(HistoryEntry {
            key: Some(key.to_owned()),
            note: Some(reason.to_owned()),
            ..entry(at, points, REASON_ADJUSTED)
        });
        Ok(true)
    }
}

#[cfg(test)]
mod tests;
