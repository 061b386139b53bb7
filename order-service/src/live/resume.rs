//! Resuming and gap filling, the same for SSE and WebSocket (issue 14, item 2). A client that
//! comes back after index `n` gets the changes after `n` from the stored history, oldest
//! first, each carrying the order as it stood at its index, before any live change. A live
//! change that skips indices (the per-replica queue lost some, e.g. over a broker reconnect)
//! is preceded by the missing ones, read from the store, so a client never sees a gap.

use bson::oid::ObjectId;
use mongodb::Database;
use shared::ApiError;

use super::messages;
use crate::{domain::Order, events::StatusChanged, store::orders};

/// The changes of `order` after index `after` and before index `before`, oldest first.
pub fn between(order: &Order, after: i64, before: i64) -> Vec<StatusChanged> {
    order
        .history()
        .into_iter()
        .map(|(index, _)| index)
        .filter(|index| *index > after && *index < before)
        .filter_map(|index| messages::from_history(order, index))
        .collect()
}

/// Every change of `order` after index `after`, oldest first.
pub fn replay(order: &Order, after: i64) -> Vec<StatusChanged> {
    between(order, after, i64::MAX)
}

/// What a live change with `index` is to a client last sent index `last` of its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Sent already (in the snapshot, a replay or a fill): skip it.
    Seen,
    /// The next one: send it.
    Next,
    /// Indices are missing before it: send them from the store first.
    Gap,
}

/// Where a change with `index` stands for a client last sent `last`.
pub fn step(last: i64, index: i64) -> Step {
    if index <= last {
        Step::Seen
    } else if index == last + 1 {
        Step::Next
    } else {
        Step::Gap
    }
}

/// The changes of order `order_id` after `last` and before `index`, as stored: what a client
/// missed before the live change `index`. Nothing when the store has none (or no such order).
pub async fn missed(
    db: &Database,
    order_id: &str,
    last: i64,
    index: i64,
) -> Result<Vec<StatusChanged>, ApiError> {
    let Ok(id) = ObjectId::parse_str(order_id) else {
        return Ok(Vec::new());
    };
    Ok(orders::by_id(db, id)
        .await?
        .map(|order| between(&order, last, index))
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_seen_next_or_after_a_gap() {
        assert_eq!(step(3, 2), Step::Seen);
        assert_eq!(step(3, 3), Step::Seen);
        assert_eq!(step(3, 4), Step::Next);
        assert_eq!(step(3, 6), Step::Gap);
        assert_eq!(step(-1, 0), Step::Next);
    }
}
