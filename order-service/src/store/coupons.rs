//! The `coupons` collection: one document per coupon, `_id` its upper-cased code (so a code is
//! unique without regard to case by the primary key), holding its rules and its use counters;
//! each use is a document of its own in `coupon_redemptions` ([`redemptions`]), so a coupon's
//! document does not grow with its uses (issue 22: a popular coupon's would reach MongoDB's
//! 16 MB limit, and every use rewrote all of it).
//!
//! ```text
//! { _id: "WELCOME10", kind, value, minSubtotalCents?, ..., state: active|paused, rulesVersion,
//!   used: <uses counted>, perCustomer: { "c<customer>": n },
//!   counting?: { "<key>": {by, customerId, token, atMs} },    (only while a step is under way)
//!   givingBack?: { "<key>": {by, customerId, token, atMs} } }
//! ```
//! The key of a use is `r<sha256 of the order's request key>` (a request key holds the
//! client's `Idempotency-Key`, which may contain `.` or `$`).
//!
//! There is no transaction (the stand-in and a standalone MongoDB have none), so each change
//! is one single-document write, ordered so that whatever a crash leaves is recognisable, as
//! for stock holds (product-service's `store/stock.rs`):
//!
//! Counting a use, attempt token `a` ([`redeem`]):
//! 1. coupon `{state: active, rulesVersion, used < limit, perCustomer.<c> < limit,
//!    counting.<key> and givingBack.<key> absent}` → `used += 1`, `perCustomer.<c> += 1`,
//!    `counting.<key> = {by: a, ...}`: N checkouts at once against k uses left, exactly k
//!    writes match;
//! 2. insert the redemption `{counted, countedBy: a}` (or turn a returned one counted by `a`);
//! 3. coupon `{counting.<key>.by: a}` → unset the marker.
//!
//! Giving it back, attempt token `g` ([`give_back`]):
//! 1. coupon `{counting.<key> and givingBack.<key> absent}` → `givingBack.<key> = {by: g}`;
//! 2. redemption `{counted}` → `{returned, returnedBy: g}` (the redemption decides who wins);
//! 3. coupon `{givingBack.<key>.by: g}` → unset the marker, and `used −= 1` in the same
//!    write when the redemption was returned by `g`.
//!
//! A marker found by any later reader of the key (a retried checkout, an order's end, the
//! orphan sweep, which reads every coupon) is finished for its attempt
//! ([`redemptions::settle_key`]), so a crash between steps leaves nothing counted twice or
//! lost. At most one marker per key exists at a time, so a use cannot be counted again while
//! its giving back is under way. A second count of a key that finds the key's redemption
//! counted by another attempt is a duplicate: it is taken back as its marker is cleared.
//! Between steps the coupon holds no per-use field.
//!
//! Coupons written by versions before this kept `redemptions.<key>` on the document; each is
//! moved into the collection when its key is next read, and all of them by the sweep.
//!
//! Admins' changes ([`rules`]) stage `coupon.created|updated|deleted` in the coupon's own outbox
//! (the same write), so the audit log hears of each; a deleted coupon stays as a tombstone
//! (`deletedAtMs`) until its event has left, and reads never find it.

use bson::{Document, doc};
use futures::TryStreamExt;
use mongodb::{Collection, Database};
use sha2::{Digest, Sha256};
use shared::ApiError;

use crate::domain::Money;
use crate::domain::coupon::{Coupon, Marker, Refusal, Tier, customer_key, state_of};

pub mod redemptions;
mod rules;

pub use redemptions::ensure_indexes;
pub use rules::{delete, get, insert, list, replace_rules};

/// The collection name.
pub const COLLECTION: &str = "coupons";

fn coupons(db: &Database) -> Collection<Coupon> {
    db.collection(COLLECTION)
}

fn documents(db: &Database) -> Collection<Document> {
    db.collection(COLLECTION)
}

fn now_ms() -> i64 {
    bson::DateTime::now().timestamp_millis()
}

/// The key of the redemption of the order with `token` as its request key.
pub fn redemption_key(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("r{hex}")
}

/// Counts one use of `code` by `customer` for the order whose request key is `token`, if the
/// coupon still allows it ([`Coupon::check`] at `now`); the coupon as it applies. A token that
/// holds a use already counts nothing more and gets it (a retried or resumed checkout). A
/// refusal (the last use taken by a checkout beside this one, the customer's limit, a pause)
/// counts nothing.
#[tracing::instrument(skip(db, tier, subtotal))]
pub async fn redeem(
    db: &Database,
    code: &str,
    customer: &str,
    tier: &Tier,
    subtotal: Money,
    token: &str,
) -> Result<Result<Coupon, Refusal>, ApiError> {
    let key = redemption_key(token);
    let mine = customer_key(customer);
    for _ in 0..8 {
        let Some(coupon) = get(db, code).await? else {
            return Ok(Err(Refusal::Unknown));
        };
        if redemptions::settle_key(db, &coupon, &key).await? {
            continue;
        }
        // Counted for this token already (a retry, or a checkout resumed after a crash): the
        // use was granted when it was counted, so its order gets it even if the coupon was
        // paused since; refusing now would leave the use counted for nothing. A use given
        // back with no order stored under the token (the orphan sweep) is counted again, under
        // the coupon's rules of now.
        if redemptions::find(db, code, &key)
            .await?
            .is_some_and(|r| r.is_counted())
        {
            return Ok(Ok(coupon));
        }
        if let Err(refusal) = coupon.check(customer, tier, subtotal, now_ms(), true) {
            return Ok(Err(refusal));
        }
        if coupon.per_customer_limit.is_some() && !coupon.per_customer.contains_key(&mine) {
            // The customer's counter must exist for `$lt` to match it.
            documents(db)
                .update_one(
                    doc! { "_id": code, format!("perCustomer.{mine}"): { "$exists": false } },
                    doc! { "$set": { format!("perCustomer.{mine}"): 0_i64 } },
                )
                .await?;
        }
        let filter = count_filter(&coupon, &key, &mine);
        let marker = Marker {
            by: redemptions::attempt(),
            customer_id: customer.to_owned(),
            token: token.to_owned(),
            at_ms: now_ms(),
        };
        let marker_doc = bson::to_document(&marker).map_err(ApiError::internal)?;
        let counted = documents(db)
            .update_one(
                filter,
                doc! {
                    "$set": { format!("{}.{key}", redemptions::COUNTING): marker_doc },
                    "$inc": { "used": 1_i64, format!("perCustomer.{mine}"): 1_i64 },
                },
            )
            .await?;
        if counted.matched_count == 1 {
            redemptions::record(db, code, &key, &marker).await?;
            tracing::info!(coupon = code, "coupon use counted");
            return Ok(Ok(coupon));
        }
        // Another use, an edit or this token's own twin came first: decide again on what is
        // stored now.
    }
    Err(ApiError::Conflict(
        "the coupon kept changing; retry".to_owned(),
    ))
}

/// What a use counted now needs of the coupon as it was read: active, the same rules, no step
/// under way on this key, a use left in all and for this customer (`mine`).
fn count_filter(coupon: &Coupon, key: &str, mine: &str) -> Document {
    let mut filter = doc! {
        "_id": &coupon.code,
        "state": state_of(true),
        "rulesVersion": coupon.rules_version,
        format!("{}.{key}", redemptions::COUNTING): { "$exists": false },
        format!("{}.{key}", redemptions::GIVING_BACK): { "$exists": false },
    };
    if let Some(limit) = coupon.usage_limit {
        filter.insert("used", doc! { "$lt": limit });
    }
    if let Some(limit) = coupon.per_customer_limit {
        filter.insert(format!("perCustomer.{mine}"), doc! { "$lt": limit });
    }
    filter
}

/// Gives back the use of `code` counted for the order with request key `token`, once:
/// `false` when there is none to give (never counted, given back already, coupon deleted).
#[tracing::instrument(skip(db))]
pub async fn give_back(db: &Database, code: &str, token: &str) -> Result<bool, ApiError> {
    let key = redemption_key(token);
    for _ in 0..8 {
        let Some(coupon) = get(db, code).await? else {
            return Ok(false);
        };
        if redemptions::settle_key(db, &coupon, &key).await? {
            continue;
        }
        let Some(redemption) = redemptions::find(db, code, &key).await? else {
            return Ok(false);
        };
        if !redemption.is_counted() {
            return Ok(false);
        }
        let marker = Marker {
            by: redemptions::attempt(),
            customer_id: redemption.customer_id,
            token: token.to_owned(),
            at_ms: now_ms(),
        };
        let marker_doc = bson::to_document(&marker).map_err(ApiError::internal)?;
        let begun = documents(db)
            .update_one(
                doc! {
                    "_id": code,
                    format!("{}.{key}", redemptions::COUNTING): { "$exists": false },
                    format!("{}.{key}", redemptions::GIVING_BACK): { "$exists": false },
                },
                doc! { "$set": { format!("{}.{key}", redemptions::GIVING_BACK): marker_doc } },
            )
            .await?;
        if begun.matched_count == 1 {
            return redemptions::finish_give_back(db, code, &key, &marker).await;
        }
    }
    Err(ApiError::Conflict(
        "the coupon kept changing; retry".to_owned(),
    ))
}

/// A counted use not given back: the coupon, the redemption's key and the use.
#[derive(Debug, Clone)]
pub struct Open {
    /// The coupon's code.
    pub code: String,
    /// The order's request key (the checkout token).
    pub token: String,
    /// Who used it.
    pub customer_id: String,
    /// When it was counted (epoch milliseconds).
    pub at_ms: i64,
}

/// Every use counted before `before_ms` and not given back, oldest first: the candidates of
/// the orphan sweep. Every coupon is settled first (a count or a giving back left half-way,
/// redemptions an older version kept on the coupon), so none is missed.
pub async fn orphans(db: &Database, before_ms: i64) -> Result<Vec<Open>, ApiError> {
    let all: Vec<Coupon> = coupons(db).find(rules::live()).await?.try_collect().await?;
    for coupon in &all {
        redemptions::settle(db, coupon).await?;
    }
    Ok(redemptions::open_before(db, before_ms)
        .await?
        .into_iter()
        .filter(|r| all.iter().any(|c| c.code == r.code))
        .map(|r| Open {
            code: r.code,
            token: r.token,
            customer_id: r.customer_id,
            at_ms: r.at_ms,
        })
        .collect())
}
