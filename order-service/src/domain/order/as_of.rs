//! The order as it stood at one index of its history, for clients that resume a stream: each
//! replayed change must carry the order as it was then, not as it is now (issue 14, item 2).

use crate::domain::{Order, Status, shipment};

impl Order {
    /// The order as it stood right after history entry `index` was written; `None` when the
    /// history has no such entry.
    ///
    /// Only a status change alters an order after it is placed, and each change touches known
    /// fields, so the earlier state follows from the history: the entries up to `index`, the
    /// status, version and last change of that entry, the carrier, tracking number and
    /// delivery estimate only once shipped (before, the estimate counted from the order date),
    /// a rejection or cancellation reason only for that final status. What the view does not
    /// show and the history cannot tell (the next due time, when stock was released) is left
    /// out of an earlier state.
    pub fn as_of(&self, index: i64) -> Option<Self> {
        let history = self.history();
        let (_, entry) = history.iter().find(|(i, _)| *i == index)?;
        if index == self.version {
            return Some(self.clone());
        }
        let shipped = history
            .iter()
            .any(|(i, e)| *i <= index && e.status == Status::Shipped);
        let mut then = self.clone();
        then.status = entry.status;
        then.version = index;
        then.updated_at = entry.at;
        then.history
            .retain(|key, _| key.parse::<i64>().is_ok_and(|i| i <= index));
        if !shipped {
            then.carrier = None;
            then.tracking_number = None;
            then.estimated_delivery = shipment::estimate_from_order(self.created_at);
        }
        if then.status != Status::Rejected {
            then.rejection_reason = None;
        }
        if then.status != Status::Cancelled {
            then.cancellation_reason = None;
        }
        then.next_due_at_ms = None;
        then.stock_released_at = None;
        Some(then)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bson::oid::ObjectId;
    use chrono::Utc;

    use crate::domain::{Address, Change, Line, Money, transition::apply};

    use super::*;

    fn placed() -> Order {
        let line =
            Line::priced("p".to_owned(), "Lamp".to_owned(), Money::from_cents(999), 2).unwrap();
        let address = Address {
            street: "1 Main St".to_owned(),
            city: "Springfield".to_owned(),
            zip_code: "12345".to_owned(),
            country: "US".to_owned(),
        };
        let at = Utc::now() - chrono::Duration::days(2);
        Order::placed(
            ObjectId::new(),
            "c".to_owned(),
            vec![line],
            crate::domain::pricing::quote(
                &[Money::from_cents(1998)],
                &crate::domain::Discounts::NONE,
            )
            .unwrap(),
            address,
            "order:x".to_owned(),
            at,
        )
    }

    /// Every state the order went through, oldest first, `changes` applied an hour apart.
    fn states(changes: &[Change]) -> Vec<Order> {
        let mut states = vec![placed()];
        for change in changes {
            let last = states.last().unwrap();
            let at = last.updated_at + chrono::Duration::hours(1);
            states.push(apply(last, change, at, Duration::from_secs(5)).unwrap());
        }
        states
    }

    fn shown(order: &Order) -> serde_json::Value {
        serde_json::to_value(order.view()).unwrap()
    }

    #[test]
    fn each_earlier_index_shows_the_order_exactly_as_it_stood_then() {
        let ship = Change::Ship {
            carrier: None,
            tracking_number: None,
        };
        let states = states(&[Change::Reserve, ship, Change::Deliver]);
        let now = states.last().unwrap();

        for (index, then) in (0..).zip(&states) {
            let rebuilt = now.as_of(index).expect("an entry");
            assert_eq!(shown(&rebuilt), shown(then), "as of {index}");
        }
        assert_eq!(now.as_of(1).unwrap().carrier, None);
        assert_eq!(now.as_of(2).unwrap().carrier, now.carrier);
    }

    #[test]
    fn a_reason_belongs_only_to_the_final_status_it_explains() {
        let cancel = Change::Cancel {
            reason: "changed my mind".to_owned(),
        };
        let cancelled = states(&[Change::Reserve, cancel]);
        let rejected = states(&[Change::Reject {
            reason: "no stock".to_owned(),
        }]);

        let processing = cancelled[2].as_of(1).unwrap();
        let pending = rejected[1].as_of(0).unwrap();

        assert_eq!(shown(&processing), shown(&cancelled[1]));
        assert_eq!(processing.cancellation_reason, None);
        assert_eq!(
            processing.next_due_at_ms, None,
            "unknown for an earlier state"
        );
        assert_eq!(shown(&pending), shown(&rejected[0]));
        assert_eq!(pending.rejection_reason, None);
    }

    #[test]
    fn an_index_the_history_lacks_has_no_state() {
        let states = states(&[Change::Reserve]);

        assert!(states[1].as_of(2).is_none());
        assert!(states[1].as_of(-1).is_none());
        assert_eq!(shown(&states[1].as_of(1).unwrap()), shown(&states[1]));
    }
}
