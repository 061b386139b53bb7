//! The `subscriptions` collection: one document per subscription, carrying its own pending
//! events (the outbox of [`shared::outbox`]). Every write is one conditional single-document
//! update, correct on MongoDB and on the stand-in alike:
//! - a customer's pause, resume or cancel is guarded by the previous status and version;
//! - a run is *claimed* by a write guarded by `status: ACTIVE`, the version, `nextRunAtMs <=
//!   now` and no run pending, which advances the schedule and marks run `n` pending: of two
//!   replicas (or a replica and its restarted self) only one claims it;
//! - the run's order is *recorded* by a write guarded by `pendingRun: n` (and the version, when
//!   it also pauses);
//! - the payment's outcome is *settled* by a write guarded by `awaitingOrder` and the version.
//!
//! Counters are written with `$set`, never `$inc`: the stand-in turns an incremented 64-bit
//! number into a 32-bit one, and the guards compare them.

use bson::{Bson, Document, doc, oid::ObjectId};
use futures::TryStreamExt;
use mongodb::{Collection, Database, IndexModel};
use shared::{ApiError, events::Envelope, outbox};

use crate::domain::subscription::{Run, Subscription, SubscriptionStatus, run_field};

/// The collection name.
pub const COLLECTION: &str = "subscriptions";

fn subscriptions(db: &Database) -> Collection<Subscription> {
    db.collection(COLLECTION)
}

fn documents(db: &Database) -> Collection<Document> {
    db.collection(COLLECTION)
}

/// Listing by customer, and the poller's three questions.
pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let indexes = [
        IndexModel::builder()
            .keys(doc! { "customerId": 1, "createdAtMs": -1 })
            .build(),
        IndexModel::builder()
            .keys(doc! { "status": 1, "nextRunAtMs": 1 })
            .build(),
        IndexModel::builder().keys(doc! { "pendingRun": 1 }).build(),
        IndexModel::builder()
            .keys(doc! { "awaitingOrder": 1 })
            .build(),
    ];
    subscriptions(db).create_indexes(indexes).await?;
    Ok(())
}

/// Inserts a new subscription with its events.
#[tracing::instrument(skip_all, fields(subscription.id = %sub.id))]
pub async fn insert(
    db: &Database,
    sub: &Subscription,
    events: &[Envelope],
) -> Result<(), ApiError> {
    let mut document = bson::to_document(sub).map_err(ApiError::internal)?;
    document.extend(outbox::initial_at(events, sub.version).map_err(ApiError::internal)?);
    documents(db).insert_one(document).await?;
    Ok(())
}

/// The subscription with `id`, if any.
pub async fn by_id(db: &Database, id: ObjectId) -> Result<Option<Subscription>, ApiError> {
    Ok(subscriptions(db).find_one(doc! { "_id": id }).await?)
}

/// One page of subscriptions, newest first, and the total: of one customer, or of everyone.
pub async fn page(
    db: &Database,
    customer_id: Option<&str>,
    status: Option<SubscriptionStatus>,
    page: u64,
    limit: u64,
) -> Result<(Vec<Subscription>, u64), ApiError> {
    super::newest_page(
        &subscriptions(db),
        "createdAtMs",
        customer_id,
        status.map(|s| s.as_str()),
        page,
        limit,
    )
    .await
}

/// Ids of the documents matching `filter`, oldest due first, at most `limit`.
async fn ids(
    db: &Database,
    filter: Document,
    sort: Document,
    limit: i64,
) -> Result<Vec<ObjectId>, ApiError> {
    // Ids only: one unreadable subscription must not stop the others.
    let found: Vec<Document> = documents(db)
        .find(filter)
        .projection(doc! { "_id": 1 })
        .sort(sort)
        .limit(limit)
        .await?
        .try_collect()
        .await?;
    Ok(found
        .iter()
        .filter_map(|d| d.get_object_id("_id").ok())
        .collect())
}

/// Active subscriptions due at `now_ms` with no run pending.
pub async fn due(db: &Database, now_ms: i64, limit: i64) -> Result<Vec<ObjectId>, ApiError> {
    let filter = doc! {
        "status": SubscriptionStatus::Active.as_str(),
        "nextRunAtMs": { "$lte": now_ms },
        "pendingRun": Bson::Null,
    };
    ids(db, filter, doc! { "nextRunAtMs": 1 }, limit).await
}

/// Subscriptions with a claimed run whose order is not recorded.
pub async fn pending(db: &Database, limit: i64) -> Result<Vec<ObjectId>, ApiError> {
    let filter = doc! { "pendingRun": { "$ne": Bson::Null } };
    ids(db, filter, doc! { "_id": 1 }, limit).await
}

/// Subscriptions whose last order's payment outcome is not known yet.
pub async fn awaiting(db: &Database, limit: i64) -> Result<Vec<ObjectId>, ApiError> {
    let filter = doc! { "awaitingOrder": { "$ne": Bson::Null } };
    ids(db, filter, doc! { "_id": 1 }, limit).await
}

/// Claims the run due on `before` at `now_ms`, moving the schedule to `next_ms`; the run's
/// number, or `None` when another replica (or a customer's change) got there first.
#[tracing::instrument(skip_all, fields(subscription.id = %before.id))]
pub async fn claim(
    db: &Database,
    before: &Subscription,
    now_ms: i64,
    next_ms: i64,
) -> Result<Option<i64>, ApiError> {
    let n = before.run_count + 1;
    let run = Run {
        n,
        at_ms: now_ms,
        order_id: None,
        error: None,
    };
    let result = documents(db)
        .update_one(
            doc! {
                "_id": before.id,
                "status": SubscriptionStatus::Active.as_str(),
                "version": before.version,
                "nextRunAtMs": { "$lte": now_ms },
                "pendingRun": Bson::Null,
            },
            doc! { "$set": {
                "version": before.version + 1,
                "runCount": n,
                "nextRunAtMs": next_ms,
                "pendingRun": n,
                format!("runs.{}", run_field(n)): bson::to_bson(&run).map_err(ApiError::internal)?,
            } },
        )
        .await?;
    Ok((result.matched_count == 1).then_some(n))
}

/// A pause decided by order-service itself, written with the reason and its events.
pub struct SystemPause<'a> {
    /// Why (`PAYMENT_DECLINED: card_declined`).
    pub reason: &'a str,
    /// `subscription.paused`.
    pub events: &'a [Envelope],
}

/// Adds the pause to `set` and `update` (a version bump and the events), for `before`.
fn add_pause(
    update: &mut Document,
    before: &Subscription,
    pause: &SystemPause<'_>,
) -> Result<(), ApiError> {
    let version = before.version + 1;
    let mut set = update.get_document("$set").cloned().unwrap_or_default();
    set.insert("status", SubscriptionStatus::Paused.as_str());
    set.insert("pauseReason", pause.reason);
    set.insert("version", version);
    update.insert("$set", set);
    outbox::stage_at(update, pause.events, version).map_err(ApiError::internal)
}

/// Records run `n`'s order (or why it has none) on `before`, pausing it too when `pause` is
/// given (then guarded by the version and `ACTIVE` as well); `false` when the run was recorded
/// already or the subscription changed meanwhile.
#[tracing::instrument(skip_all, fields(subscription.id = %before.id, run = n))]
pub async fn record(
    db: &Database,
    before: &Subscription,
    n: i64,
    order_id: Option<&str>,
    error: Option<&str>,
    pause: Option<SystemPause<'_>>,
) -> Result<bool, ApiError> {
    let field = format!("runs.{}", run_field(n));
    let mut update = doc! { "$set": {
        "pendingRun": Bson::Null,
        "awaitingOrder": order_id,
        format!("{field}.orderId"): order_id,
        format!("{field}.error"): error,
    } };
    let mut filter = doc! { "_id": before.id, "pendingRun": n };
    if let Some(pause) = &pause {
        add_pause(&mut update, before, pause)?;
        filter.insert("version", before.version);
        filter.insert("status", SubscriptionStatus::Active.as_str());
    }
    let result = documents(db).update_one(filter, update).await?;
    Ok(result.matched_count == 1)
}

/// Forgets the order `before` awaited, pausing the subscription when `pause` is given;
/// `false` when someone else settled it or the subscription changed meanwhile.
#[tracing::instrument(skip_all, fields(subscription.id = %before.id))]
pub async fn settle(
    db: &Database,
    before: &Subscription,
    order_id: &str,
    pause: Option<SystemPause<'_>>,
) -> Result<bool, ApiError> {
    let mut update = doc! { "$set": { "awaitingOrder": Bson::Null } };
    let mut filter = doc! { "_id": before.id, "awaitingOrder": order_id };
    if let Some(pause) = &pause {
        add_pause(&mut update, before, pause)?;
        filter.insert("version", before.version);
        filter.insert("status", SubscriptionStatus::Active.as_str());
    }
    let result = documents(db).update_one(filter, update).await?;
    Ok(result.matched_count == 1)
}

/// Writes a customer's change from `before` to `after` with `events`, only if the stored
/// subscription still has `before`'s status and version; `false` when it changed meanwhile.
#[tracing::instrument(skip_all, fields(subscription.id = %before.id, to = after.status.as_str()))]
pub async fn replace_if_unchanged(
    db: &Database,
    before: &Subscription,
    after: &Subscription,
    events: &[Envelope],
) -> Result<bool, ApiError> {
    let mut update = doc! { "$set": {
        "status": after.status.as_str(),
        "pauseReason": after.pause_reason.as_deref(),
        "nextRunAtMs": after.next_run_at_ms,
        "version": after.version,
    } };
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
