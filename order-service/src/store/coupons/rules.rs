//! An admin's changes to a coupon's rules — create, edit, delete — each one conditional write
//! that stages its event (`coupon.created|updated|deleted`, the coupon as admins see it) in the
//! coupon's own outbox, keyed by the rules version so the events go out in the order of the
//! changes. The audit log (customer-service) is built from them.
//!
//! A deletion keeps the document as a tombstone (`deletedAtMs`, the rules version bumped so a
//! count already under way no longer matches) until the relay has sent its event; no read
//! finds it. Creating the same code again replaces a tombstone whose event has left; one whose
//! event is still pending answers 409 for the moment it takes.

use bson::{Bson, Document, doc};
use futures::TryStreamExt;
use mongodb::Database;
use shared::{ApiError, events::Envelope, outbox};

use super::{coupons, documents, now_ms, redemptions};
use crate::domain::coupon::{Coupon, state_of};

/// The tombstone's field.
const DELETED: &str = "deletedAtMs";

pub(super) fn live() -> Document {
    doc! { DELETED: { "$exists": false } }
}

/// Adds `coupon` with its `events`; 409 when its code exists (in any case).
#[tracing::instrument(skip_all, fields(coupon = %coupon.code))]
pub async fn insert(db: &Database, coupon: &Coupon, events: &[Envelope]) -> Result<(), ApiError> {
    let mut document = bson::to_document(coupon).map_err(ApiError::internal)?;
    document.extend(outbox::initial_at(events, coupon.rules_version).map_err(ApiError::internal)?);
    let exists = || ApiError::Conflict(format!("a coupon {} exists already", coupon.code));
    match documents(db).insert_one(&document).await {
        Ok(_) => return Ok(()),
        Err(e) if shared::store::is_duplicate_key(&e) => {}
        Err(e) => return Err(e.into()),
    }
    // A tombstone whose event has left gives its code back.
    let replaced = documents(db)
        .replace_one(
            doc! { "_id": &coupon.code, DELETED: { "$exists": true }, outbox::COUNT: { "$lte": 0 } },
            &document,
        )
        .await?;
    if replaced.matched_count == 1 {
        return Ok(());
    }
    match documents(db).find_one(doc! { "_id": &coupon.code }).await? {
        Some(old) if old.contains_key(DELETED) => Err(ApiError::Conflict(format!(
            "the coupon {} was deleted a moment ago; retry in a few seconds",
            coupon.code
        ))),
        _ => Err(exists()),
    }
}

/// The coupon `code` (upper-cased), if any and not deleted.
pub async fn get(db: &Database, code: &str) -> Result<Option<Coupon>, ApiError> {
    let mut filter = live();
    filter.insert("_id", code);
    Ok(coupons(db).find_one(filter).await?)
}

/// Every coupon by code, without the redemptions.
pub async fn list(db: &Database) -> Result<Vec<Coupon>, ApiError> {
    Ok(coupons(db)
        .find(live())
        .projection(
            doc! { "redemptions": 0, "perCustomer": 0, "counting": 0, "givingBack": 0,
            outbox::FIELD: 0 },
        )
        .sort(doc! { "_id": 1 })
        .await?
        .try_collect()
        .await?)
}

/// Writes the rules of `after` over the coupon as it was read (`before`'s rules version), with
/// `events`; `false` when another edit came first.
pub async fn replace_rules(
    db: &Database,
    before: &Coupon,
    after: &Coupon,
    events: &[Envelope],
) -> Result<bool, ApiError> {
    let opt = |v: Option<i64>| v.map_or(Bson::Null, Bson::Int64);
    let version = before.rules_version + 1;
    let mut update = doc! { "$set": {
        "kind": &after.kind,
        "value": after.value,
        "minSubtotalCents": opt(after.min_subtotal_cents),
        "maxDiscountCents": opt(after.max_discount_cents),
        "validFromMs": opt(after.valid_from_ms),
        "validUntilMs": opt(after.valid_until_ms),
        "usageLimit": opt(after.usage_limit),
        "perCustomerLimit": opt(after.per_customer_limit),
        "minTier": after.min_tier.clone().map_or(Bson::Null, Bson::String),
        "state": state_of(after.active),
        "rulesVersion": version,
    } };
    outbox::stage_at(&mut update, events, version).map_err(ApiError::internal)?;
    let mut filter = live();
    filter.insert("_id", &before.code);
    filter.insert("rulesVersion", before.rules_version);
    let result = documents(db).update_one(filter, update).await?;
    Ok(result.matched_count == 1)
}

/// Deletes the coupon `before` (as it was read) with `events`, and forgets its redemptions;
/// `false` when it changed or went meanwhile. Orders that used it keep their price; giving a
/// use back to a deleted coupon does nothing.
pub async fn delete(db: &Database, before: &Coupon, events: &[Envelope]) -> Result<bool, ApiError> {
    let version = before.rules_version + 1;
    let mut update = doc! { "$set": { DELETED: now_ms(), "rulesVersion": version } };
    outbox::stage_at(&mut update, events, version).map_err(ApiError::internal)?;
    let mut filter = live();
    filter.insert("_id", &before.code);
    filter.insert("rulesVersion", before.rules_version);
    let deleted = documents(db)
        .update_one(filter, update)
        .await?
        .matched_count
        == 1;
    if deleted {
        redemptions::forget(db, &before.code).await?;
    }
    Ok(deleted)
}
