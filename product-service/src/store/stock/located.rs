//! Stock per location on the product's document (issue 19). A product whose stock an admin
//! spread over locations carries `stockMode: "located"` and `stockAt: {<location>: units}`;
//! `stock` stays the total, moved in the same write as the locations, so `stock` = the sum of
//! `stockAt` after every write. A product without `stockMode` keeps all its stock in the main
//! warehouse and none of this applies to it.
//!
//! - A take computes its split from the units it read (`domain::location::split`) and writes
//!   it guarded by each location it takes from (`stockAt.<l> ≥ part`), so no location goes
//!   below zero; a race lost re-reads and splits again. The split rides with the `taking`
//!   marker (`takingFrom.<order>`) and then the hold (`from`), so it is known to whoever
//!   finishes or undoes the take.
//! - Units given back return to the locations they came from; units with no known location
//!   (a hold taken before the product's stock was spread, a received return, a duplicate take
//!   from before) go to the main warehouse, or only to `stock` on a product that is not
//!   located ([`put_back`] picks by the product's mode in the write's own filter).

use bson::{Bson, Document, doc};
use mongodb::{Collection, options::ReturnDocument};

use super::Result;
use crate::{domain::location::MAIN, store::whole};

/// The product field naming how its stock is kept (absent: all in the main warehouse).
pub const MODE: &str = "stockMode";
/// [`MODE`]'s value for stock kept per location.
pub const LOCATED: &str = "located";
/// The product map of units per location.
pub const AT: &str = "stockAt";
/// The product map of the split of each take under way (beside its `taking` marker).
pub const TAKING_FROM: &str = "takingFrom";

/// Units per location, as `(location id, units)`.
pub type Parts = Vec<(String, i64)>;

/// Whether the product's stock is kept per location.
pub fn is_located(document: &Document) -> bool {
    document.get_str(MODE) == Ok(LOCATED)
}

/// The parts of a `{<location>: units}` document.
pub fn parts_of(map: &Document) -> Parts {
    map.iter()
        .filter_map(|(k, v)| whole(v).map(|n| (k.clone(), n)))
        .collect()
}

/// `parts` as a `{<location>: units}` document.
pub fn parts_doc(parts: &[(String, i64)]) -> Document {
    parts
        .iter()
        .map(|(k, n)| (k.clone(), Bson::Int64(*n)))
        .collect()
}

/// The product's units per location: a nested map on MongoDB, flat `stockAt.<l>` keys where
/// the stand-in keeps dotted paths that way (both are read).
pub fn stock_at(document: &Document) -> Parts {
    let mut found = document.get_document(AT).map(parts_of).unwrap_or_default();
    let prefix = format!("{AT}.");
    for (key, value) in document {
        if let (Some(location), Some(n)) = (key.strip_prefix(&prefix), whole(value))
            && !found.iter().any(|(l, _)| l == location)
        {
            found.push((location.to_owned(), n));
        }
    }
    found
}

/// The split the take under way for `order_id` staged beside its marker (empty: none, or a
/// take from before the product was located).
pub fn taking_from(document: &Document, order_id: &str) -> Parts {
    match super::holds::entry(document, TAKING_FROM, order_id) {
        Some(Bson::Document(map)) => parts_of(map),
        _ => Vec::new(),
    }
}

/// The path of a location's units.
pub fn at_path(location: &str) -> String {
    format!("{AT}.{location}")
}

/// Adds `sign` × each part to the update's `$inc` (and to its `stock` when `total` is set).
pub fn inc_parts(update: &mut Document, parts: &[(String, i64)], sign: i64) {
    let mut inc = update.get_document("$inc").cloned().unwrap_or_default();
    for (location, n) in parts {
        inc.insert(at_path(location), sign * n);
    }
    update.insert("$inc", inc);
}

/// Runs `update`, which puts `quantity` units back into `stock`, on the product `filter`
/// matches, putting them back into the locations `parts` as well; with no parts, into the
/// main warehouse when the product is located (decided by the write's own filter, so a product
/// located meanwhile is not missed). The product after it (`projection`), if one matched.
pub async fn put_back(
    products: &Collection<Document>,
    filter: Document,
    mut update: Document,
    quantity: i64,
    parts: &[(String, i64)],
    projection: Document,
) -> Result<Option<Document>> {
    let run = |filter: Document, update: Document| {
        products
            .find_one_and_update(filter, update)
            .projection(projection.clone())
            .return_document(ReturnDocument::After)
    };
    if !parts.is_empty() {
        inc_parts(&mut update, parts, 1);
        return Ok(run(filter, update).await?);
    }
    let mut plain = filter.clone();
    plain.insert(MODE, doc! { "$exists": false });
    if let Some(after) = run(plain, update.clone()).await? {
        return Ok(Some(after));
    }
    let mut located = filter;
    located.insert(MODE, LOCATED);
    inc_parts(&mut update, &[(MAIN.to_owned(), quantity)], 1);
    Ok(run(located, update).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_per_location_are_read_nested_or_flat() {
        let nested =
            doc! { "stockMode": "located", "stockAt": { "main": 3_i32, "store-a": 2_i64 } };
        assert!(is_located(&nested));
        assert_eq!(
            stock_at(&nested),
            vec![("main".into(), 3), ("store-a".into(), 2)]
        );
        let flat = doc! { "stockAt.main": 1_i32, "stockAt.store-a": 0_i32 };
        assert!(!is_located(&flat));
        assert_eq!(
            stock_at(&flat),
            vec![("main".into(), 1), ("store-a".into(), 0)]
        );
        let taking = doc! { "takingFrom": { "o-1": { "main": 2_i64 } } };
        assert_eq!(taking_from(&taking, "o-1"), vec![("main".into(), 2)]);
        assert!(taking_from(&taking, "o-2").is_empty());
    }

    #[test]
    fn parts_move_their_locations_in_the_update() {
        let mut update = doc! { "$inc": { "stock": -3_i64 } };
        inc_parts(
            &mut update,
            &[("main".into(), 2), ("store-a".into(), 1)],
            -1,
        );
        assert_eq!(
            update,
            doc! { "$inc": { "stock": -3_i64, "stockAt.main": -2_i64, "stockAt.store-a": -1_i64 } }
        );
    }
}
