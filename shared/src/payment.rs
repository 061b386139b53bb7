//! Payment providers (issue 15): the [`PaymentProvider`] trait every provider implements, and
//! the built-in `test` provider of DESIGN.md ([`TestProvider`]), which behaves like a card
//! processor's test mode with no network.
//!
//! What callers get (PAYMENT-API.md, with these deviations):
//! - [`ProviderError`] has a third variant, [`ProviderError::Refused`]: the provider will not
//!   do this, ever (a refund with no approved charge under its key, or beyond what is left of
//!   it, a zero amount). Not worth retrying; a saga parks or reports it.
//! - [`provider`] fails with [`UnknownProvider`]; [`Settings`] is the checked choice a
//!   service's `config.rs` makes from `PAYMENT_PROVIDER` and `PAYMENT_TEST_UNAVAILABLE`, and
//!   [`from_env`] builds the provider they name.
//! - [`InvalidCard`](ProviderError::InvalidCard)'s `field` is the card's own wire name
//!   (`number`, `expMonth`, `expYear`, `cvc`, `holder`; `token` for a token this provider did
//!   not make): a caller prefixes its own path (`card.number`).
//! - The test provider's "down" switch is per database, so parallel tests do not see each
//!   other's: [`set_test_unavailable`] (by database name) reaches the provider a service built
//!   with [`provider`], and [`TestProvider::set_unavailable`] the handle one holds.
//! - A key that was voided before it was ever authorised is never authorised (answered
//!   declined), so an order cancelled while the provider was down is not charged later.
//!
//! Card numbers and CVCs are never kept or logged: [`Card`]'s `Debug` prints neither, a token
//! carries only the outcome class and a random id, and the ledger holds keys and amounts.

mod card;
mod test_provider;

use std::{fmt, sync::Arc};

use futures::future::BoxFuture;

pub use card::{
    MAX_YEARS_AHEAD, NUMBER_DIGITS, brand, cvc_problem, digits, luhn, month_problem, today,
    year_problem,
};
pub use test_provider::{LEDGER, TestProvider, set_test_unavailable};

/// The environment variable naming the provider.
pub const PROVIDER_ENV: &str = "PAYMENT_PROVIDER";

/// The provider used when `PAYMENT_PROVIDER` is not set.
pub const DEFAULT_PROVIDER: &str = "test";

/// A card as the customer typed it. Lives only as long as the request that carries it.
#[derive(Clone, PartialEq, Eq)]
pub struct Card {
    /// The number, spaces allowed.
    pub number: String,
    /// Expiry month, 1 to 12.
    pub exp_month: u8,
    /// Expiry year, four digits.
    pub exp_year: u16,
    /// The verification code.
    pub cvc: String,
    /// The name on the card.
    pub holder: Option<String>,
}

impl fmt::Debug for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Card")
            .field("number", &"[redacted]")
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .field("cvc", &"[redacted]")
            .field("holder", &self.holder)
            .finish()
    }
}

impl From<&crate::api::payments::NewCard> for Card {
    fn from(card: &crate::api::payments::NewCard) -> Self {
        // The API type has checked the ranges; out-of-range values (only from code that skipped
        // the check) become 0 and are refused by the provider's own check.
        Self {
            number: card.number.clone(),
            exp_month: u8::try_from(card.exp_month).unwrap_or(0),
            exp_year: u16::try_from(card.exp_year).unwrap_or(0),
            cvc: card.cvc.clone(),
            holder: card
                .holder
                .as_deref()
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .map(str::to_owned),
        }
    }
}

/// What a provider gives back for a card: the token to charge later, and what may be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokenized {
    /// Opaque; charges the card through the same provider. Never shown to the customer.
    pub token: String,
    /// `visa`, `mastercard`, `amex`, `discover` or `unknown`.
    pub brand: String,
    /// The number's last four digits.
    pub last4: String,
    /// Expiry month.
    pub exp_month: u8,
    /// Expiry year.
    pub exp_year: u16,
}

/// Why a payment was declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decline {
    /// The issuer said no (`card_declined`).
    CardDeclined,
    /// Not enough money on the account (`insufficient_funds`).
    InsufficientFunds,
}

impl Decline {
    /// The reason code on the wire and in events.
    pub fn code(self) -> &'static str {
        match self {
            Self::CardDeclined => "card_declined",
            Self::InsufficientFunds => "insufficient_funds",
        }
    }

    /// The reason from its code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "card_declined" => Some(Self::CardDeclined),
            "insufficient_funds" => Some(Self::InsufficientFunds),
            _ => None,
        }
    }
}

impl fmt::Display for Decline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The answer to an authorisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    /// The amount is held on the card.
    Approved {
        /// The provider's reference for the authorisation.
        provider_ref: String,
    },
    /// Nothing is held.
    Declined {
        /// Why.
        reason: Decline,
    },
}

/// A provider call that did not give an answer about the payment itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The card (or token) is not one the provider takes: a 400 naming `field`.
    #[error("{field}: {message}")]
    InvalidCard {
        /// The card's wire field (`number`, `expMonth`, `expYear`, `cvc`, `holder`, `token`).
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The provider could not be reached or did not answer: try again later (503 or a retry).
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    /// The provider will never do this (nothing to refund, more than is left, no amount).
    #[error("payment provider refused: {0}")]
    Refused(String),
}

/// A payment provider. Every call that moves money is idempotent by its key.
pub trait PaymentProvider: Send + Sync + 'static {
    /// The provider's name (`test`), as `PAYMENT_PROVIDER` names it and `/health` shows it.
    fn name(&self) -> &'static str;

    /// Validates (Luhn, expiry, cvc) and tokenises; never keeps or logs number or cvc.
    fn tokenize(&self, card: &Card) -> BoxFuture<'_, Result<Tokenized, ProviderError>>;

    /// Holds `amount_cents` on the card behind `token`. Idempotent by `key` (the order id): a
    /// second call with the same key answers the first call's outcome and never charges again.
    fn authorize<'a>(
        &'a self,
        key: &'a str,
        token: &'a str,
        amount_cents: i64,
    ) -> BoxFuture<'a, Result<Authorization, ProviderError>>;

    /// Voids the authorisation `key` (idempotent by key); `Ok(provider_ref)`. Voiding a key
    /// with nothing approved under it is not an error (there is nothing to give back).
    fn void<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<String, ProviderError>>;

    /// Refunds `amount_cents` of the charge `key` (idempotent by `refund_key`);
    /// `Ok(provider_ref)`.
    fn refund<'a>(
        &'a self,
        key: &'a str,
        refund_key: &'a str,
        amount_cents: i64,
    ) -> BoxFuture<'a, Result<String, ProviderError>>;
}

/// `PAYMENT_PROVIDER` named a provider this build does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown payment provider {0:?} (known: test)")]
pub struct UnknownProvider(pub String);

/// The provider by name; `db` is where a provider keeps its own records (the test provider's
/// ledger, collection [`LEDGER`]).
pub fn provider(
    name: &str,
    db: &mongodb::Database,
) -> Result<Arc<dyn PaymentProvider>, UnknownProvider> {
    Settings::new(name, false)?.build(db)
}

/// Which provider a service uses, checked: a service's `config.rs` makes one from
/// `PAYMENT_PROVIDER` and `PAYMENT_TEST_UNAVAILABLE` at start, so a misspelt name stops the
/// start rather than the first payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The provider's name (`test`).
    pub provider: String,
    /// Whether the test provider answers every call `Unavailable`.
    pub test_unavailable: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            provider: DEFAULT_PROVIDER.to_owned(),
            test_unavailable: false,
        }
    }
}

impl Settings {
    /// The settings for the provider `name`; an unknown name is refused.
    pub fn new(name: &str, test_unavailable: bool) -> Result<Self, UnknownProvider> {
        match name.trim() {
            "test" => Ok(Self {
                provider: "test".to_owned(),
                test_unavailable,
            }),
            other => Err(UnknownProvider(other.to_owned())),
        }
    }

    /// The settings from the values a service's `config.rs` read for `PAYMENT_PROVIDER`
    /// (`provider`) and `PAYMENT_TEST_UNAVAILABLE` (`unavailable`); an unknown provider is a
    /// configuration error, so it stops the start rather than the first payment.
    pub fn parse(provider: &str, unavailable: &str) -> Result<Self, crate::config::ConfigError> {
        Self::new(provider, Self::flag(unavailable)).map_err(|e| crate::config::ConfigError {
            name: PROVIDER_ENV.to_owned(),
            reason: e.to_string(),
        })
    }

    /// `PAYMENT_TEST_UNAVAILABLE`'s value read: `1` or `true` switch the provider off.
    pub fn flag(value: &str) -> bool {
        matches!(value.trim(), "1" | "true")
    }

    /// The provider these settings name, keeping its records in `db`.
    pub fn build(
        &self,
        db: &mongodb::Database,
    ) -> Result<Arc<dyn PaymentProvider>, UnknownProvider> {
        match self.provider.as_str() {
            "test" => Ok(Arc::new(
                TestProvider::new(db).always_down(self.test_unavailable),
            )),
            other => Err(UnknownProvider(other.to_owned())),
        }
    }
}

/// The card's problem, if any, as the provider reports it: the first bad field, checked in
/// the order a form shows them. Every provider runs this before anything else.
pub fn check(card: &Card, today: chrono::NaiveDate) -> Result<String, ProviderError> {
    let invalid = |field, message: &str| ProviderError::InvalidCard {
        field,
        message: message.to_owned(),
    };
    let digits = digits(&card.number).map_err(|m| invalid("number", m))?;
    if let Some(m) = month_problem(i64::from(card.exp_month), i64::from(card.exp_year), today) {
        return Err(invalid("expMonth", m));
    }
    if let Some(m) = year_problem(i64::from(card.exp_year), today) {
        return Err(invalid("expYear", &m));
    }
    if let Some(m) = cvc_problem(&card.cvc) {
        return Err(invalid("cvc", m));
    }
    Ok(digits)
}

/// A customer's saved card as customer-service answers it to order-service (service to
/// service, never through the gateway): what the customer sees, and the token to charge.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedMethod {
    /// The payment method's id.
    pub id: String,
    /// The provider that made the token.
    pub provider: String,
    /// The token to authorise with.
    pub token: String,
    /// The card network.
    pub brand: String,
    /// The number's last four digits.
    pub last4: String,
    /// Expiry month.
    pub exp_month: u8,
    /// Expiry year.
    pub exp_year: u16,
    /// Whether it is the customer's default card.
    pub is_default: bool,
}

/// customer-service's internal path for the saved card `method` of `customer`, or for the
/// customer's default card when `method` is `None`: `GET` it with the customer's own token (or
/// an admin's) and read `data` as a [`SavedMethod`]; 404 when there is no such card (or no card
/// at all). Not under `/api`: the gateway never forwards it, so the token never reaches a client.
pub fn saved_method_path(customer: &str, method: Option<&str>) -> String {
    format!(
        "/internal/customers/{customer}/payment-methods/{}",
        method.unwrap_or("default")
    )
}

#[cfg(test)]
mod tests;
