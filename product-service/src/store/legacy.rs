//! The start-up migrations of the maps that products written before issue 22 keep on
//! themselves (`reservations: {<orderId>: quantity}`, `restocked: {<returnId>: quantity}`):
//! the walk is the same for both, the rule for one entry is each map's own
//! (`stock::legacy`, `restock::legacy`).

use bson::{Bson, Document, doc, oid::ObjectId};
use futures::TryStreamExt;
use mongodb::Collection;

use super::stock::StockError;

/// Moves every entry of the map `field` out of every product that has one: `migrate` takes
/// one entry (the product's id, the entry's key and value) out of the product, then a product
/// whose map is left empty loses it (an entry written meanwhile keeps the map for the next
/// run). Safe to run again and beside other instances. How many entries it moved.
// The entry is passed owned: an async closure over borrowed arguments is not `Send` for
// every lifetime, which the services' start-up tasks need.
pub async fn migrate_map<F, Fut>(
    products: &Collection<Document>,
    field: &str,
    mut migrate: F,
) -> Result<u64, StockError>
where
    F: FnMut(ObjectId, String, Bson) -> Fut,
    Fut: Future<Output = Result<(), StockError>>,
{
    let mut cursor = products
        .find(doc! { field: { "$exists": true } })
        .projection(doc! { field: 1 })
        .await?;
    let mut moved = 0;
    while let Some(product) = cursor.try_next().await? {
        let Ok(id) = product.get_object_id("_id") else {
            continue;
        };
        let entries = product.get_document(field).cloned().unwrap_or_default();
        for (key, value) in entries {
            migrate(id, key, value).await?;
            moved += 1;
        }
        products
            .update_one(
                doc! { "_id": id, field: {} },
                doc! { "$unset": { field: "" } },
            )
            .await?;
    }
    Ok(moved)
}
