//! [`Money`]: integer cents, read from the decimal text of a number and never through floating
//! point, written as a JSON number with at most two decimals (DESIGN.md: "Money is exact
//! everywhere"). The one parser of the suite: services and the gateway call it, so they agree.
//!
//! A JSON number reaches us as `serde_json::Number` (or an `f64` through serde), whose text is
//! the shortest form that reads back as the same value: `19.99` stays `19.99`, so a third
//! decimal is seen and refused, never rounded. A double carries 15 significant digits exactly,
//! hence [`Money::MAX`]: every amount up to it survives the JSON parser unchanged.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use serde_json::Value;

/// An amount of money in cents. Parsed amounts are never negative; sums and differences made
/// in code may be, and print with their sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

/// Why a value is not an amount of money; `Display` is the problem as a field's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not a decimal number (a string in JSON, `NaN`, `1,5`, `+5`, `0x10`).
    #[error("must be a number")]
    NotANumber,
    /// Below zero (`-0` is zero and accepted).
    #[error("must not be negative")]
    Negative,
    /// A fraction of a cent.
    #[error("must have at most two decimals")]
    TooManyDecimals,
    /// Above the limit named.
    #[error("must be at most {0}")]
    TooLarge(Money),
    /// Zero where a price is asked for.
    #[error("must be greater than 0")]
    NotPositive,
}

impl Money {
    /// Nothing.
    pub const ZERO: Self = Self(0);
    /// The largest amount read: 9,999,999,999,999.99 (fifteen digits, what a JSON number
    /// carries exactly).
    pub const MAX: Self = Self(999_999_999_999_999);
    /// The largest price of one product: 1,000,000.00.
    pub const MAX_PRICE: Self = Self(100_000_000);

    /// Cents as stored or computed.
    pub const fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    /// The amount in cents.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// An amount written as decimal text (`"12"`, `"12.5"`, `"12.50"`, `"1.25e2"`, a query
    /// parameter or a JSON number's text): zero or more, at most two decimals, at most
    /// [`Money::MAX`].
    pub fn parse(text: &str) -> Result<Self, MoneyError> {
        let decimal = Decimal::parse(text.trim()).ok_or(MoneyError::NotANumber)?;
        if decimal.negative && !decimal.is_zero() {
            return Err(MoneyError::Negative);
        }
        decimal.to_cents().map(Self)
    }

    /// An amount from a JSON number, by its text (see [`Money::parse`]).
    pub fn from_number(number: &serde_json::Number) -> Result<Self, MoneyError> {
        Self::parse(&number.to_string())
    }

    /// An amount from a JSON value, which must be a number (see [`Money::parse`]).
    pub fn from_json(value: &Value) -> Result<Self, MoneyError> {
        match value {
            Value::Number(n) => Self::from_number(n),
            _ => Err(MoneyError::NotANumber),
        }
    }

    /// A product's price from a JSON value: an amount greater than zero and at most
    /// [`Money::MAX_PRICE`].
    pub fn price(value: &Value) -> Result<Self, MoneyError> {
        Self::from_json(value)?.as_price()
    }

    /// This amount, if it may be a price: greater than zero, at most [`Money::MAX_PRICE`].
    pub fn as_price(self) -> Result<Self, MoneyError> {
        match self {
            Self(cents) if cents <= 0 => Err(MoneyError::NotPositive),
            too_much if too_much > Self::MAX_PRICE => Err(MoneyError::TooLarge(Self::MAX_PRICE)),
            price => Ok(price),
        }
    }

    /// `self + other`, `None` on overflow.
    pub fn plus(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// `self − other`, `None` on overflow.
    pub fn minus(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }

    /// `self × quantity`, `None` on overflow.
    pub fn times(self, quantity: u32) -> Option<Self> {
        self.0.checked_mul(i64::from(quantity)).map(Self)
    }

    /// The sum of `amounts`, `None` on overflow.
    pub fn sum(amounts: impl IntoIterator<Item = Self>) -> Option<Self> {
        amounts.into_iter().try_fold(Self::ZERO, Self::plus)
    }

    /// The amount as a JSON number with at most two decimals: its decimal text is read by the
    /// standard parser, which picks the double nearest to it, so it prints back unchanged.
    pub fn to_json_number(self) -> f64 {
        self.to_string().parse().unwrap_or_default()
    }
}

impl fmt::Display for Money {
    /// `19.99`, `20.00`, `-0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.to_json_number())
    }
}

impl<'de> Deserialize<'de> for Money {
    /// A number, read as [`Money::parse`] reads its text; anything else is refused.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MoneyVisitor)
    }
}

/// In the OpenAPI document: a number in hundredths.
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .multiple_of(Some(0.01))
            .description(Some(
                "An amount of money: a number with at most two decimals",
            ))
            .build()
            .into()
    }
}

impl utoipa::ToSchema for Money {}

impl Money {
    /// A price in the OpenAPI document: as [`Money::as_price`] takes it.
    pub fn price_schema() -> utoipa::openapi::schema::Object {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .multiple_of(Some(0.01))
            .exclusive_minimum(Some(0))
            .maximum(Some(Self::MAX_PRICE.0 / 100))
            .description(Some("A price: more than zero, at most two decimals"))
            .build()
    }
}

struct MoneyVisitor;

impl MoneyVisitor {
    fn read<E: de::Error>(text: &str) -> Result<Money, E> {
        Money::parse(text).map_err(E::custom)
    }
}

impl de::Visitor<'_> for MoneyVisitor {
    type Value = Money;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an amount of money: a number with at most two decimals")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
        Self::read(&v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
        Self::read(&v.to_string())
    }

    /// Rust prints a double as the shortest decimal that reads back as it, as serde_json does.
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
        Self::read(&v.to_string())
    }
}

/// A decimal number split into its digits and the position of the point.
struct Decimal {
    negative: bool,
    /// Every digit, without the point.
    digits: Vec<u8>,
    /// How many of `digits` are before the point (may be negative or beyond the end).
    point: i64,
}

impl Decimal {
    /// `[-]digits[.digits][(e|E)[+|-]digits]`, as JSON writes numbers.
    fn parse(text: &str) -> Option<Self> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(at) => (&rest[..at], rest[at + 1..].parse::<i64>().ok()?),
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !all_digits(int) || !all_digits(frac) || mantissa.ends_with('.') {
            return None;
        }
        if exponent.abs() > 1000 {
            return None;
        }
        Some(Self {
            negative,
            digits: int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect(),
            point: i64::try_from(int.len()).ok()? + exponent,
        })
    }

    fn is_zero(&self) -> bool {
        self.digits.iter().all(|d| *d == 0)
    }

    fn digit(&self, i: i64) -> u8 {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.digits.get(i))
            .copied()
            .unwrap_or(0)
    }

    fn to_cents(&self) -> Result<i64, MoneyError> {
        let len = i64::try_from(self.digits.len()).unwrap_or(i64::MAX);
        // Any non-zero digit beyond the second decimal is a fraction of a cent.
        if (self.point + 2..len).any(|i| self.digit(i) != 0) {
            return Err(MoneyError::TooManyDecimals);
        }
        let mut cents: i64 = 0;
        for i in 0..self.point + 2 {
            cents = cents
                .checked_mul(10)
                .and_then(|c| c.checked_add(i64::from(self.digit(i))))
                .filter(|c| *c <= Money::MAX.0)
                .ok_or(MoneyError::TooLarge(Money::MAX))?;
        }
        Ok(cents)
    }
}

#[cfg(test)]
mod tests;
