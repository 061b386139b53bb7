//! The loyalty account, kept inside the customer's document as `loyalty` (points, held points,
//! lifetime points, history, holds) with `loyaltyVersion`. Every change ([`change`]) rewrites
//! the account, stages `loyalty.changed` in the same document's outbox, and is guarded by the
//! version (see [`super::guard`]): the history names each credited order, refund and
//! adjustment and the holds keep their state, so the write that makes a move is also the
//! inbox entry that stops it being made again, whichever event (a redelivery, or a second
//! event saying the same thing) brings it.

use bson::{Bson, Document, doc, oid::ObjectId};
use chrono::{DateTime, Utc};
use mongodb::Database;
use shared::{
    ApiError,
    events::{Envelope, keys},
    outbox,
};

use super::{customers::COLLECTION, guard};
use crate::domain::loyalty::{Account, tier_of};

const ACCOUNT: &str = "loyalty";
const VERSION: &str = "loyaltyVersion";

async fn read(
    db: &Database,
    customer: ObjectId,
) -> Result<Option<(Account, Option<Bson>)>, ApiError> {
    // An erased account has no loyalty account any more, and gets none (points an order
    // earns after the erasure are dropped like those of an unknown customer).
    let found = db
        .collection::<Document>(COLLECTION)
        .find_one(doc! { "_id": customer, "erasedAt": { "$exists": false } })
        .projection(doc! { ACCOUNT: 1, VERSION: 1 })
        .await?;
    let Some(found) = found else {
        return Ok(None);
    };
    let account = match found.get_document(ACCOUNT) {
        Ok(account) => bson::from_document(account.clone()).map_err(ApiError::internal)?,
        Err(_) => Account::default(),
    };
    Ok(Some((account, found.get(VERSION).cloned())))
}

/// The customer's account (empty before the first point); 404 when there is no such customer.
#[tracing::instrument(skip(db))]
pub async fn get(db: &Database, customer: ObjectId) -> Result<Account, ApiError> {
    read(db, customer)
        .await?
        .map(|(account, _)| account)
        .ok_or_else(|| ApiError::NotFound("no such customer".to_owned()))
}

/// A delivered order to credit.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    /// The customer.
    pub customer: ObjectId,
    /// The order, as its id's text.
    pub order: &'a str,
    /// Points it earns.
    pub points: i64,
    /// What it charged, when known (a refund takes back its share of the points).
    pub paid: Option<shared::Money>,
    /// When it was delivered.
    pub at: DateTime<Utc>,
    /// The request id of the event that said so.
    pub correlation_id: &'a str,
}

/// Credits `delivery` once: the account after the credit, or `None` when the order was
/// credited before or the customer does not exist.
#[tracing::instrument(skip(db))]
pub async fn credit(db: &Database, delivery: &Delivery<'_>) -> Result<Option<Account>, ApiError> {
    // `change` reads the account (and finds an unknown customer) itself: no read before it.
    let changed = change(db, delivery.customer, delivery.correlation_id, |account| {
        let new =
            account.credit_delivery(delivery.order, delivery.points, delivery.paid, delivery.at);
        Ok(if new {
            Change::Write(())
        } else {
            Change::Keep(())
        })
    })
    .await?;
    Ok(match changed {
        Some((account, Change::Write(()))) => Some(account),
        Some((_, Change::Keep(()))) => None,
        None => {
            tracing::warn!(customer.id = %delivery.customer, "points for an unknown customer dropped");
            None
        }
    })
}

/// What a change of the account decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change<T> {
    /// The account changed: store it (with a `loyalty.changed`).
    Write(T),
    /// Nothing to store (the move was made before, or there is nothing to move).
    Keep(T),
}

/// Applies `apply` to the customer's account and stores the result with a `loyalty.changed`
/// in the same write, guarded by the account's version: re-read and re-applied when another
/// write got in first, so a condition `apply` checks (enough points to hold) holds at the
/// moment of the write and the balance never goes below zero under concurrent changes. An
/// error of `apply` writes nothing. `None` when there is no such customer.
#[tracing::instrument(skip(db, apply))]
pub async fn change<T>(
    db: &Database,
    customer: ObjectId,
    correlation_id: &str,
    apply: impl Fn(&mut Account) -> Result<Change<T>, ApiError>,
) -> Result<Option<(Account, Change<T>)>, ApiError> {
    let customers = db.collection::<Document>(COLLECTION);
    for _ in 0..guard::ATTEMPTS {
        let Some((mut account, version)) = read(db, customer).await? else {
            // Every order's status changes come here; most have no points to move.
            tracing::debug!(customer.id = %customer, "no such customer: no points moved");
            return Ok(None);
        };
        let before = tier_of(account.lifetime_points).name;
        let decided = apply(&mut account)?;
        if let Change::Keep(_) = decided {
            return Ok(Some((account, decided)));
        }
        let event = Envelope::new(
            keys::LOYALTY_CHANGED,
            crate::DEFAULTS.name,
            correlation_id,
            changed(customer, &account, before),
        );
        let mut update = doc! { "$set": {
            ACCOUNT: bson::to_bson(&account).map_err(ApiError::internal)?,
            VERSION: guard::next(version.as_ref()),
        } };
        outbox::stage(&mut update, &[event]).map_err(ApiError::internal)?;
        let written = customers
            .update_one(
                guard::unchanged(customer, VERSION, version.as_ref()),
                update,
            )
            .await?;
        if written.matched_count == 1 {
            return Ok(Some((account, decided)));
        }
    }
    Err(ApiError::Conflict(
        "the loyalty account kept changing; try again".to_owned(),
    ))
}

/// `loyalty.changed`: the balance after the change, the tier before and after, and the
/// movement that made it (the newest history entry).
fn changed(customer: ObjectId, account: &Account, tier_before: &str) -> serde_json::Value {
    serde_json::json!({
        "customerId": customer.to_hex(),
        "points": account.points,
        "held": account.held,
        "lifetimePoints": account.lifetime_points,
        "tier": tier_of(account.lifetime_points).name,
        "previousTier": tier_before,
        "change": account.history.last(),
    })
}
