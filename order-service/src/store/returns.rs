//! The `returns` collection: one document per return, carrying its own pending events (the
//! outbox of [`shared::outbox`]); a new return inserted with `return.requested`, each change
//! written guarded by the previous status and version together with its events.
//!
//! Two returns of one order decided at once on the same earlier returns must not both be
//! stored (together they could return more than was bought): each return takes the next
//! `seq` of its order, and `{orderId, seq}` is unique, so the second insert fails and its
//! request decides again on what the first stored. A single insert, correct on MongoDB and on
//! the stand-in alike, with no transaction.

use bson::{Document, doc, oid::ObjectId};
use futures::TryStreamExt;
use mongodb::{Collection, Database, IndexModel, options::IndexOptions};
use shared::{ApiError, events::Envelope, outbox};

use crate::domain::returns::{Return, ReturnStatus, step_key};

/// The collection name.
pub const COLLECTION: &str = "returns";

fn returns(db: &Database) -> Collection<Return> {
    db.collection(COLLECTION)
}

fn documents(db: &Database) -> Collection<Document> {
    db.collection(COLLECTION)
}

/// One `seq` per order (the guard of concurrent returns), listing by customer and by status.
pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let unique = IndexOptions::builder().unique(true).build();
    let indexes = [
        IndexModel::builder()
            .keys(doc! { "orderId": 1, "seq": 1 })
            .options(unique)
            .build(),
        IndexModel::builder()
            .keys(doc! { "customerId": 1, "createdAtMs": -1 })
            .build(),
        IndexModel::builder()
            .keys(doc! { "status": 1, "createdAtMs": -1 })
            .build(),
    ];
    returns(db).create_indexes(indexes).await?;
    Ok(())
}

/// Inserts a new return with its events; `false` when its order's `seq` was taken meanwhile.
#[tracing::instrument(skip_all, fields(return.id = %ret.id, order.id = %ret.order_id))]
pub async fn insert(db: &Database, ret: &Return, events: &[Envelope]) -> Result<bool, ApiError> {
    let mut document = bson::to_document(ret).map_err(ApiError::internal)?;
    document.extend(outbox::initial_at(events, ret.version).map_err(ApiError::internal)?);
    match documents(db).insert_one(document).await {
        Ok(_) => Ok(true),
        Err(e) if shared::store::is_duplicate_key(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The return with `id`, if any.
pub async fn by_id(db: &Database, id: ObjectId) -> Result<Option<Return>, ApiError> {
    Ok(returns(db).find_one(doc! { "_id": id }).await?)
}

/// Every return of the order `order_id`, in `seq` order.
pub async fn of_order(db: &Database, order_id: &str) -> Result<Vec<Return>, ApiError> {
    Ok(returns(db)
        .find(doc! { "orderId": order_id })
        .sort(doc! { "seq": 1 })
        .await?
        .try_collect()
        .await?)
}

/// One page of returns, newest first, and the total: of one customer, or of everyone.
pub async fn page(
    db: &Database,
    customer_id: Option<&str>,
    status: Option<ReturnStatus>,
    page: u64,
    limit: u64,
) -> Result<(Vec<Return>, u64), ApiError> {
    super::newest_page(
        &returns(db),
        "createdAtMs",
        customer_id,
        status.map(|s| s.as_str()),
        page,
        limit,
    )
    .await
}

/// Writes the change from `before` to `after` with `events`, only if the stored return still
/// has `before`'s status and version; `false` when someone else got there first.
#[tracing::instrument(skip_all, fields(return.id = %before.id, from = before.status.as_str(), to = after.status.as_str()))]
pub async fn replace_if_unchanged(
    db: &Database,
    before: &Return,
    after: &Return,
    events: &[Envelope],
) -> Result<bool, ApiError> {
    let step = after
        .history
        .get(&step_key(after.version))
        .ok_or_else(|| ApiError::internal("a return change without its step"))?;
    let mut set = doc! {
        "status": after.status.as_str(),
        // `$set` rather than `$inc`: the stand-in turns an incremented 64-bit number into a
        // 32-bit one, and the guard compares it.
        "version": after.version,
        format!("history.{}", step_key(after.version)): bson::to_bson(step).map_err(ApiError::internal)?,
        "updatedAtMs": after.updated_at_ms,
    };
    if let Some(reference) = &after.refund_ref {
        set.insert("refundRef", reference);
    }
    let mut update = doc! { "$set": set };
    outbox::stage_at(&mut update, events, after.version).map_err(ApiError::internal)?;
    let result = documents(db)
        .update_one(
            doc! {
                "_id": before.id,
                "status": before.status.as_str(),
                "version": before.version,
            },
            update,
        )
        .await?;
    Ok(result.matched_count == 1)
}
