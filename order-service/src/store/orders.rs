//! The `orders` collection: inserting an order with its `order.created`, reading, paging, and
//! writing a status change guarded by the previous status and version, together with its
//! events, in one single-document write.

use bson::{Bson, Document, doc, oid::ObjectId};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::{Collection, Database, IndexModel, options::IndexOptions};
use shared::{ApiError, events::Envelope, outbox};

use crate::domain::{Order, Status, order::history_key};

/// The collection name.
pub const COLLECTION: &str = "orders";

fn orders(db: &Database) -> Collection<Order> {
    db.collection(COLLECTION)
}

fn documents(db: &Database) -> Collection<Document> {
    db.collection(COLLECTION)
}

/// A unique request key per order, listing by customer, and the pollers' query (fulfilment
/// and the saga's deadline).
pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let unique = IndexOptions::builder().unique(true).build();
    let indexes = [
        IndexModel::builder()
            .keys(doc! { "requestKey": 1 })
            .options(unique)
            .build(),
        IndexModel::builder()
            .keys(doc! { "customerId": 1, "createdAt": -1 })
            .build(),
        IndexModel::builder()
            .keys(doc! { "status": 1, "nextDueAtMs": 1 })
            .build(),
    ];
    orders(db).create_indexes(indexes).await?;
    Ok(())
}

/// Why an insert did not happen.
#[derive(Debug, thiserror::Error)]
pub enum InsertError {
    /// An order with the same request key exists (an idempotent retry).
    #[error("an order with this request key exists")]
    Duplicate,
    /// Anything else.
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// Inserts a new order together with its events; the events as stored (the whole of what the
/// new document holds, for [`outbox::Nudge::hand`]).
#[tracing::instrument(skip_all, fields(order.id = %order.id))]
pub async fn insert(
    db: &Database,
    order: &Order,
    events: &[Envelope],
) -> Result<outbox::Keyed, InsertError> {
    let mut document = bson::to_document(order).map_err(ApiError::internal)?;
    let keyed = outbox::keyed_at(events, order.version).map_err(ApiError::internal)?;
    document.extend(outbox::initial_keyed(&keyed));
    match documents(db).insert_one(document).await {
        Ok(_) => Ok(keyed),
        Err(e) if shared::store::is_duplicate_key(&e) => Err(InsertError::Duplicate),
        Err(e) => Err(ApiError::from(e).into()),
    }
}

/// The order with `id`, if any.
pub async fn by_id(db: &Database, id: ObjectId) -> Result<Option<Order>, ApiError> {
    Ok(orders(db).find_one(doc! { "_id": id }).await?)
}

/// The order with `id`, if any, and how many events it holds unpublished (`None` when the
/// stored document does not say: written before the outbox kept a count).
pub async fn by_id_with_pending(
    db: &Database,
    id: ObjectId,
) -> Result<Option<(Order, Option<i64>)>, ApiError> {
    let Some(document) = documents(db).find_one(doc! { "_id": id }).await? else {
        return Ok(None);
    };
    let pending = outbox::known_pending(&document);
    let order = bson::from_document(document).map_err(ApiError::internal)?;
    Ok(Some((order, pending)))
}

/// The order placed with `request_key`, if any.
pub async fn by_request_key(db: &Database, request_key: &str) -> Result<Option<Order>, ApiError> {
    Ok(orders(db)
        .find_one(doc! { "requestKey": request_key })
        .await?)
}

/// One page of orders, newest first, and the total: of one customer, or of everyone.
pub async fn page(
    db: &Database,
    customer_id: Option<&str>,
    status: Option<Status>,
    page: u64,
    limit: u64,
) -> Result<(Vec<Order>, u64), ApiError> {
    super::newest_page(
        &orders(db),
        "createdAt",
        customer_id,
        status.map(|s| s.as_str()),
        page,
        limit,
    )
    .await
}

/// Writes `after` over `before` with `events`, only if the stored order still has `before`'s
/// status and version (and matches `extra`): the events as stored, or `None` when someone
/// else got there first.
#[tracing::instrument(skip_all, fields(order.id = %before.id, from = %before.status, to = %after.status))]
pub async fn replace_if_unchanged(
    db: &Database,
    before: &Order,
    after: &Order,
    events: &[Envelope],
    extra: Document,
) -> Result<Option<outbox::Keyed>, ApiError> {
    let mut filter = doc! {
        "_id": before.id,
        "status": before.status.as_str(),
        "version": before.version,
    };
    filter.extend(extra);
    let mut update = change_of(after)?;
    // Keyed by version: the relay publishes one order's changes in the order of its versions.
    let keyed = outbox::keyed_at(events, after.version).map_err(ApiError::internal)?;
    outbox::stage_keyed(&mut update, &keyed);
    let result = documents(db).update_one(filter, update).await?;
    Ok((result.matched_count == 1).then_some(keyed))
}

/// The update that turns an order into `after`: every field a status change can touch, and
/// only the newest history entry (by its dotted key).
fn change_of(after: &Order) -> Result<Document, ApiError> {
    let entry = after
        .history
        .get(&history_key(after.version))
        .ok_or_else(|| ApiError::internal("a status change without its history entry"))?;
    let mut set = doc! {
        "status": after.status.as_str(),
        // `$set` rather than `$inc`: the stand-in turns an incremented 64-bit number into a
        // 32-bit one, and the guard compares it.
        "version": after.version,
        format!("history.{}", history_key(after.version)): bson::to_bson(entry).map_err(ApiError::internal)?,
        "updatedAt": bson::DateTime::from_chrono(after.updated_at),
        "estimatedDelivery": bson::DateTime::from_chrono(after.estimated_delivery),
    };
    let optional = [
        ("rejectionReason", &after.rejection_reason),
        ("cancellationReason", &after.cancellation_reason),
        ("carrier", &after.carrier),
        ("trackingNumber", &after.tracking_number),
    ];
    for (field, value) in optional {
        set.insert(field, value.clone().map_or(Bson::Null, Bson::String));
    }
    if let Some(payment) = &after.payment {
        set.insert(
            "payment",
            bson::to_bson(payment).map_err(ApiError::internal)?,
        );
    }
    let mut update = doc! {};
    match after.next_due_at_ms {
        Some(ms) => {
            set.insert("nextDueAtMs", ms);
        }
        None => {
            update.insert("$unset", doc! { "nextDueAtMs": "" });
        }
    }
    update.insert("$set", set);
    Ok(update)
}

/// An order whose next step is due: its id, and the order as read with its pending events'
/// count (`None` when the document could not be read as an order: whoever advances it reads
/// it again, and that order alone fails).
pub struct Due {
    /// The order's id.
    pub id: ObjectId,
    /// The order as found, and its pending events.
    pub read: Option<(Order, Option<i64>)>,
}

/// Orders in one of `statuses` whose next step is due at `now_ms`, oldest due first, whole:
/// the step is decided on them without reading each again.
pub async fn due(
    db: &Database,
    statuses: &[Status],
    now_ms: i64,
    limit: i64,
) -> Result<Vec<Due>, ApiError> {
    let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    let due: Vec<Document> = documents(db)
        .find(doc! {
            "status": { "$in": statuses },
            "nextDueAtMs": { "$lte": now_ms },
        })
        .sort(doc! { "nextDueAtMs": 1 })
        .limit(limit)
        .await?
        .try_collect()
        .await?;
    // One unreadable order must not stop the others from being advanced: it is passed on by
    // its id alone.
    Ok(due
        .into_iter()
        .filter_map(|document| {
            let id = document.get_object_id("_id").ok()?;
            let pending = outbox::known_pending(&document);
            let read = bson::from_document::<Order>(document)
                .ok()
                .map(|order| (order, pending));
            Some(Due { id, read })
        })
        .collect())
}

/// Gives every `PENDING` order without a saga deadline (placed before deadlines existed) the
/// deadline `due_ms`; how many it gave one. Guarded by the status, so an order that moved on
/// meanwhile is left alone.
pub async fn give_deadlines(db: &Database, due_ms: i64) -> Result<u64, ApiError> {
    let result = documents(db)
        .update_many(
            doc! { "status": Status::Pending.as_str(), "nextDueAtMs": { "$exists": false } },
            doc! { "$set": { "nextDueAtMs": due_ms } },
        )
        .await?;
    Ok(result.modified_count)
}

/// Records that product-service gave the stock of order `id` back; `false` when it was
/// already recorded (a redelivered `stock.released`).
pub async fn mark_stock_released(
    db: &Database,
    id: ObjectId,
    at: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let result = documents(db)
        .update_one(
            doc! { "_id": id, "stockReleasedAt": { "$exists": false } },
            doc! { "$set": { "stockReleasedAt": bson::DateTime::from_chrono(at) } },
        )
        .await?;
    Ok(result.modified_count == 1)
}

/// Stops the saga's deadline of a paying order whose stock was reserved: from now on it waits
/// only for the payment provider (retried for as long as the provider is down), so the
/// deadline must not reject it (`payment.stockReservedAtMs` set, `nextDueAtMs` removed).
/// Guarded by status and version, so it loses cleanly to the deadline or a cancel; `false`
/// when the order moved meanwhile.
pub async fn hold_for_payment(db: &Database, order: &Order, now_ms: i64) -> Result<bool, ApiError> {
    let result = documents(db)
        .update_one(
            doc! {
                "_id": order.id,
                "status": Status::Pending.as_str(),
                "version": order.version,
            },
            doc! {
                "$set": { "payment.stockReservedAtMs": now_ms },
                "$unset": { "nextDueAtMs": "" },
            },
        )
        .await?;
    Ok(result.matched_count == 1)
}

/// Records that the authorisation of the cancelled order `order` was voided (`void_ref`) and
/// stages `events` (`payment.refunded`) in the same write; `false` when a void was recorded
/// before (a redelivery, or the other path got there first), which stages nothing.
pub async fn record_void(
    db: &Database,
    order: &Order,
    void_ref: &str,
    events: &[Envelope],
) -> Result<bool, ApiError> {
    let mut update = doc! {
        "$set": { "payment.status": "voided", "payment.refundRef": void_ref },
    };
    // After the order's own last change, so the relay keeps one order's events in order.
    outbox::stage_at(&mut update, events, order.version + 1).map_err(ApiError::internal)?;
    let result = documents(db)
        .update_one(
            doc! { "_id": order.id, "payment.refundRef": { "$exists": false } },
            update,
        )
        .await?;
    Ok(result.modified_count == 1)
}

/// Marks the payment of an order cancelled before it was authorised as `voided` (the key is
/// voided at the provider, so a late authorisation is declined); nothing was charged, so no
/// event. Only a `pending` payment changes.
pub async fn mark_unpaid_void(db: &Database, id: ObjectId) -> Result<bool, ApiError> {
    let result = documents(db)
        .update_one(
            doc! { "_id": id, "payment.status": "pending" },
            doc! { "$set": { "payment.status": "voided" } },
        )
        .await?;
    Ok(result.modified_count == 1)
}
