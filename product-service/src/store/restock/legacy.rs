//! Products written before issue 22 keep `restocked: {<returnId>: quantity}`. The start-up
//! migration moves each entry into a `restock_lines` document (recorded `by: "legacy"`) and
//! only then removes it from the product, so at every moment one of the two says the line is
//! done; a restock that meets either does nothing, and one that looked before the move stages
//! units that are dropped when it finds the line recorded.

use bson::{Bson, doc, oid::ObjectId};

use super::{LEGACY, Restock, Result, line_id};
use crate::store::{int, legacy::migrate_map, stock::entry_path};

impl Restock {
    /// Moves every legacy entry into the lines, so that product documents lose them; safe to
    /// run again, beside other instances and while returns are handled. How many it moved.
    #[tracing::instrument(skip_all)]
    pub async fn migrate_legacy(&self) -> Result<u64> {
        let moved = migrate_map(
            &self.products,
            LEGACY,
            |id, return_id: String, value| async move {
                self.migrate_entry(id, &return_id, &value).await
            },
        )
        .await?;
        if moved > 0 {
            tracing::info!(moved, "legacy restock markers moved into restock_lines");
        }
        Ok(moved)
    }

    async fn migrate_entry(&self, id: ObjectId, return_id: &str, value: &Bson) -> Result<()> {
        let quantity = int(&doc! { "v": value.clone() }, "v").unwrap_or(0);
        self.record(&line_id(return_id, id), return_id, id, quantity, "legacy")
            .await?;
        self.products
            .update_one(
                doc! { "_id": id, entry_path(LEGACY, return_id): value.clone() },
                doc! { "$unset": { entry_path(LEGACY, return_id): "" } },
            )
            .await?;
        Ok(())
    }
}
