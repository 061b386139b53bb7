//! The `customers` collection. Each document also holds `emailSkeleton`, the confusable
//! skeleton of its email (`domain::email::skeleton`), under a unique index: a look-alike of an
//! existing address is refused by the same insert that would store it, so two racing sign-ups
//! cannot both get in.

use bson::{Document, doc, oid::ObjectId};
use chrono::Utc;
use mongodb::{Collection, Database, IndexModel, options::IndexOptions};
use shared::{ApiError, auth::Role, events::Envelope, outbox};

use crate::domain::{Customer, email::skeleton};

/// The collection name.
pub const COLLECTION: &str = "customers";

fn collection(db: &Database) -> Collection<Customer> {
    db.collection(COLLECTION)
}

/// The field holding the email's confusable skeleton.
const SKELETON: &str = "emailSkeleton";

/// Unique emails and unique email skeletons; accounts stored before skeletons were are given
/// theirs. The skeleton index is sparse so that those accounts do not collide as missing
/// values meanwhile.
pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let unique = IndexOptions::builder().unique(true).build();
    let index = IndexModel::builder()
        .keys(doc! { "email": 1 })
        .options(unique)
        .build();
    collection(db).create_index(index).await?;
    let sparse = IndexOptions::builder().unique(true).sparse(true).build();
    let index = IndexModel::builder()
        .keys(doc! { SKELETON: 1 })
        .options(sparse)
        .build();
    collection(db).create_index(index).await?;
    backfill_skeletons(db).await
}

/// Gives every account without a skeleton its own. Two existing look-alikes keep working (the
/// second is logged and left without one); only new sign-ups are refused.
async fn backfill_skeletons(db: &Database) -> Result<(), mongodb::error::Error> {
    use futures::TryStreamExt;
    let documents = db.collection::<Document>(COLLECTION);
    let mut missing = documents
        .find(doc! { SKELETON: { "$exists": false } })
        .projection(doc! { "email": 1 })
        .await?;
    while let Some(found) = missing.try_next().await? {
        let (Ok(id), Ok(email)) = (found.get_object_id("_id"), found.get_str("email")) else {
            continue;
        };
        let set = doc! { "$set": { SKELETON: skeleton(email) } };
        match documents.update_one(doc! { "_id": id }, set).await {
            Ok(_) => {}
            Err(e) if shared::store::is_duplicate_key(&e) => {
                tracing::warn!(customer.id = %id, "existing account looks like another; left without a skeleton");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Inserts a new customer together with its events; 409 when the email is taken.
#[tracing::instrument(skip_all)]
pub async fn insert(
    db: &Database,
    customer: &Customer,
    events: &[Envelope],
) -> Result<(), ApiError> {
    let mut document = bson::to_document(customer).map_err(ApiError::internal)?;
    document.insert(SKELETON, skeleton(&customer.email));
    document.extend(outbox::initial(events).map_err(ApiError::internal)?);
    match db
        .collection::<Document>(COLLECTION)
        .insert_one(document)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if shared::store::is_duplicate_key(&e) => Err(ApiError::Conflict(
            "an account with this email, or one that looks the same, already exists".to_owned(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The customer with `email`, if any.
pub async fn by_email(db: &Database, email: &str) -> Result<Option<Customer>, ApiError> {
    Ok(collection(db).find_one(doc! { "email": email }).await?)
}

/// The customer with `id`, if any.
pub async fn by_id(db: &Database, id: ObjectId) -> Result<Option<Customer>, ApiError> {
    Ok(collection(db).find_one(doc! { "_id": id }).await?)
}

/// Every admin and super admin whose account is neither disabled nor erased, by name.
pub async fn staff(db: &Database) -> Result<Vec<Customer>, ApiError> {
    use futures::TryStreamExt;
    let roles: Vec<bson::Bson> = [Role::Admin, Role::SuperAdmin]
        .iter()
        .map(|r| bson::to_bson(r).map_err(ApiError::internal))
        .collect::<Result<_, _>>()?;
    let mut found: Vec<Customer> = collection(db)
        .find(doc! { "role": { "$in": roles } })
        .await?
        .try_collect()
        .await?;
    // Filtered here rather than in the query: both fields are written by `$set` and read
    // tolerantly (the stand-in may keep them in another type).
    found.retain(|c| c.disabled_at.is_none() && c.erased_at.is_none());
    found.sort_by(|a, b| a.name.cmp(&b.name).then(a.email.cmp(&b.email)));
    Ok(found)
}

/// One page of customers, newest first, and the total.
pub async fn page(db: &Database, page: u64, limit: u64) -> Result<(Vec<Customer>, u64), ApiError> {
    use futures::TryStreamExt;
    let total = collection(db).count_documents(doc! {}).await?;
    let found = collection(db)
        .find(doc! {})
        .sort(doc! { "createdAt": -1, "_id": -1 })
        .skip((page - 1) * limit)
        .limit(i64::try_from(limit).unwrap_or(100))
        .await?
        .try_collect()
        .await?;
    Ok((found, total))
}

/// What `PATCH /customers/:id` may change here (its `address` goes through the address
/// book: `super::addresses`).
#[derive(Debug, Default)]
pub struct Changes {
    /// New name.
    pub name: Option<String>,
    /// New phone; `Some(None)` clears it.
    pub phone: Option<Option<String>>,
}

/// Applies `changes` and returns the customer after them; `None` when there is no such id.
pub async fn update(
    db: &Database,
    id: ObjectId,
    changes: Changes,
) -> Result<Option<Customer>, ApiError> {
    let mut set = doc! { "updatedAt": bson::DateTime::from_chrono(Utc::now()) };
    if let Some(name) = changes.name {
        set.insert("name", name);
    }
    if let Some(phone) = changes.phone {
        set.insert("phone", phone);
    }
    Ok(collection(db)
        .find_one_and_update(doc! { "_id": id }, doc! { "$set": set })
        .return_document(mongodb::options::ReturnDocument::After)
        .await?)
}

/// Sets the password hash of the account with `email`.
pub async fn set_password_hash(db: &Database, email: &str, hash: &str) -> Result<(), ApiError> {
    collection(db)
        .update_one(
            doc! { "email": email },
            doc! { "$set": { "passwordHash": hash, "updatedAt": bson::DateTime::from_chrono(Utc::now()) } },
        )
        .await?;
    Ok(())
}

/// Queues `events` in the outbox of the account with `email`; whether there is one.
pub async fn stage_events(
    db: &Database,
    email: &str,
    events: &[Envelope],
) -> Result<bool, ApiError> {
    let mut update = Document::new();
    outbox::stage(&mut update, events).map_err(ApiError::internal)?;
    let result = db
        .collection::<Document>(COLLECTION)
        .update_one(doc! { "email": email }, update)
        .await?;
    Ok(result.matched_count > 0)
}

/// The name an erased account keeps.
pub const ERASED_NAME: &str = "Deleted customer";

/// The email an erased account keeps: unique, and at a domain that cannot exist (`.invalid`).
pub fn erased_email(id: ObjectId) -> String {
    format!("erased-{}@erased.invalid", id.to_hex())
}

/// Erases account `id` in one write with `events`: name and email replaced, the password
/// replaced by `password_hash` (of a secret no one knows), and phone, address book, saved cards
/// and loyalty removed; the address book, cards and loyalty versions moved on, so a change read
/// before the erasure cannot be written after it. `false` when there is no such account or it is
/// erased already.
pub async fn erase(
    db: &Database,
    id: ObjectId,
    password_hash: &str,
    events: &[Envelope],
) -> Result<bool, ApiError> {
    let now = bson::DateTime::from_chrono(Utc::now());
    let mut update = doc! {
        "$set": {
            "name": ERASED_NAME,
            "email": erased_email(id),
            "passwordHash": password_hash,
            "erasedAt": now,
            "updatedAt": now,
        },
        "$unset": {
            SKELETON: "",
            "phone": "",
            "address": "",
            "addresses": "",
            "defaultAddressId": "",
            "paymentMethods": "",
            "defaultPaymentMethodId": "",
            "loyalty": "",
        },
        "$inc": { "addressBookVersion": 1, "paymentMethodsVersion": 1, "loyaltyVersion": 1 },
    };
    outbox::stage(&mut update, events).map_err(ApiError::internal)?;
    let result = db
        .collection::<Document>(COLLECTION)
        .update_one(doc! { "_id": id, "erasedAt": { "$exists": false } }, update)
        .await?;
    Ok(result.modified_count == 1)
}

/// Makes the account with `email` (the `ADMIN_EMAIL` one) the super admin, enabled.
pub async fn make_owner(db: &Database, email: &str) -> Result<(), ApiError> {
    let now = bson::DateTime::from_chrono(Utc::now());
    db.collection::<Document>(COLLECTION)
        .update_one(
            doc! { "email": email, "$or": [
                { "role": { "$ne": Role::SuperAdmin.as_str() } },
                { "disabledAt": { "$exists": true } },
            ] },
            doc! {
                "$set": { "role": Role::SuperAdmin.as_str(), "updatedAt": now },
                "$unset": { "disabledAt": "" },
            },
        )
        .await?;
    Ok(())
}

/// Changes the role of `id` from `from` to `to`, with `events` queued in the same write;
/// `false` when the account is erased or its role is no longer `from`.
pub async fn set_role(
    db: &Database,
    id: ObjectId,
    from: Role,
    to: Role,
    events: &[Envelope],
) -> Result<bool, ApiError> {
    let now = bson::DateTime::from_chrono(Utc::now());
    let mut update = doc! { "$set": { "role": to.as_str(), "updatedAt": now } };
    outbox::stage(&mut update, events).map_err(ApiError::internal)?;
    let result = db
        .collection::<Document>(COLLECTION)
        .update_one(
            doc! { "_id": id, "role": from.as_str(), "erasedAt": { "$exists": false } },
            update,
        )
        .await?;
    Ok(result.modified_count == 1)
}

/// Disables `id` (`Some(when)`) or enables it (`None`), with `events` queued in the same
/// write; `false` when it was so already, is erased, or is the super admin's.
pub async fn set_disabled(
    db: &Database,
    id: ObjectId,
    disabled: Option<chrono::DateTime<Utc>>,
    events: &[Envelope],
) -> Result<bool, ApiError> {
    let now = bson::DateTime::from_chrono(Utc::now());
    let mut update = match disabled {
        Some(at) => doc! { "$set": {
            "disabledAt": bson::DateTime::from_chrono(at),
            "updatedAt": now,
        } },
        None => doc! { "$set": { "updatedAt": now }, "$unset": { "disabledAt": "" } },
    };
    outbox::stage(&mut update, events).map_err(ApiError::internal)?;
    let result = db
        .collection::<Document>(COLLECTION)
        .update_one(
            doc! {
                "_id": id,
                "role": { "$ne": Role::SuperAdmin.as_str() },
                "erasedAt": { "$exists": false },
                "disabledAt": { "$exists": disabled.is_none() },
            },
            update,
        )
        .await?;
    Ok(result.modified_count == 1)
}
