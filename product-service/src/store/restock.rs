//! Putting a received return's stock back (issue 17), exactly once per return and product
//! whatever is redelivered: each line is one conditional update of the product that also
//! records the return in it,
//! `{_id, "restocked.<return>": {$exists: false}}` → `{$inc: {stock: q}, $set: {"restocked.<return>": q}}`,
//! so the effect and its inbox entry are one single-document write (no transaction, the same
//! on MongoDB and on the stand-in), and a line already put back matches nothing. A crash
//! between lines is finished by the redelivery, which skips the lines already done.
//!
//! Each handling of a return is then counted in [`RESTOCKS`] (`{_id: return, orderId,
//! handled}`): what an operator (or a test) reads to see that a redelivery was seen and
//! changed nothing. A product deleted since is skipped; one whose low-stock period the
//! return ends has its flag cleared, as when a reservation is given back.

use bson::{Document, doc, oid::ObjectId};
use mongodb::{
    Collection, Database,
    options::{ReturnDocument, UpdateOptions},
};

use super::{PRODUCTS, flag, int, now, products::flag_guard};
use crate::domain::product::is_low;

/// One document per return seen, counting how often it was handled.
pub const RESTOCKS: &str = "restocks";

/// One returned line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnedLine {
    /// The product.
    pub product_id: ObjectId,
    /// Units back on the shelf, at least 1.
    pub quantity: i64,
}

/// The products and the record of handled returns. Cheap to clone.
#[derive(Clone)]
pub struct Restock {
    products: Collection<Document>,
    restocks: Collection<Document>,
}

impl Restock {
    /// The store on `db`.
    pub fn new(db: &Database) -> Self {
        Self {
            products: db.collection(PRODUCTS),
            restocks: db.collection(RESTOCKS),
        }
    }

    /// Puts `lines` of the return `return_id` (24 hex digits) of `order_id` back; whether
    /// some stock changed (`false` for a redelivery).
    #[tracing::instrument(skip(self, lines))]
    pub async fn apply(
        &self,
        return_id: &str,
        order_id: &str,
        lines: &[ReturnedLine],
    ) -> Result<bool, mongodb::error::Error> {
        let path = format!("restocked.{return_id}");
        let mut changed = false;
        for line in lines {
            let after = self
                .products
                .find_one_and_update(
                    doc! { "_id": line.product_id, &path: { "$exists": false } },
                    doc! {
                        "$inc": { "stock": line.quantity },
                        "$set": { &path: line.quantity, "updatedAt": now().0 },
                    },
                )
                .projection(doc! { "stock": 1, "lowStockThreshold": 1, "stockLow": 1 })
                .return_document(ReturnDocument::After)
                .await?;
            if let Some(after) = after {
                changed = true;
                self.clear_low_if_restored(line.product_id, &after).await?;
            }
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
    pub async fn handled(&self, return_id: &str) -> Result<i64, mongodb::error::Error> {
        Ok(self
            .restocks
            .find_one(doc! { "_id": return_id })
            .await?
            .and_then(|d| int(&d, "handled"))
            .unwrap_or(0))
    }

    /// Ends the low period once the stock is back at or above the threshold.
    async fn clear_low_if_restored(
        &self,
        id: ObjectId,
        product: &Document,
    ) -> Result<(), mongodb::error::Error> {
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
