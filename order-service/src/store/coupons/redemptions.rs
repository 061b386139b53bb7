//! The `coupon_redemptions` collection, and the steps that finish a use's counting or giving
//! back wherever an earlier attempt stopped (see the parent module for the protocol).
//!
//! ```text
//! { _id: "<CODE>/r<sha256 of the token>", code, customerId, token, atMs,
//!   state: counted|returned, countedBy: <attempt>, returnedBy?: <attempt>, returnedAtMs? }
//! ```

use bson::{Document, doc};
use futures::TryStreamExt;
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use shared::{ApiError, store::is_duplicate_key};

use super::{documents, now_ms};
use crate::domain::coupon::{Coupon, Marker, customer_key};

/// The collection name.
pub const COLLECTION: &str = "coupon_redemptions";
/// The coupon's map of uses being counted.
pub const COUNTING: &str = "counting";
/// The coupon's map of uses being given back.
pub const GIVING_BACK: &str = "givingBack";
/// The `countedBy` of a redemption moved here from a coupon document.
const LEGACY: &str = "legacy";
/// How often a step is tried again when another attempt changed the same redemption.
const ROUNDS: usize = 8;

const COUNTED: &str = "counted";
const RETURNED: &str = "returned";

/// One use of a coupon by one order's request key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stored {
    /// `<code>/<key>`.
    #[serde(rename = "_id")]
    pub id: String,
    /// The coupon's code.
    pub code: String,
    /// Who used it.
    pub customer_id: String,
    /// The order's request key (the checkout token).
    pub token: String,
    /// When it was counted (epoch milliseconds).
    pub at_ms: i64,
    /// `counted` or `returned`.
    pub state: String,
    /// The attempt whose count this is.
    pub counted_by: String,
    /// The attempt that gave it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned_by: Option<String>,
    /// When it was given back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned_at_ms: Option<i64>,
}

impl Stored {
    /// Whether the use is counted now.
    pub fn is_counted(&self) -> bool {
        self.state == COUNTED
    }
}

fn redemptions(db: &Database) -> Collection<Stored> {
    db.collection(COLLECTION)
}

/// The `_id` of the redemption of `code` under `key`.
pub fn id_of(code: &str, key: &str) -> String {
    format!("{code}/{key}")
}

/// A random attempt token.
pub fn attempt() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The sweep's query: counted uses by age.
pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let index = IndexModel::builder()
        .keys(doc! { "state": 1, "atMs": 1 })
        .build();
    redemptions(db).create_index(index).await?;
    Ok(())
}

/// The redemption of `code` under `key`, if any.
pub async fn find(db: &Database, code: &str, key: &str) -> Result<Option<Stored>, ApiError> {
    Ok(redemptions(db)
        .find_one(doc! { "_id": id_of(code, key) })
        .await?)
}

/// Every use counted before `before_ms` and not given back, oldest first.
pub async fn open_before(db: &Database, before_ms: i64) -> Result<Vec<Stored>, ApiError> {
    Ok(redemptions(db)
        .find(doc! { "state": COUNTED, "atMs": { "$lt": before_ms } })
        .sort(doc! { "atMs": 1 })
        .await?
        .try_collect()
        .await?)
}

/// Forgets every redemption of `code` (the coupon is deleted: a coupon made later under the
/// same code starts with none).
pub async fn forget(db: &Database, code: &str) -> Result<(), ApiError> {
    redemptions(db).delete_many(doc! { "code": code }).await?;
    Ok(())
}

fn marker_path(map: &str, key: &str) -> String {
    format!("{map}.{key}")
}

/// The coupon's update that takes `marker`'s count back (a duplicate) and clears it.
fn uncount(key: &str, marker: &Marker) -> Document {
    doc! {
        "$unset": { marker_path(COUNTING, key): "" },
        "$inc": { "used": -1_i64, format!("perCustomer.{}", customer_key(&marker.customer_id)): -1_i64 },
    }
}

/// Clears the marker `map.key` if it is still `marker`'s, applying `update` with it.
async fn clear(
    db: &Database,
    code: &str,
    map: &str,
    key: &str,
    marker: &Marker,
    update: Document,
) -> Result<bool, ApiError> {
    let result = documents(db)
        .update_one(
            doc! { "_id": code, format!("{}.by", marker_path(map, key)): &marker.by },
            update,
        )
        .await?;
    Ok(result.matched_count == 1)
}

/// Records the use counted by `marker` (a count whose `counting` marker is on the coupon) and
/// clears the marker. Whoever calls it (the counting attempt, or any later reader finding the
/// marker of one that stopped) does the same: the redemption written is `marker`'s. A use of
/// the same key recorded by another count meanwhile makes this count a duplicate, taken back
/// as the marker is cleared; a given-back one is counted again, by this count.
pub async fn record(db: &Database, code: &str, key: &str, marker: &Marker) -> Result<(), ApiError> {
    let id = id_of(code, key);
    let fresh = Stored {
        id: id.clone(),
        code: code.to_owned(),
        customer_id: marker.customer_id.clone(),
        token: marker.token.clone(),
        at_ms: marker.at_ms,
        state: COUNTED.to_owned(),
        counted_by: marker.by.clone(),
        returned_by: None,
        returned_at_ms: None,
    };
    let mut recorded = false;
    for _ in 0..ROUNDS {
        let found = match redemptions(db).insert_one(&fresh).await {
            Ok(_) => {
                recorded = true;
                break;
            }
            Err(e) if is_duplicate_key(&e) => find(db, code, key).await?,
            Err(e) => return Err(e.into()),
        };
        let Some(found) = found else { continue };
        if found.counted_by == marker.by {
            recorded = true;
            break;
        }
        if found.is_counted() {
            clear(db, code, COUNTING, key, marker, uncount(key, marker)).await?;
            return Ok(());
        }
        let recount = redemptions(db)
            .update_one(
                doc! { "_id": &id, "state": RETURNED, "countedBy": &found.counted_by },
                doc! {
                    "$set": { "state": COUNTED, "countedBy": &marker.by,
                              "customerId": &marker.customer_id, "token": &marker.token,
                              "atMs": marker.at_ms },
                    "$unset": { "returnedBy": "", "returnedAtMs": "" },
                },
            )
            .await?;
        if recount.matched_count == 1 {
            recorded = true;
            break;
        }
    }
    if !recorded {
        // The marker stays: the next reader of this key finishes the count.
        return Err(ApiError::Conflict(
            "the coupon use kept changing; retry".to_owned(),
        ));
    }
    let unset = doc! { "$unset": { marker_path(COUNTING, key): "" } };
    clear(db, code, COUNTING, key, marker, unset).await?;
    Ok(())
}

/// Finishes the giving back begun by `marker` (a `givingBack` marker on the coupon): marks the
/// redemption returned by it if it is still counted, then clears the marker, uncounting the
/// use in the same write when the redemption was returned by `marker`. `true` when the use
/// went back under `marker`, whichever call's write cleared it.
pub async fn finish_give_back(
    db: &Database,
    code: &str,
    key: &str,
    marker: &Marker,
) -> Result<bool, ApiError> {
    let id = id_of(code, key);
    redemptions(db)
        .update_one(
            doc! { "_id": &id, "state": COUNTED },
            doc! { "$set": { "state": RETURNED, "returnedBy": &marker.by, "returnedAtMs": now_ms() } },
        )
        .await?;
    let returned_by_marker = find(db, code, key)
        .await?
        .is_some_and(|r| !r.is_counted() && r.returned_by.as_deref() == Some(marker.by.as_str()));
    let mut update = doc! { "$unset": { marker_path(GIVING_BACK, key): "" } };
    if returned_by_marker {
        let mine = customer_key(&marker.customer_id);
        update.insert(
            "$inc",
            doc! { "used": -1_i64, format!("perCustomer.{mine}"): -1_i64 },
        );
    }
    clear(db, code, GIVING_BACK, key, marker, update).await?;
    // The use went back under this marker, once: the clear is guarded by the marker, so only
    // one of the calls that finish it (its own attempt, or a reader that found it first and
    // finished it for the attempt) takes the count down. The attempt's answer does not depend
    // on which one that was; a reader finishing another's marker ignores it.
    Ok(returned_by_marker)
}

/// Moves the redemption `key` that an older version kept on `coupon` into the collection.
async fn move_legacy(db: &Database, coupon: &Coupon, key: &str) -> Result<(), ApiError> {
    let Some(old) = coupon.redemptions.get(key) else {
        return Ok(());
    };
    let moved = Stored {
        id: id_of(&coupon.code, key),
        code: coupon.code.clone(),
        customer_id: old.customer_id.clone(),
        token: old.token.clone(),
        at_ms: old.at_ms,
        state: if old.returned_at_ms.is_some() {
            RETURNED
        } else {
            COUNTED
        }
        .to_owned(),
        counted_by: LEGACY.to_owned(),
        returned_by: old.returned_at_ms.map(|_| LEGACY.to_owned()),
        returned_at_ms: old.returned_at_ms,
    };
    match redemptions(db).insert_one(&moved).await {
        Ok(_) => {}
        Err(e) if is_duplicate_key(&e) => {}
        Err(e) => return Err(e.into()),
    }
    documents(db)
        .update_one(
            doc! { "_id": &coupon.code },
            doc! { "$unset": { format!("redemptions.{key}"): "" } },
        )
        .await?;
    Ok(())
}

/// Finishes whatever is under way or left over on `coupon` for `key` (an older version's
/// redemption, a count or a giving back an attempt began); `true` if there was something, so
/// the caller reads the coupon again.
pub async fn settle_key(db: &Database, coupon: &Coupon, key: &str) -> Result<bool, ApiError> {
    let mut settled = false;
    if coupon.redemptions.contains_key(key) {
        move_legacy(db, coupon, key).await?;
        settled = true;
    }
    if let Some(marker) = coupon.counting.get(key) {
        record(db, &coupon.code, key, marker).await?;
        settled = true;
    }
    if let Some(marker) = coupon.giving_back.get(key) {
        finish_give_back(db, &coupon.code, key, marker).await?;
        settled = true;
    }
    Ok(settled)
}

/// [`settle_key`] for every key of `coupon` that has something to finish.
pub async fn settle(db: &Database, coupon: &Coupon) -> Result<(), ApiError> {
    let keys: std::collections::BTreeSet<&String> = coupon
        .redemptions
        .keys()
        .chain(coupon.counting.keys())
        .chain(coupon.giving_back.keys())
        .collect();
    for key in keys {
        settle_key(db, coupon, key).await?;
    }
    Ok(())
}
