//! Money as integer cents, read from the decimal text of a JSON number and summed without
//! floating point (DESIGN.md: "Money is exact everywhere").
//!
//! A JSON number reaches us as `serde_json::Number`, whose text is the shortest form that
//! reads back as the same value, so `19.99` is seen as `19.99` and never as `19.989999...`.

use serde::{Serialize, Serializer};

/// An amount of money in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    /// Cents as stored.
    pub fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    /// The amount in cents.
    pub fn cents(self) -> i64 {
        self.0
    }

    /// A price from a JSON number: zero or more, at most two decimals.
    pub fn from_json(number: &serde_json::Number) -> Result<Self, String> {
        Self::parse(&number.to_string())
    }

    /// An amount written as decimal text (`"12"`, `"12.5"`, `"12.50"`, `"1.25e2"`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (mantissa, exponent) = match text.find(['e', 'E']) {
            Some(at) => (
                &text[..at],
                text[at + 1..]
                    .parse::<i32>()
                    .map_err(|_| format!("not a number: {text}"))?,
            ),
            None => (text, 0),
        };
        if mantissa.starts_with('-') {
            return Err("must not be negative".to_owned());
        }
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits_ok = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty() || !digits_ok(whole) || !digits_ok(fraction) {
            return Err(format!("not a number: {text}"));
        }
        // Shift the point by the exponent: the value is digits × 10^(exponent - fraction.len()).
        let digits = format!("{whole}{fraction}");
        let scale = exponent - i32::try_from(fraction.len()).map_err(|_| "too long")?;
        let digits = digits.trim_start_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        // cents = digits × 10^(scale + 2)
        let shift = scale + 2;
        let cents = if shift >= 0 {
            let base: i64 = digits.parse().map_err(|_| "too large".to_owned())?;
            10i64
                .checked_pow(u32::try_from(shift).map_err(|_| "too large")?)
                .and_then(|p| base.checked_mul(p))
                .ok_or("too large")?
        } else {
            let cut = usize::try_from(-shift).map_err(|_| "too small")?;
            let (kept, dropped) = if cut >= digits.len() {
                ("0", digits)
            } else {
                digits.split_at(digits.len() - cut)
            };
            if dropped.chars().any(|c| c != '0') {
                return Err("must have at most two decimals".to_owned());
            }
            kept.parse().map_err(|_| "too large".to_owned())?
        };
        Ok(Self(cents))
    }

    /// `self × quantity`, `None` on overflow.
    pub fn times(self, quantity: u32) -> Option<Self> {
        self.0.checked_mul(i64::from(quantity)).map(Self)
    }

    /// `self + other`, `None` on overflow.
    pub fn plus(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// The amount as a JSON number with at most two decimals: the decimal text is read back
    /// by the standard parser, so it prints unchanged.
    pub fn to_json_number(self) -> f64 {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
            .parse()
            .unwrap_or_default()
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.to_json_number())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> serde_json::Number {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn prices_are_read_from_the_numbers_text_exactly() {
        assert_eq!(Money::from_json(&number("19.99")).unwrap().cents(), 1999);
        assert_eq!(Money::from_json(&number("0.1")).unwrap().cents(), 10);
        assert_eq!(Money::from_json(&number("12")).unwrap().cents(), 1200);
        assert_eq!(Money::from_json(&number("1.25e2")).unwrap().cents(), 12500);
        assert_eq!(Money::from_json(&number("1999e-2")).unwrap().cents(), 1999);
        assert_eq!(Money::from_json(&number("0.07")).unwrap().cents(), 7);
    }

    #[test]
    fn a_third_decimal_or_a_negative_price_is_refused() {
        assert!(Money::from_json(&number("19.999")).is_err());
        assert!(Money::from_json(&number("-1")).is_err());
        assert!(Money::parse("abc").is_err());
        assert!(Money::parse("1e40").is_err());
    }

    #[test]
    fn sums_are_exact_where_floats_are_not() {
        let dime = Money::parse("0.1").unwrap();
        let total = (0..3).fold(Money::default(), |acc, _| acc.plus(dime).unwrap());
        assert_eq!(total.cents(), 30);
        assert_eq!(serde_json::to_string(&total).unwrap(), "0.3");
        assert_ne!(0.1 + 0.1 + 0.1, 0.3);
    }

    #[test]
    fn amounts_print_with_at_most_two_decimals() {
        for (cents, text) in [
            (1999, "19.99"),
            (1200, "12.0"),
            (5, "0.05"),
            (123_456_789, "1234567.89"),
        ] {
            assert_eq!(
                serde_json::to_string(&Money::from_cents(cents)).unwrap(),
                text
            );
        }
    }

    #[test]
    fn multiplication_and_addition_refuse_to_overflow() {
        assert!(Money::from_cents(i64::MAX).times(2).is_none());
        assert!(
            Money::from_cents(i64::MAX)
                .plus(Money::from_cents(1))
                .is_none()
        );
        assert_eq!(Money::from_cents(1999).times(3).unwrap().cents(), 5997);
    }
}
