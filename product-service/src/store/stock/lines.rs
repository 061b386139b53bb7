//! One line of an order against one product: taking it, checking it, giving it back, and the
//! low-stock flag that follows the stock (see the parent module for the rules).

use bson::{Document, doc, oid::ObjectId};
use mongodb::options::ReturnDocument;
use shared::{events::keys, outbox};

use super::{
    Result, Stock, StockError,
    holds::{LEGACY, TAKING, entry_path, legacy_quantity, marker, token},
    located,
};
use crate::{
    domain::{
        location::split,
        product::is_low,
        stock::{OrderItem, ShortLine, ShortReason, StockLow},
    },
    events::envelope,
    store::{
        flag, int, now,
        products::{flag_guard, variants::HAS_VARIANTS},
    },
};

/// How often a take across locations is tried again after losing a race for a location.
const LOCATED_ROUNDS: usize = 8;

/// What trying one line came to.
pub(super) enum Take {
    Held { changed: bool },
    Short(ShortLine),
}

impl Stock {
    /// Takes one line for `order_id`, or says why it cannot be taken. `resumed`: an earlier
    /// attempt at this order may have taken it already (a fresh claim skips that read).
    pub(super) async fn take(
        &self,
        order_id: &str,
        line: &OrderItem,
        correlation: &str,
        resumed: bool,
    ) -> Result<Take> {
        let Ok(id) = ObjectId::parse_str(&line.product_id) else {
            return Ok(Take::Short(short(line, 0, ShortReason::NotFound)));
        };
        if resumed && let Some(hold) = self.find_hold(order_id, id).await? {
            // Taken by an earlier attempt at this order that stopped before deciding.
            let changed = self.settle_take(order_id, id, &hold, None).await?;
            return Ok(Take::Held { changed });
        }
        for _ in 0..LOCATED_ROUNDS {
            if let Some(taken) = self.take_once(order_id, id, line, correlation).await? {
                return Ok(taken);
            }
        }
        Err(StockError::Contended(format!(
            "taking {order_id}/{id} across locations kept racing other takes"
        )))
    }

    /// One try at a line: the product's stock in one place (one guarded write), or spread over
    /// locations (a split guarded by each location). `None`: a located take lost a race and is
    /// tried again from the start.
    async fn take_once(
        &self,
        order_id: &str,
        id: ObjectId,
        line: &OrderItem,
        correlation: &str,
    ) -> Result<Option<Take>> {
        let token = token();
        let taking = entry_path(TAKING, order_id);
        let taken = self
            .products
            .find_one_and_update(
                doc! {
                    "_id": id,
                    "deletedAt": { "$exists": false },
                    &taking: { "$exists": false },
                    entry_path(LEGACY, order_id): { "$exists": false },
                    located::MODE: { "$exists": false },
                    HAS_VARIANTS: sellable(),
                    "stock": { "$gte": line.quantity },
                },
                doc! {
                    "$inc": { "stock": -line.quantity },
                    "$set": { &taking: &token, "updatedAt": now().0 },
                },
            )
            .projection(low_stock_fields())
            .return_document(ReturnDocument::After)
            .await?;
        if let Some(after) = taken {
            self.announce_if_low(id, &after, correlation).await?;
            self.record_take(order_id, id, line.quantity, &token, &[])
                .await?;
            return Ok(Some(Take::Held { changed: true }));
        }
        let mut fields = low_stock_fields();
        fields.extend(doc! { "deletedAt": 1, located::MODE: 1, located::AT: 1, HAS_VARIANTS: 1 });
        let Some(current) = self.markers(order_id, id, fields).await? else {
            return Ok(Some(Take::Short(short(line, 0, ShortReason::NotFound))));
        };
        if let Some(staged) = self.staged_take(order_id, id, &current).await? {
            // Another attempt took it and has not recorded it yet (or stopped doing so).
            let from = located::taking_from(&current, order_id);
            self.record_take(order_id, id, line.quantity, &staged, &from)
                .await?;
            self.announce_if_low(id, &current, correlation).await?;
            return Ok(Some(Take::Held { changed: false }));
        }
        if let Some(hold) = self.find_hold(order_id, id).await? {
            // Another attempt took and recorded it since this one looked.
            let changed = self.settle_take(order_id, id, &hold, None).await?;
            return Ok(Some(Take::Held { changed }));
        }
        if current.contains_key("deletedAt") {
            return Ok(Some(Take::Short(short(line, 0, ShortReason::NotFound))));
        }
        if flag(&current, HAS_VARIANTS) {
            return Ok(Some(Take::Short(short(
                line,
                0,
                ShortReason::VariantRequired,
            ))));
        }
        if located::is_located(&current) {
            return self
                .take_located(order_id, id, line, correlation, &current, token)
                .await;
        }
        let available = int(&current, "stock").unwrap_or(0);
        Ok(Some(Take::Short(short(
            line,
            available,
            ShortReason::InsufficientStock,
        ))))
    }

    /// Takes a line of a product whose stock is kept per location, split by the rule over the
    /// units `current` holds, each location guarded; `None` when another write came first.
    async fn take_located(
        &self,
        order_id: &str,
        id: ObjectId,
        line: &OrderItem,
        correlation: &str,
        current: &Document,
        token: String,
    ) -> Result<Option<Take>> {
        let at = located::stock_at(current);
        let order = self.taking_order().await?;
        let Some(parts) = split(line.quantity, &at, &order) else {
            let available = at.iter().map(|(_, n)| (*n).max(0)).sum();
            return Ok(Some(Take::Short(short(
                line,
                available,
                ShortReason::InsufficientStock,
            ))));
        };
        let taking = entry_path(TAKING, order_id);
        let mut filter = doc! {
            "_id": id,
            "deletedAt": { "$exists": false },
            &taking: { "$exists": false },
            entry_path(LEGACY, order_id): { "$exists": false },
            located::MODE: located::LOCATED,
            HAS_VARIANTS: sellable(),
            "stock": { "$gte": line.quantity },
        };
        for (location, part) in &parts {
            filter.insert(located::at_path(location), doc! { "$gte": part });
        }
        let mut update = doc! {
            "$inc": { "stock": -line.quantity },
            "$set": {
                &taking: &token,
                entry_path(located::TAKING_FROM, order_id): located::parts_doc(&parts),
                "updatedAt": now().0,
            },
        };
        located::inc_parts(&mut update, &parts, -1);
        let taken = self
            .products
            .find_one_and_update(filter, update)
            .projection(low_stock_fields())
            .return_document(ReturnDocument::After)
            .await?;
        let Some(after) = taken else {
            return Ok(None);
        };
        self.announce_if_low(id, &after, correlation).await?;
        self.record_take(order_id, id, line.quantity, &token, &parts)
            .await?;
        Ok(Some(Take::Held { changed: true }))
    }

    /// The token of a take staged on the product `current` and not recorded as a hold yet; a
    /// line an older version held is turned into such a take first.
    async fn staged_take(
        &self,
        order_id: &str,
        id: ObjectId,
        current: &Document,
    ) -> Result<Option<String>> {
        if let Some(staged) = marker(current, TAKING, order_id) {
            return Ok(Some(staged));
        }
        match legacy_quantity(current, order_id) {
            Some(q) if q > 0 => self.convert_legacy(order_id, id, q).await,
            _ => Ok(None),
        }
    }

    /// Why a line that was not tried could not be taken now, if it could not.
    pub(super) async fn shortfall(&self, line: &OrderItem) -> Result<Option<ShortLine>> {
        let Ok(id) = ObjectId::parse_str(&line.product_id) else {
            return Ok(Some(short(line, 0, ShortReason::NotFound)));
        };
        let found = self
            .products
            .find_one(doc! { "_id": id, "deletedAt": { "$exists": false } })
            .projection(doc! { "stock": 1, HAS_VARIANTS: 1 })
            .await?;
        if found.as_ref().is_some_and(|d| flag(d, HAS_VARIANTS)) {
            return Ok(Some(short(line, 0, ShortReason::VariantRequired)));
        }
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
        let mut changed = false;
        for line in lines {
            let Ok(id) = ObjectId::parse_str(&line.product_id) else {
                continue;
            };
            changed |= self.give_back_line(order_id, id, line.quantity).await?;
        }
        Ok(changed)
    }

    /// Gives back what `order_id` holds of `id`, in whichever shape it holds it.
    async fn give_back_line(&self, order_id: &str, id: ObjectId, quantity: i64) -> Result<bool> {
        for _ in 0..3 {
            if let Some(hold) = self.find_hold(order_id, id).await? {
                let settled = self.settle_take(order_id, id, &hold, None).await?;
                return Ok(self.return_hold(order_id, id, hold).await? | settled);
            }
            let Some(current) = self.markers(order_id, id, doc! {}).await? else {
                return Ok(false);
            };
            if let Some(staged) = marker(&current, TAKING, order_id) {
                // A take that stopped before recording its hold: record it, then give it back.
                let from = located::taking_from(&current, order_id);
                let hold = self
                    .record_take(order_id, id, quantity, &staged, &from)
                    .await?;
                return self.return_hold(order_id, id, hold).await;
            }
            if let Some(changed) = self.give_back_legacy(order_id, id, &current).await? {
                return Ok(changed);
            }
        }
        Err(StockError::Contended(format!(
            "giving back {order_id}/{id} kept changing shape"
        )))
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
        let result = self
            .products
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
        if result.modified_count == 1 {
            self.nudge.nudge_collection(crate::store::PRODUCTS);
        }
        Ok(())
    }

    /// Ends the low period once the stock is back at or above the threshold.
    pub(super) async fn clear_low_if_restored(
        &self,
        id: ObjectId,
        product: &Document,
    ) -> Result<()> {
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

/// Matches a product that is not sold in variants (a product sold in variants is not sold
/// itself). `$nin` for a field most products lack (`$ne` matches nothing there on the
/// stand-in), and `1` for the stand-in's `true`.
fn sellable() -> Document {
    doc! { "$nin": [true, 1] }
}

pub(super) fn low_stock_fields() -> Document {
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
