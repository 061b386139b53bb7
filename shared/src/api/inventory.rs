//! Stock per location (issue 19): the warehouses and stores (`/locations`) and a product's
//! stock in each (`/products/{id}/inventory`).

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{products::MAX_STOCK, rules};

/// Most locations one inventory names.
pub const MAX_LOCATIONS: usize = 50;

/// What kind of place a location is: reservations take from warehouses first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    /// Ships orders; taken from first.
    Warehouse,
    /// A shop's shelves; taken from after every warehouse.
    Store,
}

/// `POST /locations` (admin): a new warehouse or store.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocationInput {
    /// Its id, for good: 1 to 100 lowercase letters, digits and single hyphens (`store-lyon`).
    #[garde(custom(super::categories::slug_rule))]
    #[schema(min_length = 1, max_length = 100)]
    pub id: String,
    /// Its name: 1 to 100 characters (trimmed).
    #[garde(custom(rules::text(1, 100)))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `warehouse` or `store`.
    #[garde(skip)]
    pub kind: LocationKind,
    /// Lower is taken from first among its kind: 0 to 1000, 100 when omitted.
    #[garde(inner(custom(rules::whole(0, 1000))))]
    #[schema(minimum = 0, maximum = 1000)]
    pub priority: Option<i32>,
}

/// `PATCH /locations/{id}` (admin): a location renamed, made a warehouse or a store, or moved
/// in the taking order; its id stays. An omitted field is left as it is.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocationPatch {
    /// Its name: 1 to 100 characters (trimmed).
    #[garde(inner(custom(rules::text(1, 100))))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// `warehouse` or `store`.
    #[garde(skip)]
    pub kind: Option<LocationKind>,
    /// Lower is taken from first among its kind: 0 to 1000.
    #[garde(inner(custom(rules::whole(0, 1000))))]
    #[schema(minimum = 0, maximum = 1000)]
    pub priority: Option<i32>,
}

/// A location as `/locations` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Location {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Warehouse or store.
    pub kind: LocationKind,
    /// Lower is taken from first among its kind.
    pub priority: i32,
}

/// `PUT /products/{id}/inventory` (admin): the product's units in each location named; a
/// location left out holds none. The product's stock becomes their sum.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InventoryInput {
    /// 1 to 50 locations, each named once.
    #[garde(custom(rules::items(1, MAX_LOCATIONS)), custom(distinct), dive)]
    #[schema(min_items = 1, max_items = 50)]
    pub locations: Vec<LocationStock>,
}

/// A location's units in an inventory.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocationStock {
    /// The location's id (422 when no location has it).
    #[garde(custom(super::categories::slug_rule))]
    #[schema(min_length = 1, max_length = 100)]
    pub id: String,
    /// Units there.
    #[garde(custom(rules::whole(0, MAX_STOCK)))]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub stock: i64,
}

fn distinct(locations: &[LocationStock], _: &()) -> garde::Result {
    let mut seen = std::collections::BTreeSet::new();
    match locations.iter().find(|l| !seen.insert(l.id.as_str())) {
        Some(twice) => Err(garde::Error::new(format!(
            "names {} more than once",
            twice.id
        ))),
        None => Ok(()),
    }
}

/// `GET /products/{id}/inventory`: where the product's units are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Inventory {
    /// The product.
    pub product_id: String,
    /// Every unit, the product's `stock`.
    pub total: i64,
    /// Its availability.
    pub stock_status: super::products::StockStatus,
    /// Every location (none left out), in the order a reservation takes from them.
    pub locations: Vec<LocationLevel>,
}

/// A location's units of one product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocationLevel {
    /// The location's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Warehouse or store.
    pub kind: LocationKind,
    /// The product's units there.
    pub stock: i64,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ApiError;

    fn fields(body: serde_json::Value) -> Vec<String> {
        match super::super::parse::<InventoryInput>(body.to_string().as_bytes()) {
            Err(ApiError::Validation { details, .. }) => {
                details.as_object().unwrap().keys().cloned().collect()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_inventory_names_each_location_once_with_whole_units() {
        let good =
            json!({"locations": [{"id": "main", "stock": 3}, {"id": "store-a", "stock": 0}]});
        assert!(super::super::parse::<InventoryInput>(good.to_string().as_bytes()).is_ok());
        assert_eq!(fields(json!({"locations": []})), ["locations"]);
        let twice = json!({"locations": [{"id": "main", "stock": 1}, {"id": "main", "stock": 2}]});
        assert_eq!(fields(twice), ["locations"]);
        let bad = json!({"locations": [{"id": "Main!", "stock": -1}]});
        assert_eq!(fields(bad), ["locations[0].id", "locations[0].stock"]);
    }
}
