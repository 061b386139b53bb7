//! The wallet: a customer's saved cards, exactly one of them the default while there is any.
//! Pure rules, no I/O: the store reads a wallet, applies one change here, and writes it back
//! whole guarded by its version (see `store::payment_methods`), as the address book does.
//!
//! A saved card is what the provider answered for it (brand, last four, expiry, token), never
//! the number or the cvc: those do not reach this module. The token is for order-service only
//! ([`Wallet::internal`]); what customers see ([`PaymentMethodView`]) has none.

use bson::oid::ObjectId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::{
    ApiError,
    api::payments::MAX_PAYMENT_METHODS,
    payment::{SavedMethod, Tokenized},
};

/// One saved card as stored in the customer's `paymentMethods` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedCard {
    /// Its id.
    pub id: ObjectId,
    /// The provider that made the token (`test`).
    pub provider: String,
    /// The provider's token: charges the card; never shown to the customer.
    pub token: String,
    /// `visa`, `mastercard`, `amex`, `discover` or `unknown`.
    pub brand: String,
    /// The number's last four digits.
    pub last4: String,
    /// Expiry month.
    pub exp_month: u8,
    /// Expiry year.
    pub exp_year: u16,
    /// When it was saved (written inside the array by `$set`, so read tolerantly).
    #[serde(
        serialize_with = "bson::serde_helpers::chrono_datetime_as_bson_datetime::serialize",
        deserialize_with = "shared::store::compat::date"
    )]
    pub created_at: DateTime<Utc>,
}

impl SavedCard {
    /// A card saved now under `id` from the provider's answer.
    pub fn new(id: ObjectId, provider: &str, tokenized: Tokenized) -> Self {
        Self {
            id,
            provider: provider.to_owned(),
            token: tokenized.token,
            brand: tokenized.brand,
            last4: tokenized.last4,
            exp_month: tokenized.exp_month,
            exp_year: tokenized.exp_year,
            created_at: Utc::now(),
        }
    }
}

/// What customers see of one card (the contract's `PaymentMethod`): no token.
pub use shared::api::payments::PaymentMethod as PaymentMethodView;

/// A customer's saved cards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wallet {
    /// Oldest first.
    pub cards: Vec<SavedCard>,
    /// The default's id; `Some` whenever `cards` is not empty.
    pub default: Option<ObjectId>,
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such payment method".to_owned())
}

impl Wallet {
    fn find(&self, id: ObjectId) -> Option<&SavedCard> {
        self.cards.iter().find(|c| c.id == id)
    }

    fn view_of(&self, card: &SavedCard) -> PaymentMethodView {
        PaymentMethodView {
            id: card.id.to_hex(),
            brand: card.brand.clone(),
            last4: card.last4.clone(),
            exp_month: card.exp_month,
            exp_year: card.exp_year,
            is_default: self.default == Some(card.id),
            created_at: card.created_at,
        }
    }

    /// Every card as customers see it, oldest first.
    pub fn views(&self) -> Vec<PaymentMethodView> {
        self.cards.iter().map(|c| self.view_of(c)).collect()
    }

    /// The card `id` as customers see it; 404 when there is none.
    pub fn view(&self, id: ObjectId) -> Result<PaymentMethodView, ApiError> {
        self.find(id).map(|c| self.view_of(c)).ok_or_else(not_found)
    }

    /// The card `id`, or the default when `id` is `None`, with its token, for order-service.
    pub fn internal(&self, id: Option<ObjectId>) -> Option<SavedMethod> {
        let card = self.find(id.or(self.default)?)?;
        Some(SavedMethod {
            id: card.id.to_hex(),
            provider: card.provider.clone(),
            token: card.token.clone(),
            brand: card.brand.clone(),
            last4: card.last4.clone(),
            exp_month: card.exp_month,
            exp_year: card.exp_year,
            is_default: self.default == Some(card.id),
        })
    }

    /// Whether another card may be saved; 422 when the wallet is full. Asked before the card
    /// is tokenised, so a full wallet costs no provider call.
    pub fn has_room(&self) -> Result<(), ApiError> {
        if self.cards.len() >= MAX_PAYMENT_METHODS {
            Err(ApiError::Unprocessable(format!(
                "at most {MAX_PAYMENT_METHODS} payment methods may be saved; delete one first"
            )))
        } else {
            Ok(())
        }
    }

    /// Saves `card`; the first one, or one asked to be, becomes the default. 422 when full.
    pub fn add(&mut self, card: SavedCard, make_default: bool) -> Result<(), ApiError> {
        self.has_room()?;
        if self.default.is_none() || make_default {
            self.default = Some(card.id);
        }
        self.cards.push(card);
        Ok(())
    }

    /// `makeDefault: true` makes the card `id` the default; `false` on the default is 422 (a
    /// wallet with cards always has one), on any other card nothing. 404 when there is none.
    pub fn make_default(&mut self, id: ObjectId, make_default: bool) -> Result<(), ApiError> {
        self.find(id).ok_or_else(not_found)?;
        if make_default {
            self.default = Some(id);
        } else if self.default == Some(id) {
            return Err(ApiError::Unprocessable(
                "makeDefault: the default card stays the default until another one is made the default".to_owned(),
            ));
        }
        Ok(())
    }

    /// Deletes the card `id`; when it was the default, the newest remaining one becomes the
    /// default. 404 when there is none.
    pub fn remove(&mut self, id: ObjectId) -> Result<(), ApiError> {
        let at = self
            .cards
            .iter()
            .position(|c| c.id == id)
            .ok_or_else(not_found)?;
        self.cards.remove(at);
        if self.default == Some(id) {
            self.default = self
                .cards
                .iter()
                .max_by_key(|c| (c.created_at, c.id))
                .map(|c| c.id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(n: i64) -> SavedCard {
        SavedCard {
            id: ObjectId::new(),
            provider: "test".to_owned(),
            token: format!("tok_{n}"),
            brand: "visa".to_owned(),
            last4: "4242".to_owned(),
            exp_month: 12,
            exp_year: 2030,
            created_at: DateTime::from_timestamp(1_700_000_000 + n, 0).unwrap(),
        }
    }

    fn defaults(wallet: &Wallet) -> Vec<String> {
        wallet
            .views()
            .into_iter()
            .filter(|v| v.is_default)
            .map(|v| v.id)
            .collect()
    }

    #[test]
    fn the_first_card_is_the_default_and_make_default_moves_it() {
        let mut wallet = Wallet::default();
        let (a, b, c) = (card(1), card(2), card(3));
        wallet.add(a.clone(), false).unwrap();
        wallet.add(b.clone(), false).unwrap();
        assert_eq!(defaults(&wallet), [a.id.to_hex()]);
        wallet.add(c.clone(), true).unwrap();
        assert_eq!(defaults(&wallet), [c.id.to_hex()]);
        wallet.make_default(b.id, true).unwrap();
        assert_eq!(defaults(&wallet), [b.id.to_hex()]);
        assert!(matches!(
            wallet.make_default(b.id, false),
            Err(ApiError::Unprocessable(_))
        ));
        wallet.make_default(a.id, false).unwrap();
        assert_eq!(defaults(&wallet), [b.id.to_hex()]);
        assert!(matches!(
            wallet.make_default(ObjectId::new(), true),
            Err(ApiError::NotFound(_))
        ));
    }

    #[test]
    fn deleting_the_default_makes_the_newest_remaining_card_the_default() {
        let mut wallet = Wallet::default();
        let (a, b, c) = (card(1), card(3), card(2));
        for saved in [&a, &b, &c] {
            wallet.add(saved.clone(), false).unwrap();
        }
        wallet.remove(a.id).unwrap();
        assert_eq!(defaults(&wallet), [b.id.to_hex()], "b was saved last");
        wallet.remove(c.id).unwrap();
        assert_eq!(defaults(&wallet), [b.id.to_hex()], "a non-default went");
        wallet.remove(b.id).unwrap();
        assert_eq!(wallet.default, None);
        assert!(matches!(wallet.remove(b.id), Err(ApiError::NotFound(_))));
    }

    #[test]
    fn a_full_wallet_refuses_another_card_and_views_carry_no_token() {
        let mut wallet = Wallet::default();
        for n in 0..i64::try_from(MAX_PAYMENT_METHODS).unwrap() {
            wallet.add(card(n), false).unwrap();
        }
        assert!(matches!(
            wallet.add(card(99), false),
            Err(ApiError::Unprocessable(_))
        ));
        let shown = serde_json::to_string(&wallet.views()).unwrap();
        assert!(!shown.contains("tok_"), "{shown}");
        let internal = wallet.internal(None).unwrap();
        assert_eq!(internal.token, "tok_0");
        assert!(internal.is_default);
    }
}
