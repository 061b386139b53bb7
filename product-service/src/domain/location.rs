//! Stock per location (issue 19): the warehouses and stores stock is kept in, and the rule a
//! reservation takes units from them by.
//!
//! The rule: warehouses before stores (a shop ships from its warehouses and keeps what is on a
//! store's shelves for its walk-in customers as long as it can), then by `priority` (lower
//! first), then by id; from each location in that order as many units as it has, until the
//! line is whole. A line that all the locations together cannot fill takes nothing.

use serde::{Deserialize, Serialize};

/// The location every product's stock is in until an admin spreads it over others.
pub const MAIN: &str = "main";

/// What kind of place a location is (warehouses are taken from first).
pub use shared::api::inventory::LocationKind as Kind;

/// A place stock is kept in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Its id: lowercase letters, digits and `-` (`main`, `store-lyon`).
    #[serde(rename = "_id")]
    pub id: String,
    /// Its name.
    pub name: String,
    /// Warehouse or store.
    pub kind: Kind,
    /// Lower is taken from first among its kind.
    pub priority: i32,
}

impl Location {
    /// The location as the API shows it.
    pub fn view(&self) -> shared::api::inventory::Location {
        shared::api::inventory::Location {
            id: self.id.clone(),
            name: self.name.clone(),
            kind: self.kind,
            priority: self.priority,
        }
    }

    /// The main warehouse, which every catalog has.
    pub fn main() -> Self {
        Self {
            id: MAIN.to_owned(),
            name: "Main warehouse".to_owned(),
            kind: Kind::Warehouse,
            priority: 0,
        }
    }
}

/// `locations` in the order a reservation takes from them.
pub fn in_taking_order(locations: &mut [Location]) {
    locations.sort_by(|a, b| (a.kind, a.priority, &a.id).cmp(&(b.kind, b.priority, &b.id)));
}

/// How `quantity` units are taken from `stock` (units per location id, in any order) by the
/// rule, over `order` (the locations in taking order; a location with stock that `order` does
/// not name comes last, by id). `None` when together they hold fewer units.
pub fn split(
    quantity: i64,
    stock: &[(String, i64)],
    order: &[Location],
) -> Option<Vec<(String, i64)>> {
    let rank = |id: &str| order.iter().position(|l| l.id == id).unwrap_or(order.len());
    let mut ranked: Vec<&(String, i64)> = stock.iter().filter(|(_, n)| *n > 0).collect();
    ranked.sort_by(|a, b| (rank(&a.0), &a.0).cmp(&(rank(&b.0), &b.0)));
    let mut left = quantity;
    let mut taken = Vec::new();
    for (id, available) in ranked {
        if left == 0 {
            break;
        }
        let part = left.min(*available);
        taken.push((id.clone(), part));
        left -= part;
    }
    (left == 0).then_some(taken)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(id: &str, kind: Kind, priority: i32) -> Location {
        Location {
            id: id.to_owned(),
            name: id.to_owned(),
            kind,
            priority,
        }
    }

    fn stock(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
        pairs.iter().map(|(id, n)| ((*id).to_owned(), *n)).collect()
    }

    #[test]
    fn warehouses_go_first_then_by_priority_then_by_id() {
        let mut order = vec![
            place("store-b", Kind::Store, 0),
            place("north", Kind::Warehouse, 5),
            place("main", Kind::Warehouse, 0),
            place("store-a", Kind::Store, 0),
        ];
        in_taking_order(&mut order);
        let ids: Vec<&str> = order.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["main", "north", "store-a", "store-b"]);
    }

    #[test]
    fn a_line_takes_what_each_location_has_in_turn_or_nothing() {
        let mut order = vec![
            place("main", Kind::Warehouse, 0),
            place("north", Kind::Warehouse, 1),
            place("store-a", Kind::Store, 0),
        ];
        in_taking_order(&mut order);
        let at = stock(&[("store-a", 4), ("north", 2), ("main", 3)]);
        assert_eq!(split(2, &at, &order), Some(stock(&[("main", 2)])));
        assert_eq!(split(3, &at, &order), Some(stock(&[("main", 3)])));
        assert_eq!(
            split(6, &at, &order),
            Some(stock(&[("main", 3), ("north", 2), ("store-a", 1)]))
        );
        assert_eq!(
            split(9, &at, &order),
            Some(stock(&[("main", 3), ("north", 2), ("store-a", 4)]))
        );
        assert_eq!(split(10, &at, &order), None, "all or nothing");
        let empty_main = stock(&[("main", 0), ("store-a", 1)]);
        assert_eq!(
            split(1, &empty_main, &order),
            Some(stock(&[("store-a", 1)]))
        );
        let unknown = stock(&[("attic", 5), ("store-a", 1)]);
        assert_eq!(
            split(3, &unknown, &order),
            Some(stock(&[("store-a", 1), ("attic", 2)]))
        );
    }
}
