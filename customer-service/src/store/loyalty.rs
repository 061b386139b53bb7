//! The loyalty account, kept inside the customer's document as `loyalty` (points, lifetime
//! points, history) with `loyaltyVersion`. A credit rewrites the account, stages
//! `loyalty.changed` in the same document's outbox, and is guarded by the version (see
//! [`super::guard`]): the history names each credited order, so the write that credits an
//! order is also the inbox entry that stops it being credited again, whichever event (a
//! redelivery, or a second event saying the same order was delivered) brings it.

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
    let found = db
        .collection::<Document>(COLLECTION)
        .find_one(doc! { "_id": customer })
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
    /// When it was delivered.
    pub at: DateTime<Utc>,
    /// The request id of the event that said so.
    pub correlation_id: &'a str,
}

/// Credits `delivery` once: the account after the credit, or `None` when the order was
/// credited before or the customer does not exist.
#[tracing::instrument(skip(db))]
pub async fn credit(db: &Database, delivery: &Delivery<'_>) -> Result<Option<Account>, ApiError> {
    let customers = db.collection::<Document>(COLLECTION);
    for _ in 0..guard::ATTEMPTS {
        let Some((mut account, version)) = read(db, delivery.customer).await? else {
            tracing::warn!(customer.id = %delivery.customer, "points for an unknown customer dropped");
            return Ok(None);
        };
        if !account.credit_delivery(delivery.order, delivery.points, delivery.at) {
            return Ok(None);
        }
        let event = Envelope::new(
            keys::LOYALTY_CHANGED,
            crate::DEFAULTS.name,
            delivery.correlation_id,
            serde_json::json!({
                "customerId": delivery.customer.to_hex(),
                "points": account.points,
                "lifetimePoints": account.lifetime_points,
                "tier": tier_of(account.lifetime_points).name,
            }),
        );
        let mut update = doc! { "$set": {
            ACCOUNT: bson::to_bson(&account).map_err(ApiError::internal)?,
            VERSION: guard::next(version.as_ref()),
        } };
        outbox::stage(&mut update, &[event]).map_err(ApiError::internal)?;
        let written = customers
            .update_one(
                guard::unchanged(delivery.customer, VERSION, version.as_ref()),
                update,
            )
            .await?;
        if written.matched_count == 1 {
            return Ok(Some(account));
        }
    }
    Err(ApiError::Conflict(
        "the loyalty account kept changing while points were credited".to_owned(),
    ))
}
