//! The address book: several saved addresses, exactly one of them the default while there is
//! any. Pure rules, no I/O: the store reads a book, applies one change here, and writes the
//! whole book back guarded by its version (see `store::addresses`).
//!
//! The default is kept as one id beside the list rather than a flag on each address, so "two
//! defaults" cannot even be written down. The list keeps the order addresses were saved in:
//! the oldest is first, and becomes the default when the default is deleted.

use bson::oid::ObjectId;
use serde::{Deserialize, Serialize};
use shared::{
    ApiError,
    api::customers::{Address, AddressInput, AddressPatch, MAX_ADDRESSES},
};

/// One saved address as stored in the customer's `addresses` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedAddress {
    /// Its id (its own, not the customer's; a legacy address imported from the customer's
    /// `address` field takes the customer's id).
    pub id: ObjectId,
    /// Street and number.
    pub street: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip_code: String,
    /// Country.
    pub country: String,
    /// A name for it, if given.
    #[serde(default)]
    pub label: Option<String>,
}

impl SavedAddress {
    /// The postal part.
    pub fn address(&self) -> Address {
        Address {
            street: self.street.clone(),
            city: self.city.clone(),
            zip_code: self.zip_code.clone(),
            country: self.country.clone(),
        }
    }
}

/// What callers see of one address (the contract's `SavedAddress`).
pub use shared::api::customers::SavedAddress as AddressView;

/// A customer's saved addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressBook {
    /// Oldest first.
    pub addresses: Vec<SavedAddress>,
    /// The default's id; `Some` whenever `addresses` is not empty.
    pub default: Option<ObjectId>,
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such address".to_owned())
}

impl AddressBook {
    /// A book holding only `address` (a customer's single address from before the book),
    /// under the id `id`, as the default.
    pub fn imported(id: ObjectId, address: &Address) -> Self {
        let saved = SavedAddress {
            id,
            street: address.street.clone(),
            city: address.city.clone(),
            zip_code: address.zip_code.clone(),
            country: address.country.clone(),
            label: None,
        };
        Self {
            addresses: vec![saved],
            default: Some(id),
        }
    }

    /// The default address: what the customer's single `address` field mirrors.
    pub fn default_address(&self) -> Option<Address> {
        self.find(self.default?).map(SavedAddress::address)
    }

    fn find(&self, id: ObjectId) -> Option<&SavedAddress> {
        self.addresses.iter().find(|a| a.id == id)
    }

    /// One address as callers see it.
    pub fn view_of(&self, address: &SavedAddress) -> AddressView {
        AddressView {
            id: address.id.to_hex(),
            street: address.street.clone(),
            city: address.city.clone(),
            zip_code: address.zip_code.clone(),
            country: address.country.clone(),
            label: address.label.clone(),
            is_default: self.default == Some(address.id),
        }
    }

    /// Every address as callers see it, oldest first.
    pub fn views(&self) -> Vec<AddressView> {
        self.addresses.iter().map(|a| self.view_of(a)).collect()
    }

    /// The address `id` as callers see it; 404 when the book has no such address.
    pub fn view(&self, id: ObjectId) -> Result<AddressView, ApiError> {
        self.find(id).map(|a| self.view_of(a)).ok_or_else(not_found)
    }

    /// Saves a new address under `id`; the first one, or one asked to be, becomes the default.
    /// 422 when the book is full.
    pub fn add(&mut self, id: ObjectId, input: &AddressInput) -> Result<(), ApiError> {
        if self.addresses.len() >= MAX_ADDRESSES {
            return Err(ApiError::Unprocessable(format!(
                "at most {MAX_ADDRESSES} addresses may be saved; delete one first"
            )));
        }
        let address = input.address();
        self.addresses.push(SavedAddress {
            id,
            street: address.street,
            city: address.city,
            zip_code: address.zip_code,
            country: address.country,
            label: input.label.as_deref().map(|l| l.trim().to_owned()),
        });
        if self.default.is_none() || input.is_default == Some(true) {
            self.default = Some(id);
        }
        Ok(())
    }

    /// Changes the address `id`; 404 when there is none, 422 for `isDefault: false` on the
    /// default (a book with addresses always has one).
    pub fn patch(&mut self, id: ObjectId, patch: &AddressPatch) -> Result<(), ApiError> {
        let is_default = self.default == Some(id);
        let address = self
            .addresses
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(not_found)?;
        if patch.is_default == Some(false) && is_default {
            return Err(ApiError::Unprocessable(
                "isDefault: the default address stays the default until another one is made the default".to_owned(),
            ));
        }
        let trim = |s: &String| s.trim().to_owned();
        if let Some(street) = &patch.street {
            address.street = trim(street);
        }
        if let Some(city) = &patch.city {
            address.city = trim(city);
        }
        if let Some(zip_code) = &patch.zip_code {
            address.zip_code = trim(zip_code);
        }
        if let Some(country) = &patch.country {
            address.country = trim(country);
        }
        if let Some(label) = &patch.label {
            address.label = label.as_ref().map(trim);
        }
        if patch.is_default == Some(true) {
            self.default = Some(id);
        }
        Ok(())
    }

    /// What `PATCH /customers/{id}` does to the single `address`, which mirrors the default:
    /// a new address replaces the default's postal part (or is saved under `id` as the first,
    /// when the book is empty); `None` deletes the default (the oldest left takes over).
    pub fn set_default_address(&mut self, id: ObjectId, address: Option<&Address>) {
        let current = self.default;
        match (address, current) {
            (Some(address), Some(default)) => {
                if let Some(saved) = self.addresses.iter_mut().find(|a| a.id == default) {
                    saved.street.clone_from(&address.street);
                    saved.city.clone_from(&address.city);
                    saved.zip_code.clone_from(&address.zip_code);
                    saved.country.clone_from(&address.country);
                }
            }
            (Some(address), None) => {
                let saved = AddressBook::imported(id, address);
                self.addresses.extend(saved.addresses);
                self.default = Some(id);
            }
            (None, Some(default)) => {
                // The default is in the book whenever it is set.
                let _ = self.remove(default);
            }
            (None, None) => {}
        }
    }

    /// Deletes the address `id`; when it was the default, the oldest remaining one becomes
    /// the default. 404 when there is none.
    pub fn remove(&mut self, id: ObjectId) -> Result<(), ApiError> {
        let at = self
            .addresses
            .iter()
            .position(|a| a.id == id)
            .ok_or_else(not_found)?;
        self.addresses.remove(at);
        if self.default == Some(id) {
            self.default = self.addresses.first().map(|a| a.id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
