//! Customer bodies: the address every area shares, `PATCH /customers/{id}`, and the saved
//! addresses of `/customers/me/addresses`.

use chrono::{DateTime, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules;

/// A postal address; every part 1 to 200 characters (trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Address {
    /// Street and number.
    #[garde(custom(rules::text(1, 200)))]
    #[schema(min_length = 1, max_length = 200)]
    pub street: String,
    /// City.
    #[garde(custom(rules::text(1, 200)))]
    #[schema(min_length = 1, max_length = 200)]
    pub city: String,
    /// Postal code.
    #[garde(custom(rules::text(1, 200)))]
    #[schema(min_length = 1, max_length = 200)]
    pub zip_code: String,
    /// Country.
    #[garde(custom(rules::text(1, 200)))]
    #[schema(min_length = 1, max_length = 200)]
    pub country: String,
}

impl Address {
    /// The same address with every part trimmed.
    pub fn trimmed(&self) -> Self {
        let trim = |s: &str| s.trim().to_owned();
        Self {
            street: trim(&self.street),
            city: trim(&self.city),
            zip_code: trim(&self.zip_code),
            country: trim(&self.country),
        }
    }
}

/// `PATCH /customers/{id}`: what to change. An absent field stays; `null` clears the phone or
/// the address.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    /// New display name, 1 to 100 characters (trimmed).
    #[garde(inner(custom(rules::text(1, 100))))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// New phone number, or `null` to remove it.
    #[serde(default, deserialize_with = "super::present")]
    #[garde(inner(inner(custom(rules::phone))))]
    #[schema(value_type = Option<String>, nullable, min_length = 5, max_length = 30)]
    pub phone: Option<Option<String>>,
    /// New address, or `null` to remove it.
    #[serde(default, deserialize_with = "super::present")]
    #[garde(dive)]
    #[schema(value_type = Option<Address>, nullable)]
    pub address: Option<Option<Address>>,
}

/// `GET /customers`: one customer by `email`, or a page of all (admins).
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerFilter {
    /// The customer with this email.
    #[garde(inner(custom(rules::email)))]
    #[param(format = Email)]
    pub email: Option<String>,
}

/// The query of that list: its filters and its [`Paging`](super::query::Paging).
pub type CustomerQuery = super::query::Paged<CustomerFilter>;

/// Most saved addresses one customer keeps.
pub const MAX_ADDRESSES: usize = 20;

/// `POST /customers/me/addresses`: a new saved address. The first one a customer saves is
/// their default whatever `isDefault` says; `isDefault: true` makes a later one the default.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddressInput {
    /// Street and number, 1 to 200 characters (trimmed).
    #[garde(custom(rules::text(1, 200)))]
    #[schema(min_length = 1, max_length = 200)]
    pub street: String,
    /// City, 1 to 200 characters (trimmed).
    #[garde(custom(rules::text(1, 200)))]
    #[schema(min_length = 1, max_length = 200)]
    pub city: String,
    /// Postal code, 1 to 200 characters (trimmed).
    #[garde(custom(rules::text(1, 200)))]
    #[schema(min_length = 1, max_length = 200)]
    pub zip_code: String,
    /// Country, 1 to 200 characters (trimmed).
    #[garde(custom(rules::text(1, 200)))]
    #[schema(min_length = 1, max_length = 200)]
    pub country: String,
    /// A name for it ("Home", "Work"), 1 to 50 characters (trimmed).
    #[garde(inner(custom(rules::text(1, 50))))]
    #[schema(min_length = 1, max_length = 50)]
    pub label: Option<String>,
    /// Make it the default address.
    #[garde(skip)]
    pub is_default: Option<bool>,
}

impl AddressInput {
    /// The postal part, trimmed.
    pub fn address(&self) -> Address {
        Address {
            street: self.street.clone(),
            city: self.city.clone(),
            zip_code: self.zip_code.clone(),
            country: self.country.clone(),
        }
        .trimmed()
    }
}

/// `PATCH /customers/me/addresses/{id}`: what to change. An absent field stays; `null` clears
/// the label; `isDefault: true` makes it the default (the old default stops being one), while
/// `false` on the default is refused (422: make another one the default instead).
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddressPatch {
    /// New street and number.
    #[garde(inner(custom(rules::text(1, 200))))]
    #[schema(min_length = 1, max_length = 200)]
    pub street: Option<String>,
    /// New city.
    #[garde(inner(custom(rules::text(1, 200))))]
    #[schema(min_length = 1, max_length = 200)]
    pub city: Option<String>,
    /// New postal code.
    #[garde(inner(custom(rules::text(1, 200))))]
    #[schema(min_length = 1, max_length = 200)]
    pub zip_code: Option<String>,
    /// New country.
    #[garde(inner(custom(rules::text(1, 200))))]
    #[schema(min_length = 1, max_length = 200)]
    pub country: Option<String>,
    /// New label, or `null` to remove it.
    #[serde(default, deserialize_with = "super::present")]
    #[garde(inner(inner(custom(rules::text(1, 50)))))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 50)]
    pub label: Option<Option<String>>,
    /// `true` makes it the default address.
    #[garde(skip)]
    pub is_default: Option<bool>,
}

/// A customer as callers see it (`/auth/me`, `/customers`): no password hash, the id as a
/// plain string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Customer {
    /// Id, 24 hex digits.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Email, normalised.
    pub email: String,
    /// `customer`, `admin` or `super_admin`.
    pub role: crate::auth::Role,
    /// Phone, or `null`.
    pub phone: Option<String>,
    /// The default address, or `null`.
    pub address: Option<Address>,
    /// When the account was made.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// Last change.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTime<Utc>,
    /// Whether the super admin disabled the account (no sign-in until it is enabled again).
    #[serde(default)]
    pub disabled: bool,
}

/// One of the caller's saved addresses (`/customers/me/addresses`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SavedAddress {
    /// Its own id, 24 hex digits.
    pub id: String,
    /// Street and number.
    pub street: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip_code: String,
    /// Country.
    pub country: String,
    /// Its name, or `null`.
    pub label: Option<String>,
    /// Whether it is the default address.
    pub is_default: bool,
}

/// `GET /internal/customers/{id}/contact` (customer-service, never behind the gateway): where
/// to mail a customer, for a service holding a service token (alert-service's look-up of a
/// customer whose `customer.registered` it never saw).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Contact {
    /// Id, 24 hex digits.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Email, normalised.
    pub email: String,
}

/// `DELETE /customers/me`: the account's password, asked again before it is erased.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Erasure {
    /// The account's current password.
    #[garde(custom(rules::exact(1, 128)))]
    #[schema(min_length = 1, max_length = 128, format = Password)]
    pub password: String,
}

/// `GET /customers/me/export`: everything customer-service keeps about the caller, as a file
/// to keep. Orders, returns, reviews, notifications and subscriptions are each the customer's to
/// list through their own routes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerExport {
    /// When the file was made (RFC 3339).
    pub exported_at: String,
    /// The account.
    pub customer: Customer,
    /// The address book.
    pub addresses: Vec<SavedAddress>,
    /// Saved cards, as listed (brand, last four digits, expiry; never the number).
    pub payment_methods: Vec<super::payments::PaymentMethod>,
    /// Points, tier and history.
    pub loyalty: super::loyalty::LoyaltyAccount,
    /// Wished products.
    pub wishlist: Vec<super::wishlist::WishlistItem>,
}

/// The roles the super admin may give (`PUT /customers/{id}/role`): nobody is made super admin
/// this way; the `ADMIN_EMAIL` account is the one.
pub const GRANTABLE_ROLES: &[&str] = &["customer", "admin"];

/// `PUT /customers/{id}/role` (the super admin): the account's new role.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    /// `customer` or `admin`.
    #[garde(custom(rules::one_of(GRANTABLE_ROLES)))]
    #[schema(example = "admin")]
    pub role: String,
}

/// `POST /customers/{id}/disable` (the super admin): why the account is disabled.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Disabling {
    /// Why; 1 to 500 characters (trimmed), kept in the audit log.
    #[garde(custom(rules::text(1, 500)))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}
