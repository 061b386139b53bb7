//! Prices as integer cents, parsed from the decimal text of a number and never through
//! floating-point arithmetic (DESIGN.md: "Money is exact everywhere").
//!
//! A JSON number reaches us as `serde_json::Number`, whose text (`to_string()`) is the
//! shortest form that reads back as the same value: `19.99` stays `19.99`, so a price with a
//! third decimal is seen and refused. (Without serde_json's `arbitrary_precision` feature a
//! number with more than about 15 significant digits is rounded by the JSON parser before we
//! see it; prices are capped far below that.)

use serde::{Serialize, Serializer};

/// The largest price accepted: 1,000,000.00.
pub const MAX_CENTS: i64 = 100_000_000;

/// An amount of money in cents, between 0 and [`MAX_CENTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cents(i64);

impl Cents {
    /// A price: greater than zero, at most two decimals, at most [`MAX_CENTS`].
    pub fn price(number: &serde_json::Number) -> Result<Self, String> {
        let cents = Self::parse(&number.to_string())?;
        if cents.0 == 0 {
            return Err("must be greater than 0".to_owned());
        }
        Ok(cents)
    }

    /// An amount written as decimal text (`"12"`, `"12.5"`, `"12.50"`, `"1.25e2"`): zero or
    /// more, at most two decimals, at most [`MAX_CENTS`].
    pub fn parse(text: &str) -> Result<Self, String> {
        let decimal = Decimal::parse(text.trim()).ok_or("must be a number")?;
        if decimal.negative && !decimal.is_zero() {
            return Err("must not be negative".to_owned());
        }
        decimal.to_cents().map(Self)
    }

    /// Cents as stored, e.g. for a document that is known to hold valid cents.
    pub fn from_stored(cents: i64) -> Self {
        Self(cents)
    }

    /// The amount in cents.
    pub fn get(self) -> i64 {
        self.0
    }

    /// The amount as a JSON number with at most two decimals. The decimal text is read by the
    /// standard parser, which picks the double nearest to it, so it prints back unchanged.
    pub fn to_json_number(self) -> f64 {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
            .parse()
            .unwrap_or_default()
    }
}

impl Serialize for Cents {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.to_json_number())
    }
}

/// A decimal number split into its digits and the position of the point.
struct Decimal {
    negative: bool,
    /// Every digit, without the point.
    digits: String,
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
            digits: format!("{int}{frac}"),
            point: i64::try_from(int.len()).ok()? + exponent,
        })
    }

    fn is_zero(&self) -> bool {
        self.digits.bytes().all(|b| b == b'0')
    }

    fn to_cents(&self) -> Result<i64, String> {
        let len = i64::try_from(self.digits.len()).unwrap_or(i64::MAX);
        let digit = |i: i64| -> u8 {
            if (0..len).contains(&i) {
                self.digits.as_bytes()[usize::try_from(i).unwrap_or(0)] - b'0'
            } else {
                0
            }
        };
        // Any non-zero digit beyond the second decimal is a fraction of a cent.
        if (self.point + 2..len).any(|i| digit(i) != 0) {
            return Err("must have at most two decimals".to_owned());
        }
        let too_large = || format!("must be at most {}", MAX_CENTS / 100);
        let mut cents: i64 = 0;
        for i in 0..self.point + 2 {
            cents = cents
                .checked_mul(10)
                .and_then(|c| c.checked_add(i64::from(digit(i))))
                .filter(|c| *c <= MAX_CENTS)
                .ok_or_else(too_large)?;
        }
        Ok(cents)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(text: &str) -> Result<i64, String> {
        Cents::parse(text).map(Cents::get)
    }

    fn price(json: &str) -> Result<i64, String> {
        let number: serde_json::Number = serde_json::from_str(json).unwrap();
        Cents::price(&number).map(Cents::get)
    }

    #[test]
    fn decimals_become_exact_cents() {
        assert_eq!(cents("19.99"), Ok(1999));
        assert_eq!(cents("0.1"), Ok(10));
        assert_eq!(cents("0.07"), Ok(7));
        assert_eq!(cents("100"), Ok(10000));
        assert_eq!(cents("100.0"), Ok(10000));
        assert_eq!(cents("1.230"), Ok(123));
        assert_eq!(cents("1.5e1"), Ok(1500));
        assert_eq!(cents("1e2"), Ok(10000));
        assert_eq!(cents("1234.5e-1"), Ok(12345));
        assert_eq!(
            cents("1234.5e-2"),
            Err("must have at most two decimals".into())
        );
        assert_eq!(cents("0"), Ok(0));
    }

    #[test]
    fn a_third_decimal_is_refused_rather_than_rounded() {
        assert_eq!(cents("1.999"), Err("must have at most two decimals".into()));
        assert_eq!(cents("0.001"), Err("must have at most two decimals".into()));
        assert_eq!(cents("1e-7"), Err("must have at most two decimals".into()));
        assert_eq!(price("1.005"), Err("must have at most two decimals".into()));
    }

    #[test]
    fn json_numbers_are_read_from_their_text_not_by_float_arithmetic() {
        // 0.1 + 0.2 style errors would show up as 1998 or 2000 here.
        assert_eq!(price("19.99"), Ok(1999));
        assert_eq!(price("0.29"), Ok(29));
        assert_eq!(price("1.15"), Ok(115));
        assert_eq!(price("4.35"), Ok(435));
        assert_eq!(price("20"), Ok(2000));
        assert_eq!(price("20.0"), Ok(2000));
    }

    #[test]
    fn a_price_must_be_positive_and_bounded() {
        assert_eq!(price("0"), Err("must be greater than 0".into()));
        assert_eq!(price("-5"), Err("must not be negative".into()));
        assert_eq!(price("-0.5"), Err("must not be negative".into()));
        assert_eq!(price("1000000"), Ok(MAX_CENTS));
        assert!(price("1000000.01").is_err());
        assert!(price("1e300").is_err());
    }

    #[test]
    fn text_that_is_not_a_plain_number_is_refused() {
        for bad in [
            "", "abc", "1.", ".5", "1,5", "1.2.3", "+5", "0x10", "1e", "NaN",
        ] {
            assert_eq!(cents(bad), Err("must be a number".into()), "{bad:?}");
        }
    }

    #[test]
    fn cents_print_as_a_number_with_at_most_two_decimals() {
        let json = |c| serde_json::to_string(&Cents(c)).unwrap();
        assert_eq!(json(1999), "19.99");
        assert_eq!(json(10), "0.1");
        assert_eq!(json(7), "0.07");
        assert_eq!(json(2000), "20.0");
        assert_eq!(json(MAX_CENTS - 1), "999999.99");
        for c in (0..MAX_CENTS).step_by(9_973) {
            let printed = json(c);
            assert_eq!(cents(&printed), Ok(c), "{printed}");
        }
    }
}
