//! Putting a received return's stock back (issue 17), exactly once per return and product
//! whatever is redelivered, concurrently or after a crash, without a field per return on the
//! product (issue 22: such fields grew a popular product's document forever).
//!
//! What a return put back of a product is a document of its own in [`RESTOCK_LINES`]
//! (`_id` = `<returnId>/<productId>`, unique from the first write; `quantity`, `by`: the
//! attempt that did it). The product keeps only `returningUnits` (0 between steps, never sold)
//! and, while a line is under way, a marker `restocking.<returnId>` holding the attempt's
//! random token. Each change is one single-document write (no transaction: the stand-in and a
//! standalone MongoDB have none), in the order stock holds are given back
//! (`store/stock.rs`), attempt token `t`, `q` units:
//! 1. product `{restocking.<r> absent}` → `returningUnits += q`, `restocking.<r> = t`;
//! 2. insert the line `{by: t}` (a duplicate key: another attempt's line was recorded first);
//! 3. product `{restocking.<r>: t}` → `returningUnits −= q`, and `stock += q` only when the
//!    line is `by: t`; the marker is unset in the same write.
//!
//! A marker without a line (a crash after 1) is adopted by the next attempt, which records
//! the line with the marker's token; a line already recorded means done. A second attempt
//! that looked before the first finished stages its own units and finds the line recorded by
//! another token, so its units are dropped, never added: staged units are not sellable, so no
//! buyer can have taken them in between.
//!
//! Products written before issue 22 keep `restocked.<returnId>: q`; such an entry means
//! done, and [`Restock::migrate_legacy`] (run at start-up) moves each into a line and removes
//! it from the product.
//!
//! Each handling of a return is then counted in [`RESTOCKS`] (`{_id: return, orderId,
//! handled}`): what an operator (or a test) reads to see that a redelivery was seen and
//! changed nothing. A product that no longer exists is skipped; one whose low-stock period
//! the return ends has its flag cleared, as when a reservation is given back.

mod legacy;

use std::collections::BTreeMap;

use bson::{Document, doc, oid::ObjectId};
use mongodb::{
    Collection, Database,
    options::{ReturnDocument, UpdateOptions},
};
use shared::{events::keys, outbox, store::is_duplicate_key};

use super::{
    PRODUCTS, flag, int, now,
    products::flag_guard,
    stock::{RETURNING, StockError, entry, entry_path, marker},
};
use crate::{domain::product::is_low, events::envelope};

/// One document per return seen, counting how often it was handled.
pub const RESTOCKS: &str = "restocks";
/// One document per return and product it put back (`_id` = `<returnId>/<productId>`).
pub const RESTOCK_LINES: &str = "restock_lines";
/// The product field mapping a return to the token of the attempt putting its line back.
pub const RESTOCKING: &str = "restocking";
/// Where versions before issue 22 recorded each return put back (`{<returnId>: quantity}`).
pub const LEGACY: &str = "restocked";

/// How often one line is looked at again while other attempts keep changing it.
const ROUNDS: usize = 8;

type Result<T, E = StockError> = std::result::Result<T, E>;

/// One returned line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnedLine {
    /// The product.
    pub product_id: ObjectId,
    /// Units back on the shelf, at least 1.
    pub quantity: i64,
}

/// The `_id` of what the return `return_id` put back of `product`.
pub fn line_id(return_id: &str, product: ObjectId) -> String {
    format!("{return_id}/{}", product.to_hex())
}

/// The products, the lines put back and the record of handled returns. Cheap to clone.
#[derive(Clone)]
pub struct Restock {
    products: Collection<Document>,
    lines: Collection<Document>,
    restocks: Collection<Document>,
}

impl Restock {
    /// The store on `db`.
    pub fn new(db: &Database) -> Self {
        Self {
            products: db.collection(PRODUCTS),
            lines: db.collection(RESTOCK_LINES),
            restocks: db.collection(RESTOCKS),
        }
    }

    /// Puts `lines` of the return `return_id` (24 hex digits) of `order_id` back (lines of
    /// one product are one line); whether some stock changed (`false` for a redelivery).
    #[tracing::instrument(skip(self, lines))]
    pub async fn apply(
        &self,
        return_id: &str,
        order_id: &str,
        lines: &[ReturnedLine],
    ) -> Result<bool> {
        let mut merged = BTreeMap::<ObjectId, i64>::new();
        for line in lines {
            *merged.entry(line.product_id).or_default() += line.quantity;
        }
        let mut changed = false;
        for (product, quantity) in merged {
            changed |= self.apply_line(return_id, product, quantity).await?;
        }
        self.restocks
            .update_one(
                doc! { "_id": return_id },
                doc! { "$set": { "orderId": order_id }, "$inc": { "handled": 1 } },
            )
            .with_options(UpdateOptions::builder().upsert(true).build())
            .await?;
        Ok(changed)
    }

    /// How often the return `return_id` was handled (0 when never).
    pub async fn handled(&self, return_id: &str) -> Result<i64> {
        Ok(self
            .restocks
            .find_one(doc! { "_id": return_id })
            .await?
            .and_then(|d| int(&d, "handled"))
            .unwrap_or(0))
    }

    /// One product's line, through the steps of the module docs from wherever they stand.
    async fn apply_line(&self, return_id: &str, product: ObjectId, q: i64) -> Result<bool> {
        let id = line_id(return_id, product);
        let marker_path = entry_path(RESTOCKING, return_id);
        let legacy_path = entry_path(LEGACY, return_id);
        for _ in 0..ROUNDS {
            let recorded = self.recorded_by(&id).await?;
            let Some(current) = self
                .products
                .find_one(doc! { "_id": product })
                .projection(doc! { &marker_path: 1, &legacy_path: 1 })
                .await?
            else {
                return Ok(false);
            };
            if entry(&current, LEGACY, return_id).is_some() {
                return Ok(false);
            }
            match (recorded, marker(&current, RESTOCKING, return_id)) {
                (Some(_), None) => return Ok(false),
                (Some(by), Some(staged)) => {
                    return self
                        .finish(return_id, product, q, &staged, by == staged)
                        .await;
                }
                (None, Some(staged)) => self.record(&id, return_id, product, q, &staged).await?,
                (None, None) => {
                    let token = ObjectId::new().to_hex();
                    let staged = self
                        .products
                        .update_one(
                            doc! {
                                "_id": product,
                                &marker_path: { "$exists": false },
                                &legacy_path: { "$exists": false },
                            },
                            doc! { "$inc": { RETURNING: q }, "$set": { &marker_path: &token } },
                        )
                        .await?;
                    if staged.matched_count == 1 {
                        self.record(&id, return_id, product, q, &token).await?;
                    }
                }
            }
        }
        Err(StockError::Contended(format!(
            "restocking {id} kept racing other attempts"
        )))
    }

    /// The token of the attempt that put the line `id` back, if one did.
    async fn recorded_by(&self, id: &str) -> Result<Option<String>> {
        Ok(self
            .lines
            .find_one(doc! { "_id": id })
            .await?
            .map(|d| d.get_str("by").unwrap_or_default().to_owned()))
    }

    /// Records the line as put back by `by`, unless another attempt's was recorded first.
    async fn record(
        &self,
        id: &str,
        return_id: &str,
        product: ObjectId,
        quantity: i64,
        by: &str,
    ) -> Result<()> {
        let inserted = self
            .lines
            .insert_one(doc! {
                "_id": id, "returnId": return_id, "productId": product.to_hex(),
                "quantity": quantity, "by": by, "at": bson::DateTime::now(),
            })
            .await;
        match inserted {
            Err(e) if !is_duplicate_key(&e) => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Moves the units staged under `staged` into stock when the line was recorded by it
    /// (`ours`), else drops them; clears the marker either way. Whether stock changed.
    async fn finish(
        &self,
        return_id: &str,
        product: ObjectId,
        q: i64,
        staged: &str,
        ours: bool,
    ) -> Result<bool> {
        let marker_path = entry_path(RESTOCKING, return_id);
        let update = if ours {
            // `stock.restocked` goes out with the units (live stock streams follow it).
            let event = envelope(
                keys::STOCK_RESTOCKED,
                return_id,
                serde_json::json!({
                    "returnId": return_id, "productId": product.to_hex(), "quantity": q,
                }),
            )?;
            let mut update = doc! {
                "$inc": { RETURNING: -q, "stock": q },
                "$unset": { &marker_path: "" },
                "$set": { "updatedAt": now().0 },
            };
            outbox::stage(&mut update, &[event])
                .map_err(|e| StockError::Encoding(e.to_string()))?;
            update
        } else {
            doc! { "$inc": { RETURNING: -q }, "$unset": { &marker_path: "" } }
        };
        let filter = doc! { "_id": product, &marker_path: staged };
        let fields = doc! { "stock": 1, "lowStockThreshold": 1, "stockLow": 1 };
        // A received return's units go to the main warehouse of a product kept per location.
        let after = if ours {
            super::stock::located::put_back(&self.products, filter, update, q, &[], fields).await?
        } else {
            self.products
                .find_one_and_update(filter, update)
                .projection(fields)
                .return_document(ReturnDocument::After)
                .await?
        };
        match after {
            Some(after) if ours => {
                self.clear_low_if_restored(product, &after).await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Ends the low period once the stock is back at or above the threshold.
    async fn clear_low_if_restored(&self, id: ObjectId, product: &Document) -> Result<()> {
        let (Some(stock), Some(threshold)) =
            (int(product, "stock"), int(product, "lowStockThreshold"))
        else {
            return Ok(());
        };
        if is_low(stock, threshold) || !flag(product, "stockLow") {
            return Ok(());
        }
        self.products
            .update_one(
                doc! {
                    "_id": id,
                    "stockLow": flag_guard(true),
                    "stock": { "$gte": threshold },
                },
                doc! { "$set": { "stockLow": false } },
            )
            .await?;
        Ok(())
    }
}
