//! Products written before issue 22 keep `reservations: {<orderId>: quantity}` on the product
//! (0 once given back). Both shapes are read until the start-up migration has moved them: a
//! held entry becomes a staged take (one write, guarded by its value) recorded as a hold like
//! any other, a given-back entry is dropped (its order's reservation is final, which already
//! stops it being taken again), and a release that meets an entry first gives it back in one
//! write that removes it, so exactly one of the two ever acts on it.

use bson::{Bson, Document, doc, oid::ObjectId};

use super::{
    Result, Stock,
    holds::{LEGACY, TAKING, entry_path, legacy_quantity, marker, token},
};
use crate::store::{int, legacy::migrate_map, now};

impl Stock {
    /// Moves every legacy entry into the holds, so that product documents lose them; safe to
    /// run again, beside other instances, and while orders are being handled. How many
    /// entries it moved.
    #[tracing::instrument(skip_all)]
    pub async fn migrate_legacy(&self) -> Result<u64> {
        let moved =
            migrate_map(
                &self.products,
                LEGACY,
                |id, order_id: String, value| async move {
                    self.migrate_entry(id, &order_id, &value).await
                },
            )
            .await?;
        if moved > 0 {
            tracing::info!(moved, "legacy reservations moved into stock_holds");
        }
        Ok(moved)
    }

    async fn migrate_entry(&self, id: ObjectId, order_id: &str, value: &Bson) -> Result<()> {
        let holder = doc! { "v": value.clone() };
        match int(&holder, "v") {
            Some(q) if q > 0 => {
                if let Some(staged) = self.convert_legacy(order_id, id, q).await? {
                    self.record_take(order_id, id, q, &staged, &[]).await?;
                }
            }
            _ => {
                self.products
                    .update_one(
                        doc! { "_id": id, entry_path(LEGACY, order_id): value.clone() },
                        doc! { "$unset": { entry_path(LEGACY, order_id): "" } },
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// Turns the legacy entry (`quantity` held) into a staged take; the token of the staged
    /// take now on the product, whoever staged it (`None` once it is recorded and cleared).
    pub(super) async fn convert_legacy(
        &self,
        order_id: &str,
        id: ObjectId,
        quantity: i64,
    ) -> Result<Option<String>> {
        let legacy = entry_path(LEGACY, order_id);
        let taking = entry_path(TAKING, order_id);
        self.products
            .update_one(
                doc! { "_id": id, &legacy: quantity, &taking: { "$exists": false } },
                doc! { "$unset": { &legacy: "" }, "$set": { &taking: token() } },
            )
            .await?;
        Ok(self
            .markers(order_id, id, doc! {})
            .await?
            .and_then(|current| marker(&current, TAKING, order_id)))
    }

    /// Gives back a legacy entry seen on `current`: `Some(whether stock changed)`, or `None`
    /// when the entry changed shape meanwhile (moved by the migration) and must be looked up
    /// again.
    pub(super) async fn give_back_legacy(
        &self,
        order_id: &str,
        id: ObjectId,
        current: &Document,
    ) -> Result<Option<bool>> {
        let path = entry_path(LEGACY, order_id);
        match legacy_quantity(current, order_id) {
            None => Ok(Some(false)),
            Some(q) if q > 0 => {
                let after = super::located::put_back(
                    &self.products,
                    doc! { "_id": id, &path: q },
                    doc! {
                        "$inc": { "stock": q },
                        "$unset": { &path: "" },
                        "$set": { "updatedAt": now().0 },
                    },
                    q,
                    &[],
                    super::lines::low_stock_fields(),
                )
                .await?;
                let Some(after) = after else {
                    return Ok(None);
                };
                self.clear_low_if_restored(id, &after).await?;
                Ok(Some(true))
            }
            Some(_) => {
                self.products
                    .update_one(
                        doc! { "_id": id, &path: 0 },
                        doc! { "$unset": { &path: "" } },
                    )
                    .await?;
                Ok(Some(false))
            }
        }
    }
}
