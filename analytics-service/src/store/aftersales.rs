//! After-sales read models (issue 15): `returns` (one document per return, by its id),
//! `reviews` (by review id) and `notifications` (by notification id), each with its UTC `day`.
//!
//! ```text
//! returns:       { _id: returnId, day, orderId, reason, amountCents, requested, received, refunded }
//! reviews:       { _id: reviewId, day, productId, rating }
//! notifications: { _id: notificationId, day, kind, category }
//! mail_attempts: { _id: "<notificationId>:sent" | "<notificationId>:<attempt>", day, kind,
//!                  notificationId, outcome: sent|retry|failed, waitedMs }
//! ```
//! A mail is counted sent once per notification (a resend after a crash, announced twice, is
//! one `:sent` document), each failed attempt once by its number.
//! Every write is idempotent by itself: a review or a notification is inserted under its own
//! id (a second insert is a duplicate key, ignored); a return's facts are `$set` and its marks
//! only ever become true, so its events may come twice or out of order and it ends the same.

use std::collections::BTreeMap;

use bson::{Bson, Document, doc};
use futures::TryStreamExt;
use mongodb::{Database, IndexModel};

use super::{already_there, int};
use crate::domain::{Cents, DayRange};

/// Returns asked for.
pub const RETURNS: &str = "returns";
/// Reviews written.
pub const REVIEWS: &str = "reviews";
/// Notifications made by alert-service.
pub const NOTIFICATIONS: &str = "notifications";
/// Attempts to mail notifications, sent or failed.
pub const MAIL_ATTEMPTS: &str = "mail_attempts";

/// A mail counts as delayed when it had waited this long for an attempt (sent or not):
/// longer than a working SMTP server ever takes, shorter than a customer's patience.
pub const DELAYED_AFTER_MINUTES: i64 = 10;

/// An index on `day` for each.
pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    for name in [RETURNS, REVIEWS, NOTIFICATIONS, MAIL_ATTEMPTS] {
        db.collection::<Document>(name)
            .create_index(IndexModel::builder().keys(doc! { "day": 1 }).build())
            .await?;
    }
    Ok(())
}

/// `$set`s `set` on the return `id`, creating its document if needed.
pub async fn mark_return(
    db: &Database,
    id: &str,
    set: Document,
) -> Result<(), mongodb::error::Error> {
    let returns = db.collection::<Document>(RETURNS);
    let attempt = || {
        returns
            .update_one(doc! { "_id": id }, doc! { "$set": set.clone() })
            .upsert(true)
    };
    match attempt().await {
        // Two events of one return upserting at once: the loser updates the winner's.
        Err(e) if shared::store::is_duplicate_key(&e) => attempt().await.map(|_| ()),
        other => other.map(|_| ()),
    }
}

/// Inserts `document` into `collection` unless its `_id` is there already.
pub async fn record(
    db: &Database,
    collection: &str,
    document: Document,
) -> Result<(), mongodb::error::Error> {
    already_there(
        db.collection::<Document>(collection)
            .insert_one(document)
            .await
            .map(|_| ()),
    )
}

/// The documents of `collection` on the days of `range`.
async fn in_range(
    db: &Database,
    collection: &str,
    range: Option<DayRange>,
) -> Result<Vec<Document>, mongodb::error::Error> {
    let filter = range.map_or_else(Document::new, |r| {
        doc! { "day": { "$gte": r.from.text(), "$lte": r.to.text() } }
    });
    db.collection::<Document>(collection)
        .find(filter)
        .await?
        .try_collect()
        .await
}

/// Returns over a range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReturnFigures {
    /// Asked for.
    pub requested: i64,
    /// Received back.
    pub received: i64,
    /// Refunded.
    pub refunded: i64,
    /// What the refunded ones gave back.
    pub refunded_cents: Cents,
    /// Asked for, per reason.
    pub by_reason: BTreeMap<String, i64>,
}

/// Reviews over a range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewFigures {
    /// How many.
    pub count: i64,
    /// The sum of their ratings.
    pub rating_sum: i64,
    /// How many per rating (1..=5).
    pub by_rating: BTreeMap<String, i64>,
}

fn flag(d: &Document, field: &str) -> bool {
    match d.get(field) {
        Some(Bson::Boolean(b)) => *b,
        _ => int(d, field).is_some_and(|n| n != 0),
    }
}

/// The returns asked for in `range` (all time without one).
pub async fn returns(
    db: &Database,
    range: Option<DayRange>,
) -> Result<ReturnFigures, mongodb::error::Error> {
    let mut out = ReturnFigures::default();
    for d in in_range(db, RETURNS, range).await? {
        if !flag(&d, "requested") {
            continue;
        }
        out.requested += 1;
        let reason = d.get_str("reason").unwrap_or("unknown").to_owned();
        *out.by_reason.entry(reason).or_insert(0) += 1;
        out.received += i64::from(flag(&d, "received"));
        if flag(&d, "refunded") {
            out.refunded += 1;
            out.refunded_cents += int(&d, "amountCents").unwrap_or(0);
        }
    }
    Ok(out)
}

/// The reviews written in `range` (all time without one).
pub async fn reviews(
    db: &Database,
    range: Option<DayRange>,
) -> Result<ReviewFigures, mongodb::error::Error> {
    let mut out = ReviewFigures::default();
    for d in in_range(db, REVIEWS, range).await? {
        let Some(rating) = int(&d, "rating").filter(|r| (1..=5).contains(r)) else {
            continue;
        };
        out.count += 1;
        out.rating_sum += rating;
        *out.by_rating.entry(rating.to_string()).or_insert(0) += 1;
    }
    Ok(out)
}

/// The notifications made in `range` (all time without one), per kind.
pub async fn notifications(
    db: &Database,
    range: Option<DayRange>,
) -> Result<BTreeMap<String, i64>, mongodb::error::Error> {
    let mut out = BTreeMap::new();
    for d in in_range(db, NOTIFICATIONS, range).await? {
        let kind = d.get_str("kind").unwrap_or("unknown").to_owned();
        *out.entry(kind).or_insert(0) += 1;
    }
    Ok(out)
}

/// Mail delivery counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailCounts {
    /// Mails the SMTP server accepted.
    pub sent: i64,
    /// Attempts that failed (tried again, or refused for good).
    pub failed_attempts: i64,
    /// Mails refused for good.
    pub failed: i64,
    /// Mails that waited [`DELAYED_AFTER_MINUTES`] or more for an attempt, sent or not.
    pub delayed: i64,
}

/// Mail delivery over a range: in all, per notification kind and per day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailFigures {
    /// In all.
    pub total: MailCounts,
    /// Per kind.
    pub by_kind: BTreeMap<String, MailCounts>,
    /// Per day (`YYYY-MM-DD`) with any attempt.
    pub by_day: BTreeMap<String, MailCounts>,
}

/// The mail attempts of `range` (all time without one). A delayed mail counts once in all and
/// per kind, and once on each day it was seen waiting too long.
pub async fn mail(
    db: &Database,
    range: Option<DayRange>,
) -> Result<MailFigures, mongodb::error::Error> {
    use std::collections::BTreeSet;
    let limit = DELAYED_AFTER_MINUTES * 60_000;
    let mut out = MailFigures::default();
    let mut delayed: BTreeSet<String> = BTreeSet::new();
    let mut delayed_on: BTreeSet<(String, String)> = BTreeSet::new();
    for d in in_range(db, MAIL_ATTEMPTS, range).await? {
        let kind = d.get_str("kind").unwrap_or("unknown").to_owned();
        let day = d.get_str("day").unwrap_or_default().to_owned();
        let notification = d.get_str("notificationId").unwrap_or_default().to_owned();
        let (sent, failed_attempts, failed) = match d.get_str("outcome").unwrap_or_default() {
            "sent" => (1, 0, 0),
            "retry" => (0, 1, 0),
            "failed" => (0, 1, 1),
            _ => continue,
        };
        let late = int(&d, "waitedMs").is_some_and(|w| w >= limit);
        let first_time = late && delayed.insert(notification.clone());
        let first_that_day = late && delayed_on.insert((notification, day.clone()));
        for (counts, delayed) in [
            (&mut out.total, first_time),
            (out.by_kind.entry(kind).or_default(), first_time),
            (out.by_day.entry(day).or_default(), first_that_day),
        ] {
            counts.sent += sent;
            counts.failed_attempts += failed_attempts;
            counts.failed += failed;
            counts.delayed += i64::from(delayed);
        }
    }
    Ok(out)
}
