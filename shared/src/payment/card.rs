//! The card rules every provider and the API share: digits, Luhn, brand by prefix, expiry
//! against today, cvc. Pure functions (today is an argument), so they are tested without a clock.

use chrono::{Datelike, NaiveDate};

/// Fewest and most digits of a card number (ISO/IEC 7812 allows 8..19; no network issues
/// fewer than 12 today).
pub const NUMBER_DIGITS: std::ops::RangeInclusive<usize> = 12..=19;

/// Furthest ahead an expiry year may be: cards are issued for at most a few years, so a year
/// beyond this is a typo.
pub const MAX_YEARS_AHEAD: i32 = 20;

/// The number's digits with spaces removed, or why it is not a card number.
pub fn digits(number: &str) -> Result<String, &'static str> {
    let digits: String = number.chars().filter(|c| *c != ' ').collect();
    if digits.is_empty() {
        return Err("must not be empty");
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must hold only digits (and spaces)");
    }
    if !NUMBER_DIGITS.contains(&digits.len()) {
        return Err("must have 12 to 19 digits");
    }
    if !luhn(&digits) {
        return Err("is not a valid card number (Luhn check failed)");
    }
    Ok(digits)
}

/// The Luhn checksum of a string of ASCII digits (anything else fails).
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// The card network by the number's prefix: `visa`, `mastercard`, `amex`, `discover`, or
/// `unknown` (still accepted: the test provider approves any Luhn-valid number).
pub fn brand(digits: &str) -> &'static str {
    let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok());
    let in_range =
        |n: usize, low: u32, high: u32| prefix(n).is_some_and(|p| (low..=high).contains(&p));
    if digits.starts_with('4') {
        "visa"
    } else if in_range(2, 51, 55) || in_range(4, 2221, 2720) {
        "mastercard"
    } else if in_range(2, 34, 34) || in_range(2, 37, 37) {
        "amex"
    } else if digits.starts_with("6011") || in_range(3, 644, 649) || digits.starts_with("65") {
        "discover"
    } else {
        "unknown"
    }
}

/// Why a month is not a card's expiry month, given its year and today; `None` when fine. A
/// card is good through the last day of its month.
pub fn month_problem(month: i64, year: i64, today: NaiveDate) -> Option<&'static str> {
    if !(1..=12).contains(&month) {
        Some("must be from 1 to 12")
    } else if year == i64::from(today.year()) && month < i64::from(today.month()) {
        Some("the card has expired")
    } else {
        None
    }
}

/// Why a year is not a card's expiry year, given today; `None` when fine.
pub fn year_problem(year: i64, today: NaiveDate) -> Option<String> {
    let now = i64::from(today.year());
    if year < now {
        Some("the card has expired".to_owned())
    } else if year > now + i64::from(MAX_YEARS_AHEAD) {
        Some(format!(
            "must be a four-digit year at most {MAX_YEARS_AHEAD} years ahead"
        ))
    } else {
        None
    }
}

/// Why a card verification code is not one; `None` when fine.
pub fn cvc_problem(cvc: &str) -> Option<&'static str> {
    let ok = (3..=4).contains(&cvc.len()) && cvc.bytes().all(|b| b.is_ascii_digit());
    (!ok).then_some("must be 3 or 4 digits")
}

/// Today in UTC, the day expiry is measured against.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}
