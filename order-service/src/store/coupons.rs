//! The `coupons` collection: one document per coupon, `_id` its upper-cased code (so a code is
//! unique without regard to case by the primary key), holding its rules, its use counters and
//! every redemption, so that counting a use is one conditional single-document write.
//!
//! ```text
//! { _id: "WELCOME10", kind, value, minSubtotalCents?, ..., state: active|paused, rulesVersion,
//!   used: <uses counted>, perCustomer: { "c<customer>": n },
//!   redemptions: { "r<sha256 of the order's request key>": { customerId, token, atMs,
//!                                                              returnedAtMs? } } }
//! ```
//! [`redeem`] adds the redemption of a checkout token and counts it (`used`, the customer's
//! count) in the same update, whose filter holds the limits and that the token has no
//! redemption yet: N checkouts at once against k uses left, exactly k writes match. A second
//! redeem with the same token finds its redemption and counts nothing. [`give_back`] marks a
//! redemption returned and uncounts it, only if it is not returned yet: once, however often
//! it is asked. The key is a hash because a request key holds the client's `Idempotency-Key`,
//! which may contain `.` or `$`.

use bson::{Bson, Document, doc};
use futures::TryStreamExt;
use mongodb::{Collection, Database, options::ReturnDocument};
use sha2::{Digest, Sha256};
use shared::ApiError;

use crate::domain::Money;
use crate::domain::coupon::{Coupon, Refusal, Tier, customer_key, state_of};

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

/// Adds `coupon`; 409 when its code exists (in any case).
#[tracing::instrument(skip_all, fields(coupon = %coupon.code))]
pub async fn insert(db: &Database, coupon: &Coupon) -> Result<(), ApiError> {
    match coupons(db).insert_one(coupon).await {
        Ok(_) => Ok(()),
        Err(e) if shared::store::is_duplicate_key(&e) => Err(ApiError::Conflict(format!(
            "a coupon {} exists already",
            coupon.code
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The coupon `code` (upper-cased), if any.
pub async fn get(db: &Database, code: &str) -> Result<Option<Coupon>, ApiError> {
    Ok(coupons(db).find_one(doc! { "_id": code }).await?)
}

/// Every coupon by code, without the redemptions.
pub async fn list(db: &Database) -> Result<Vec<Coupon>, ApiError> {
    Ok(coupons(db)
        .find(doc! {})
        .projection(doc! { "redemptions": 0, "perCustomer": 0 })
        .sort(doc! { "_id": 1 })
        .await?
        .try_collect()
        .await?)
}

/// Writes the rules of `after` over the coupon as it was read (`before`'s rules version);
/// `false` when another edit came first.
pub async fn replace_rules(
    db: &Database,
    before: &Coupon,
    after: &Coupon,
) -> Result<bool, ApiError> {
    let opt = |v: Option<i64>| v.map_or(Bson::Null, Bson::Int64);
    let result = documents(db)
        .update_one(
            doc! { "_id": &before.code, "rulesVersion": before.rules_version },
            doc! { "$set": {
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
                "rulesVersion": before.rules_version + 1,
            } },
        )
        .await?;
    Ok(result.matched_count == 1)
}

/// Deletes the coupon `code`; `false` when there was none. Orders that used it keep their
/// price; giving a use back to a deleted coupon does nothing.
pub async fn delete(db: &Database, code: &str) -> Result<bool, ApiError> {
    Ok(coupons(db)
        .delete_one(doc! { "_id": code })
        .await?
        .deleted_count
        == 1)
}

/// Counts one use of `code` by `customer` for the order whose request key is `token`, if the
/// coupon still allows it ([`Coupon::check`] at `now`); the coupon as it applies. A token that
/// holds a use already counts nothing more and gets it (a retried or resumed checkout). A refusal (the
/// last use taken by a checkout beside this one, the customer's limit, a pause) counts
/// nothing.
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
        let returned = coupon
            .redemptions
            .get(&key)
            .map(|r| r.returned_at_ms.is_some());
        let swept = match returned {
            // Counted for this token already (a retry, or a checkout resumed after a crash):
            // the use was granted when it was counted, so its order gets it even if the
            // coupon was paused since; refusing now would leave the use counted for nothing.
            Some(false) => return Ok(Ok(coupon)),
            // Given back with no order stored under the token (the orphan sweep; an order
            // that ended is found by its token before a checkout gets here): the checkout
            // came back, so its use is counted again, under the coupon's rules of now.
            Some(true) => true,
            None => false,
        };
        if let Err(refusal) = coupon.check(customer, tier, subtotal, now_ms(), true) {
            return Ok(Err(refusal));
        }
        // The customer's counter must exist for `$lt` to match it.
        documents(db)
            .update_one(
                doc! { "_id": code, format!("perCustomer.{mine}"): { "$exists": false } },
                doc! { "$set": { format!("perCustomer.{mine}"): 0_i64 } },
            )
            .await?;
        let mut filter = doc! {
            "_id": code,
            "state": state_of(true),
            "rulesVersion": coupon.rules_version,
        };
        if swept {
            filter.insert(
                format!("redemptions.{key}.returnedAtMs"),
                doc! { "$exists": true },
            );
        } else {
            filter.insert(format!("redemptions.{key}"), doc! { "$exists": false });
        }
        if let Some(limit) = coupon.usage_limit {
            filter.insert("used", doc! { "$lt": limit });
        }
        if let Some(limit) = coupon.per_customer_limit {
            filter.insert(format!("perCustomer.{mine}"), doc! { "$lt": limit });
        }
        let redemption = doc! { "customerId": customer, "token": token, "atMs": now_ms() };
        let counted = documents(db)
            .find_one_and_update(
                filter,
                doc! {
                    "$set": { format!("redemptions.{key}"): redemption },
                    "$inc": { "used": 1_i64, format!("perCustomer.{mine}"): 1_i64 },
                },
            )
            .return_document(ReturnDocument::After)
            .await?;
        if counted.is_some() {
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

/// Gives back the use of `code` counted for the order with request key `token`, once:
/// `false` when there is none to give (never counted, given back already, coupon deleted).
#[tracing::instrument(skip(db))]
pub async fn give_back(db: &Database, code: &str, token: &str) -> Result<bool, ApiError> {
    let key = redemption_key(token);
    let Some(coupon) = get(db, code).await? else {
        return Ok(false);
    };
    let Some(redemption) = coupon.redemptions.get(&key) else {
        return Ok(false);
    };
    let mine = customer_key(&redemption.customer_id);
    let result = documents(db)
        .update_one(
            doc! {
                "_id": code,
                format!("redemptions.{key}"): { "$exists": true },
                format!("redemptions.{key}.returnedAtMs"): { "$exists": false },
            },
            doc! {
                "$set": { format!("redemptions.{key}.returnedAtMs"): now_ms() },
                "$inc": { "used": -1_i64, format!("perCustomer.{mine}"): -1_i64 },
            },
        )
        .await?;
    Ok(result.modified_count == 1)
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
/// the orphan sweep. (Redemptions are keys of a map, which no query can filter by value on
/// every MongoDB and on the stand-in alike, so the coupons are read and filtered here;
/// coupons are few.)
pub async fn orphans(db: &Database, before_ms: i64) -> Result<Vec<Open>, ApiError> {
    let all: Vec<Coupon> = coupons(db).find(doc! {}).await?.try_collect().await?;
    let mut open: Vec<Open> = all
        .into_iter()
        .flat_map(|coupon| {
            let code = coupon.code.clone();
            coupon
                .redemptions
                .into_values()
                .filter(|r| r.returned_at_ms.is_none() && r.at_ms < before_ms)
                .map(move |r| Open {
                    code: code.clone(),
                    token: r.token,
                    customer_id: r.customer_id,
                    at_ms: r.at_ms,
                })
        })
        .collect();
    open.sort_by_key(|o| o.at_ms);
    Ok(open)
}
