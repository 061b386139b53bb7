//! The `test` provider: card processor test mode without a network. Tokens encode the outcome
//! class, so tokenising needs no state; authorisations, voids and refunds go to a ledger
//! collection whose `_id` is the operation and its key, so idempotency holds across restarts
//! and replicas (the unique `_id` decides a race, not a read before the write).

use std::{
    collections::HashMap,
    sync::{
        Arc, LazyLock, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use bson::{Document, doc};
use futures::{TryStreamExt, future::BoxFuture};
use mongodb::{Collection, Database};

use super::{Authorization, Card, Decline, PaymentProvider, ProviderError, Tokenized};
use crate::store::is_duplicate_key;

/// The ledger collection, in the database the provider was given.
pub const LEDGER: &str = "test_payments";

/// Every token this provider makes starts so.
const TOKEN_PREFIX: &str = "tok_test_";

/// The "provider down" switches, one per database name (one per test, one per service).
static SWITCHES: LazyLock<Mutex<HashMap<String, Arc<AtomicBool>>>> = LazyLock::new(Mutex::default);

fn switch(database: &str) -> Arc<AtomicBool> {
    let mut switches = SWITCHES.lock().unwrap_or_else(|e| e.into_inner());
    switches.entry(database.to_owned()).or_default().clone()
}

/// Makes every test provider built on `database` answer `Unavailable` (or not): how a test
/// takes the provider of the services it started down and brings it back.
pub fn set_test_unavailable(database: &str, unavailable: bool) {
    switch(database).store(unavailable, Ordering::SeqCst);
}

/// The outcome a test card number stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Approve,
    Decline(Decline),
}

impl Class {
    fn of(digits: &str) -> Self {
        match digits {
            "4000000000000002" => Self::Decline(Decline::CardDeclined),
            "4000000000009995" => Self::Decline(Decline::InsufficientFunds),
            _ => Self::Approve,
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Self::Approve => "ok",
            Self::Decline(Decline::CardDeclined) => "dcl",
            Self::Decline(Decline::InsufficientFunds) => "nsf",
        }
    }

    fn from_token(token: &str) -> Option<Self> {
        let rest = token.strip_prefix(TOKEN_PREFIX)?;
        let (tag, id) = rest.split_once('_')?;
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        match tag {
            "ok" => Some(Self::Approve),
            "dcl" => Some(Self::Decline(Decline::CardDeclined)),
            "nsf" => Some(Self::Decline(Decline::InsufficientFunds)),
            _ => None,
        }
    }
}

/// The built-in `test` provider (DESIGN.md, "Payment"). Cheap to clone; clones share the
/// ledger and the switch.
#[derive(Clone)]
pub struct TestProvider {
    ledger: Collection<Document>,
    down: Arc<AtomicBool>,
    /// Down whatever the switch says (`PAYMENT_TEST_UNAVAILABLE=1`).
    always_down: bool,
}

impl TestProvider {
    /// A provider keeping its ledger in `db`.
    pub fn new(db: &Database) -> Self {
        Self {
            ledger: db.collection(LEDGER),
            down: switch(db.name()),
            always_down: false,
        }
    }

    /// The same provider, answering `Unavailable` to every call for good when `down`.
    pub fn always_down(mut self, down: bool) -> Self {
        self.always_down = down;
        self
    }

    /// Makes every call answer `Unavailable` (or not); the same switch as
    /// [`set_test_unavailable`] for this provider's database.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.down.store(unavailable, Ordering::SeqCst);
    }

    fn up(&self) -> Result<(), ProviderError> {
        if self.always_down || self.down.load(Ordering::SeqCst) {
            Err(ProviderError::Unavailable(
                "test provider switched off".to_owned(),
            ))
        } else {
            Ok(())
        }
    }

    /// Writes `entry` under its `_id` unless one is there; answers the entry that holds the
    /// `_id` afterwards (this one, or the first call's).
    async fn record(&self, entry: Document) -> Result<Document, ProviderError> {
        let id = entry.get_str("_id").unwrap_or_default().to_owned();
        match self.ledger.insert_one(&entry).await {
            Ok(_) => Ok(entry),
            Err(e) if is_duplicate_key(&e) => self
                .ledger
                .find_one(doc! { "_id": &id })
                .await
                .map_err(unavailable)?
                .ok_or_else(|| ProviderError::Unavailable(format!("ledger lost {id}"))),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn find(&self, id: String) -> Result<Option<Document>, ProviderError> {
        self.ledger
            .find_one(doc! { "_id": id })
            .await
            .map_err(unavailable)
    }

    async fn do_authorize(
        &self,
        key: &str,
        token: &str,
        amount_cents: i64,
    ) -> Result<Authorization, ProviderError> {
        self.up()?;
        let class = Class::from_token(token).ok_or_else(|| ProviderError::InvalidCard {
            field: "token",
            message: "is not a token of the test provider".to_owned(),
        })?;
        if amount_cents <= 0 {
            return Err(ProviderError::Refused(
                "amount must be more than zero".to_owned(),
            ));
        }
        let voided = self.find(format!("void:{key}")).await?.is_some();
        let outcome = match (voided, class) {
            (true, _) => Err(Decline::CardDeclined),
            (false, Class::Approve) => Ok(()),
            (false, Class::Decline(reason)) => Err(reason),
        };
        let mut entry = entry("authorize", key, amount_cents);
        match outcome {
            Ok(()) => entry.insert("outcome", "approved"),
            Err(reason) => {
                entry.insert("reason", reason.code());
                entry.insert("outcome", "declined")
            }
        };
        let stored = self.record(entry).await?;
        authorization(&stored)
    }

    async fn do_void(&self, key: &str) -> Result<String, ProviderError> {
        self.up()?;
        let stored = self.record(entry("void", key, 0)).await?;
        provider_ref(&stored)
    }

    async fn do_refund(
        &self,
        key: &str,
        refund_key: &str,
        amount_cents: i64,
    ) -> Result<String, ProviderError> {
        self.up()?;
        let id = format!("refund:{key}:{refund_key}");
        if let Some(done) = self.find(id.clone()).await? {
            return provider_ref(&done);
        }
        if amount_cents <= 0 {
            return Err(ProviderError::Refused(
                "amount must be more than zero".to_owned(),
            ));
        }
        let charge = self.find(format!("authorize:{key}")).await?;
        let charged = match charge {
            Some(c) if c.get_str("outcome") == Ok("approved") => amount_of(&c),
            _ => {
                return Err(ProviderError::Refused(format!(
                    "no approved charge under {key}"
                )));
            }
        };
        let refunded: i64 = self
            .ledger
            .find(doc! { "operation": "refund", "key": key })
            .await
            .map_err(unavailable)?
            .try_collect::<Vec<_>>()
            .await
            .map_err(unavailable)?
            .iter()
            .map(amount_of)
            .sum();
        if refunded + amount_cents > charged {
            return Err(ProviderError::Refused(format!(
                "refund of {amount_cents} cents is more than the {} left of the charge",
                charged - refunded
            )));
        }
        let mut entry = entry("refund", key, amount_cents);
        entry.insert("_id", id);
        entry.insert("refundKey", refund_key);
        let stored = self.record(entry).await?;
        provider_ref(&stored)
    }
}

/// A new ledger entry; its `_id` is `<operation>:<key>`.
fn entry(operation: &str, key: &str, amount_cents: i64) -> Document {
    let reference = format!("test_{operation}_{}", uuid::Uuid::new_v4().simple());
    doc! {
        "_id": format!("{operation}:{key}"),
        "operation": operation,
        "key": key,
        "amountCents": amount_cents,
        "providerRef": reference,
        "at": bson::DateTime::now(),
    }
}

fn amount_of(entry: &Document) -> i64 {
    entry
        .get_i64("amountCents")
        .or_else(|_| entry.get_i32("amountCents").map(i64::from))
        .unwrap_or(0)
}

fn provider_ref(entry: &Document) -> Result<String, ProviderError> {
    entry
        .get_str("providerRef")
        .map(str::to_owned)
        .map_err(|_| ProviderError::Unavailable("ledger entry without a reference".to_owned()))
}

fn authorization(entry: &Document) -> Result<Authorization, ProviderError> {
    if entry.get_str("outcome") == Ok("approved") {
        return Ok(Authorization::Approved {
            provider_ref: provider_ref(entry)?,
        });
    }
    let reason = entry
        .get_str("reason")
        .ok()
        .and_then(Decline::from_code)
        .unwrap_or(Decline::CardDeclined);
    Ok(Authorization::Declined { reason })
}

fn unavailable(e: mongodb::error::Error) -> ProviderError {
    ProviderError::Unavailable(format!("test provider ledger: {e}"))
}

impl PaymentProvider for TestProvider {
    fn name(&self) -> &'static str {
        "test"
    }

    fn tokenize(&self, card: &Card) -> BoxFuture<'_, Result<Tokenized, ProviderError>> {
        // Checked before the future is made, so the number never lives inside it.
        let checked = super::check(card, super::today()).map(|digits| Tokenized {
            token: format!(
                "{TOKEN_PREFIX}{}_{}",
                Class::of(&digits).tag(),
                uuid::Uuid::new_v4().simple()
            ),
            brand: super::brand(&digits).to_owned(),
            last4: digits[digits.len() - 4..].to_owned(),
            exp_month: card.exp_month,
            exp_year: card.exp_year,
        });
        Box::pin(async move {
            self.up()?;
            checked
        })
    }

    fn authorize<'a>(
        &'a self,
        key: &'a str,
        token: &'a str,
        amount_cents: i64,
    ) -> BoxFuture<'a, Result<Authorization, ProviderError>> {
        Box::pin(self.do_authorize(key, token, amount_cents))
    }

    fn void<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(self.do_void(key))
    }

    fn refund<'a>(
        &'a self,
        key: &'a str,
        refund_key: &'a str,
        amount_cents: i64,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(self.do_refund(key, refund_key, amount_cents))
    }
}

#[cfg(test)]
pub(super) fn class_of_token(token: &str) -> Option<&'static str> {
    Class::from_token(token).map(Class::tag)
}
