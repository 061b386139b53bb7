//! One line of an order against one product: taking it, checking it, giving it back, and the
//! low-stock flag that follows the stock (see the parent module for the rules).

use bson::{Document, doc, oid::ObjectId};
use mongodb::options::ReturnDocument;
use shared::{events::keys, outbox};

use super::{Result, Stock};
use crate::{
    domain::{
        product::is_low,
        stock::{OrderItem, ShortLine, ShortReason, StockLow},
    },
    events::envelope,
    store::{flag, int, now, products::flag_guard},
};

/// The field path of what `order_id` holds of a product.
fn held_path(order_id: &str) -> String {
    format!("reservations.{order_id}")
}

/// What `order_id` holds of the product `document`: `None` when it never took any, `Some(0)`
/// once given back. Reads both shapes of a projection on `reservations.<order>`: nested (MongoDB)
/// and a flat dotted key (the stand-in).
pub fn held_quantity(document: &Document, order_id: &str) -> Option<i64> {
    document
        .get_document("reservations")
        .ok()
        .and_then(|held| int(held, order_id))
        .or_else(|| int(document, &held_path(order_id)))
}

/// What trying one line came to.
pub(super) enum Take {
    Held { changed: bool },
    Short(ShortLine),
}

impl Stock {
    /// Takes one line for `order_id`, or says why it cannot be taken.
    pub(super) async fn take(
        &self,
        order_id: &str,
        line: &OrderItem,
        correlation: &str,
    ) -> Result<Take> {
        let Ok(id) = ObjectId::parse_str(&line.product_id) else {
            return Ok(Take::Short(short(line, 0, ShortReason::NotFound)));
        };
        let path = held_path(order_id);
        let taken = self
            .products
            .find_one_and_update(
                doc! {
                    "_id": id,
                    "deletedAt": { "$exists": false },
                    &path: { "$exists": false },
                    "stock": { "$gte": line.quantity },
                },
                doc! {
                    "$inc": { "stock": -line.quantity },
                    "$set": { &path: line.quantity, "updatedAt": now().0 },
                },
            )
            .projection(low_stock_fields())
            .return_document(ReturnDocument::After)
            .await?;
        if let Some(after) = taken {
            self.announce_if_low(id, &after, correlation).await?;
            return Ok(Take::Held { changed: true });
        }
        let mut fields = low_stock_fields();
        fields.insert("deletedAt", 1);
        fields.insert(&path, 1);
        let Some(current) = self
            .products
            .find_one(doc! { "_id": id })
            .projection(fields)
            .await?
        else {
            return Ok(Take::Short(short(line, 0, ShortReason::NotFound)));
        };
        if held_quantity(&current, order_id).is_some_and(|q| q > 0) {
            // Taken by an earlier attempt at this order that stopped before deciding.
            self.announce_if_low(id, &current, correlation).await?;
            return Ok(Take::Held { changed: false });
        }
        if current.contains_key("deletedAt") {
            return Ok(Take::Short(short(line, 0, ShortReason::NotFound)));
        }
        let available = int(&current, "stock").unwrap_or(0);
        Ok(Take::Short(short(
            line,
            available,
            ShortReason::InsufficientStock,
        )))
    }

    /// Why a line that was not tried could not be taken now, if it could not.
    pub(super) async fn shortfall(&self, line: &OrderItem) -> Result<Option<ShortLine>> {
        let Ok(id) = ObjectId::parse_str(&line.product_id) else {
            return Ok(Some(short(line, 0, ShortReason::NotFound)));
        };
        let found = self
            .products
            .find_one(doc! { "_id": id, "deletedAt": { "$exists": false } })
            .projection(doc! { "stock": 1 })
            .await?;
        Ok(match found.map(|d| int(&d, "stock").unwrap_or(0)) {
            None => Some(short(line, 0, ShortReason::NotFound)),
            Some(available) if available < line.quantity => {
                Some(short(line, available, ShortReason::InsufficientStock))
            }
            Some(_) => None,
        })
    }

    /// Gives back every line `order_id` still holds; whether any stock changed.
    pub(super) async fn give_back(&self, order_id: &str, lines: &[OrderItem]) -> Result<bool> {
        let path = held_path(order_id);
        let mut changed = false;
        for line in lines {
            let Ok(id) = ObjectId::parse_str(&line.product_id) else {
                continue;
            };
            let after = self
                .products
                .find_one_and_update(
                    doc! { "_id": id, &path: { "$gt": 0 } },
                    doc! {
                        "$inc": { "stock": line.quantity },
                        "$set": { &path: 0, "updatedAt": now().0 },
                    },
                )
                .projection(low_stock_fields())
                .return_document(ReturnDocument::After)
                .await?;
            if let Some(after) = after {
                changed = true;
                self.clear_low_if_restored(id, &after).await?;
            }
        }
        Ok(changed)
    }

    /// Stages `product.stock_low` when the stock is below the threshold and this low period
    /// was not announced yet; the guard makes concurrent callers announce it once.
    async fn announce_if_low(
        &self,
        id: ObjectId,
        product: &Document,
        correlation: &str,
    ) -> Result<()> {
        let (Some(stock), Some(threshold)) =
            (int(product, "stock"), int(product, "lowStockThreshold"))
        else {
            return Ok(());
        };
        if !is_low(stock, threshold) || flag(product, "stockLow") {
            return Ok(());
        }
        let data = StockLow {
            product_id: id.to_hex(),
            name: product.get_str("name").unwrap_or_default(),
            stock,
            threshold,
        };
        let mut update = doc! { "$set": { "stockLow": true } };
        outbox::stage(
            &mut update,
            &[envelope(keys::PRODUCT_STOCK_LOW, correlation, data)?],
        )?;
        self.products
            .update_one(
                doc! {
                    "_id": id,
                    "deletedAt": { "$exists": false },
                    "stockLow": flag_guard(false),
                    "lowStockThreshold": threshold,
                    "stock": { "$lt": threshold },
                },
                update,
            )
            .await?;
        Ok(())
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
                    "stockLow": true,
                    "lowStockThreshold": threshold,
                    "stock": { "$gte": threshold },
                },
                doc! { "$set": { "stockLow": false } },
            )
            .await?;
        Ok(())
    }
}

fn low_stock_fields() -> Document {
    doc! { "name": 1, "stock": 1, "lowStockThreshold": 1, "stockLow": 1 }
}

fn short(line: &OrderItem, available: i64, reason: ShortReason) -> ShortLine {
    ShortLine {
        product_id: line.product_id.clone(),
        requested: line.quantity,
        available,
        reason,
    }
}
