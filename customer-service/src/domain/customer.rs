//! The stored customer, and how it becomes the view that leaves the service.

use bson::oid::ObjectId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::auth::Role;

use super::Address;

/// A customer as stored in the `customers` collection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    /// Id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Display name.
    pub name: String,
    /// Normalised, unique.
    pub email: String,
    /// argon2id PHC string; never leaves the service.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Phone, if given.
    #[serde(default)]
    pub phone: Option<String>,
    /// Address, if given.
    #[serde(default)]
    pub address: Option<Address>,
    /// When the account was made.
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
    /// Last change (written by `$set`, so read tolerantly: see [`shared::store::compat`]).
    #[serde(
        serialize_with = "bson::serde_helpers::chrono_datetime_as_bson_datetime::serialize",
        deserialize_with = "shared::store::compat::date"
    )]
    pub updated_at: DateTime<Utc>,
    /// When the customer erased the account (`DELETE /customers/me`): from then on it holds no
    /// personal data and no one can sign in to it. Written by `$set` (read tolerantly, like
    /// `updated_at`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "bson::serde_helpers::chrono_datetime_as_bson_datetime_optional::serialize",
        deserialize_with = "shared::store::compat::optional_date"
    )]
    pub erased_at: Option<DateTime<Utc>>,
    /// When the super admin disabled the account: no one signs in to it until it is enabled
    /// again, and its sessions ended when it was disabled. Written by `$set` (read tolerantly).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "bson::serde_helpers::chrono_datetime_as_bson_datetime_optional::serialize",
        deserialize_with = "shared::store::compat::optional_date"
    )]
    pub disabled_at: Option<DateTime<Utc>>,
}

/// What callers see (the contract's `Customer`): no hash, the id as a plain string.
pub use shared::api::customers::Customer as CustomerView;

impl From<&Customer> for CustomerView {
    fn from(c: &Customer) -> Self {
        Self {
            id: c.id.to_hex(),
            name: c.name.clone(),
            email: c.email.clone(),
            role: c.role,
            phone: c.phone.clone(),
            address: c.address.clone(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            disabled: c.disabled_at.is_some(),
        }
    }
}
