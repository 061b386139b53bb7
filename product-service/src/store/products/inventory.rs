//! A product's stock per location (issue 19): reading where its units are, and the admin
//! spreading them (see `store::stock::located` for how reservations then take from them).
//!
//! Setting the inventory is one write guarded by everything it read (the total, each
//! location's units, the mode and the low-stock flag), so units a reservation took meanwhile
//! are never written back: the write is tried again on what is there now. It stages
//! `product.updated` (and `product.stock_low` on entering a low period) in the same write.

use bson::{Bson, Document, doc, oid::ObjectId};
use shared::{
    ApiError,
    api::inventory::{Inventory, LocationLevel},
    api::products::StockStatus,
    events::keys,
    outbox,
};

use super::{Products, Stored, encode, flag_guard, live};
use crate::{
    domain::{
        location::{Location, MAIN},
        product::{Product, is_low},
        stock::StockLow,
    },
    events::envelope,
    store::stock::located::{self, LOCATED, MODE},
};

/// How many times setting an inventory is tried when reservations keep moving the stock.
const ATTEMPTS: u32 = 8;

/// Units per location of a product document: its `stockAt` when located, else all of `stock`
/// in the main warehouse.
fn units_of(document: &Document) -> Vec<(String, i64)> {
    if located::is_located(document) {
        located::stock_at(document)
    } else {
        vec![(
            MAIN.to_owned(),
            crate::store::int(document, "stock").unwrap_or(0),
        )]
    }
}

/// The inventory of a product document over `locations` (in taking order; every one listed,
/// and a location the product has units in but the list lacks after them: one removed while an
/// inventory saved at the same moment put units there).
fn inventory(id: ObjectId, document: &Document, locations: &[Location]) -> Inventory {
    let total = crate::store::int(document, "stock").unwrap_or(0);
    let threshold = crate::store::int(document, "lowStockThreshold").unwrap_or(0);
    let units = units_of(document);
    let at = |location: &str| {
        units
            .iter()
            .find(|(l, _)| l == location)
            .map_or(0, |(_, n)| *n)
    };
    let mut lines: Vec<LocationLevel> = locations
        .iter()
        .map(|l| LocationLevel {
            id: l.id.clone(),
            name: l.name.clone(),
            kind: l.kind,
            stock: at(&l.id),
        })
        .collect();
    for (location, n) in &units {
        // A location removed while it held none of this product's units is not listed.
        if *n != 0 && !locations.iter().any(|l| &l.id == location) {
            lines.push(LocationLevel {
                id: location.clone(),
                name: location.clone(),
                kind: shared::api::inventory::LocationKind::Warehouse,
                stock: *n,
            });
        }
    }
    Inventory {
        product_id: id.to_hex(),
        total,
        stock_status: StockStatus::of(total, threshold),
        locations: lines,
    }
}

impl Products {
    async fn raw(&self, id: ObjectId) -> Result<Option<Document>, ApiError> {
        let mut filter = live();
        filter.insert("_id", id);
        Ok(self.collection.find_one(filter).await?)
    }

    /// Where the units of `id` are, over `locations` (in taking order); `None` for a missing
    /// or deleted product.
    #[tracing::instrument(skip(self, locations))]
    pub async fn inventory(
        &self,
        id: ObjectId,
        locations: &[Location],
    ) -> Result<Option<Inventory>, ApiError> {
        Ok(self
            .raw(id)
            .await?
            .map(|document| inventory(id, &document, locations)))
    }

    /// Spreads the units of `id` as `wanted` says (a location left out holds none); its stock
    /// becomes their sum. 422 for a location `locations` lacks; `None` for a missing product.
    #[tracing::instrument(skip(self, wanted, locations, correlation))]
    pub async fn set_inventory(
        &self,
        id: ObjectId,
        wanted: &[(String, i64)],
        locations: &[Location],
        correlation: &str,
    ) -> Result<Option<Inventory>, ApiError> {
        if let Some((unknown, _)) = wanted
            .iter()
            .find(|(l, _)| !locations.iter().any(|known| &known.id == l))
        {
            return Err(ApiError::Unprocessable(format!(
                "no location has the id {unknown}"
            )));
        }
        for attempt in 0..ATTEMPTS {
            crate::store::race_pause(attempt).await;
            let Some(document) = self.raw(id).await? else {
                return Ok(None);
            };
            if self
                .write_inventory(id, &document, wanted, correlation)
                .await?
            {
                let after = self.raw(id).await?;
                return Ok(after.map(|d| inventory(id, &d, locations)));
            }
        }
        Err(ApiError::Conflict(
            "the product's stock kept moving while its inventory was saved; retry".to_owned(),
        ))
    }

    /// One guarded write of `wanted` over what `document` holds; whether it landed.
    async fn write_inventory(
        &self,
        id: ObjectId,
        document: &Document,
        wanted: &[(String, i64)],
        correlation: &str,
    ) -> Result<bool, ApiError> {
        let current: Stored = bson::from_document(document.clone()).map_err(encode)?;
        let total: i64 = wanted.iter().map(|(_, n)| n).sum();
        let (millis, now) = crate::store::now();
        let mut product = Product::from(current);
        let was_low_flagged = crate::store::flag(document, "stockLow");
        product.fields.stock = total;
        product.updated_at = now;
        let threshold = product.fields.low_stock_threshold;
        let low = is_low(total, threshold);
        let mut events =
            vec![envelope(keys::PRODUCT_UPDATED, correlation, product.to_json()).map_err(encode)?];
        if low && !was_low_flagged {
            let data = StockLow {
                product_id: id.to_hex(),
                name: &product.fields.name,
                stock: total,
                threshold,
            };
            events.push(envelope(keys::PRODUCT_STOCK_LOW, correlation, data).map_err(encode)?);
        }
        let mut filter = live();
        filter.insert("_id", id);
        filter.insert("stock", crate::store::int(document, "stock").unwrap_or(0));
        filter.insert("stockLow", flag_guard(was_low_flagged));
        let mut set = doc! { MODE: LOCATED, "stock": total, "stockLow": low, "updatedAt": millis };
        let held = if located::is_located(document) {
            filter.insert(MODE, LOCATED);
            located::stock_at(document)
        } else {
            filter.insert(MODE, doc! { "$exists": false });
            Vec::new()
        };
        for (location, n) in &held {
            filter.insert(located::at_path(location), *n);
            set.insert(located::at_path(location), 0_i64);
        }
        for (location, n) in wanted {
            if !held.iter().any(|(l, _)| l == location) {
                filter.insert(
                    located::at_path(location),
                    Bson::Document(doc! { "$exists": false }),
                );
            }
            set.insert(located::at_path(location), *n);
        }
        let mut update = doc! { "$set": set };
        outbox::stage(&mut update, &events).map_err(encode)?;
        let matched = self
            .collection
            .update_one(filter, update)
            .await?
            .matched_count;
        Ok(matched == 1)
    }
}
