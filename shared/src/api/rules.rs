//! The field rules of the request types, as garde `custom` validators with our messages. Each
//! rule is one function, so the gateway and the services cannot apply two versions of it.
//!
//! Text rules trim first: `"  "` is empty, and a name's length is counted without the
//! spaces around it. A password is the exception: it is taken exactly as typed.

use garde::{Error, Result};

use crate::Money;

/// Text of `min..=max` characters once trimmed.
pub fn text(min: usize, max: usize) -> impl FnOnce(&str, &()) -> Result {
    move |value, _| {
        let count = value.trim().chars().count();
        if count == 0 && min > 0 {
            Err(Error::new("must not be empty"))
        } else if count < min {
            Err(Error::new(format!("must be at least {min} characters")))
        } else if count > max {
            Err(Error::new(format!("must be at most {max} characters")))
        } else {
            Ok(())
        }
    }
}

/// Text of `min..=max` characters exactly as given (a password, a token).
pub fn exact(min: usize, max: usize) -> impl FnOnce(&str, &()) -> Result {
    move |value, _| match value.chars().count() {
        0 if min > 0 => Err(Error::new("must not be empty")),
        n if n < min => Err(Error::new(format!("must be at least {min} characters"))),
        n if n > max => Err(Error::new(format!("must be at most {max} characters"))),
        _ => Ok(()),
    }
}

/// A whole number in `min..=max`.
pub fn whole<T: Copy + PartialOrd + std::fmt::Display>(
    min: T,
    max: T,
) -> impl FnOnce(&T, &()) -> Result {
    move |value, _| {
        if *value < min || *value > max {
            Err(Error::new(format!("must be from {min} to {max}")))
        } else {
            Ok(())
        }
    }
}

/// Text holding a whole number in `min..=max` (a query parameter).
pub fn int(min: i64, max: i64) -> impl FnOnce(&str, &()) -> Result {
    move |value, _| match value.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(()),
        _ => Err(Error::new(format!(
            "must be a whole number from {min} to {max}"
        ))),
    }
}

/// Text holding an amount of money, zero or more, at most two decimals (a query parameter).
pub fn amount(value: &str, _: &()) -> Result {
    Money::parse(value)
        .map(drop)
        .map_err(|e| Error::new(e.to_string()))
}

/// A day as `YYYY-MM-DD`.
pub fn date(value: &str, _: &()) -> Result {
    chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map(drop)
        .map_err(|_| Error::new("must be a date as YYYY-MM-DD"))
}

/// One of `options`, exactly.
pub fn one_of(options: &'static [&'static str]) -> impl FnOnce(&str, &()) -> Result {
    move |value, _| {
        if options.contains(&value.trim()) {
            Ok(())
        } else {
            Err(Error::new(format!("must be one of {}", options.join(", "))))
        }
    }
}

/// A comma-separated list, each of `options`.
pub fn some_of(options: &'static [&'static str]) -> impl FnOnce(&str, &()) -> Result {
    move |value, _| {
        let unknown = value
            .split(',')
            .map(str::trim)
            .find(|v| !v.is_empty() && !options.contains(v));
        match unknown {
            None => Ok(()),
            Some(v) => Err(Error::new(format!(
                "{v:?} is not one of {}",
                options.join(", ")
            ))),
        }
    }
}

/// A list of `min..=max` items.
pub fn items<T>(min: usize, max: usize) -> impl FnOnce(&[T], &()) -> Result {
    move |value, _| match value.len() {
        0 if min > 0 => Err(Error::new("must not be empty")),
        n if n < min => Err(Error::new(format!("must have at least {min} items"))),
        n if n > max => Err(Error::new(format!("must have at most {max} items"))),
        _ => Ok(()),
    }
}

/// An optional list of `min..=max` items, when given.
pub fn some_items<T>(min: usize, max: usize) -> impl FnOnce(&Option<Vec<T>>, &()) -> Result {
    move |value, ctx| match value {
        Some(list) => items(min, max)(list, ctx),
        None => Ok(()),
    }
}

/// Catalog search words: up to 200 characters holding 1 to 10 distinct words.
pub fn search(value: &str, _: &()) -> Result {
    if value.chars().count() > 200 {
        return Err(Error::new("must be at most 200 characters"));
    }
    let mut words: Vec<String> = value.split_whitespace().map(str::to_lowercase).collect();
    words.sort();
    words.dedup();
    match words.len() {
        0 => Err(Error::new("must contain a word")),
        1..=10 => Ok(()),
        _ => Err(Error::new("must have at most 10 words")),
    }
}

/// A MongoDB ObjectId: 24 hex digits.
pub fn object_id(value: &str, _: &()) -> Result {
    if value.len() == 24 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(Error::new("must be a 24-character hex ObjectId"))
    }
}

/// A product's price: a number with at most two decimals, more than zero, at most
/// [`Money::MAX_PRICE`].
pub fn price(value: &serde_json::Number, _: &()) -> Result {
    Money::from_number(value)
        .and_then(Money::as_price)
        .map(drop)
        .map_err(|e| Error::new(e.to_string()))
}

/// A phone number: digits with optional `+`, spaces, dashes, dots and parentheses; 5 to 30
/// characters once trimmed and at least 5 digits.
pub fn phone(value: &str, _: &()) -> Result {
    let phone = value.trim();
    let allowed = phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if allowed && (5..=30).contains(&phone.len()) && digits >= 5 {
        Ok(())
    } else {
        Err(Error::new(
            "must be a phone number (digits, spaces, + - ( ) .)",
        ))
    }
}

/// An absolute `http` or `https` URL with a host, at most 2048 characters; empty means none.
pub fn url(value: &str, _: &()) -> Result {
    let raw = value.trim();
    if raw.is_empty() {
        return Ok(());
    }
    if raw.len() > super::MAX_URL {
        return Err(Error::new(format!(
            "must be at most {} characters",
            super::MAX_URL
        )));
    }
    let problem = || Error::new("must be an absolute http(s) URL");
    if raw.chars().any(char::is_whitespace) {
        return Err(problem());
    }
    let uri: ::http::Uri = raw.parse().map_err(|_| problem())?;
    let scheme_ok = uri
        .scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"));
    let host_ok = uri.host().is_some_and(|h| !h.is_empty());
    if scheme_ok && host_ok {
        Ok(())
    } else {
        Err(problem())
    }
}

/// An email address as [`super::email::Email::parse`] takes it.
pub fn email(value: &str, _: &()) -> Result {
    super::email::Email::parse(value)
        .map(drop)
        .map_err(Error::new)
}

/// Whether `value` is only ASCII letters, digits, `-` and `_` (an id, a SKU).
pub fn is_word(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A chat session id: 8 to 64 letters, digits, `-` or `_`.
pub fn session_id(value: &str, _: &()) -> Result {
    let ok = (8..=64).contains(&value.len()) && is_word(value);
    if ok {
        Ok(())
    } else {
        Err(Error::new("must be 8 to 64 letters, digits, '-' or '_'"))
    }
}

/// An event id: a UUID in its 36-character text form.
pub fn uuid(value: &str, _: &()) -> Result {
    uuid::Uuid::try_parse(value)
        .ok()
        .filter(|_| value.len() == 36)
        .map(drop)
        .ok_or_else(|| Error::new("must be a UUID (36 characters)"))
}

/// A card number: digits once spaces are removed, 12 to 19 of them, passing the Luhn check.
pub fn card_number(value: &str, _: &()) -> Result {
    crate::payment::digits(value).map(drop).map_err(Error::new)
}

/// A card's expiry month, 1 to 12, not already past in `year`.
pub fn card_month(year: i64) -> impl FnOnce(&i64, &()) -> Result {
    move |month, _| match crate::payment::month_problem(*month, year, crate::payment::today()) {
        Some(problem) => Err(Error::new(problem)),
        None => Ok(()),
    }
}

/// A card's expiry year: four digits, not past, at most [`crate::payment::MAX_YEARS_AHEAD`]
/// years ahead.
pub fn card_year(year: &i64, _: &()) -> Result {
    match crate::payment::year_problem(*year, crate::payment::today()) {
        Some(problem) => Err(Error::new(problem)),
        None => Ok(()),
    }
}

/// A card verification code: 3 or 4 digits.
pub fn cvc(value: &str, _: &()) -> Result {
    match crate::payment::cvc_problem(value) {
        Some(problem) => Err(Error::new(problem)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_measured_trimmed_and_in_characters() {
        assert!(text(1, 3)("  ", &()).is_err());
        assert!(text(1, 3)(" äöü ", &()).is_ok());
        assert!(text(1, 3)("abcd", &()).is_err());
        assert!(
            exact(8, 128)("        ", &()).is_ok(),
            "spaces count in a password"
        );
    }

    #[test]
    fn ids_phones_and_urls_follow_their_rules() {
        assert!(object_id("65a1b2c3d4e5f60718293a4b", &()).is_ok());
        assert!(object_id("65a1b2c3d4e5f60718293a4", &()).is_err());
        assert!(phone("+1 (555) 010-2030", &()).is_ok());
        assert!(phone("call me", &()).is_err());
        assert!(url("https://cdn.example.com/a.jpg", &()).is_ok());
        assert!(url("", &()).is_ok(), "empty means none");
        assert!(url("ftp://example.com/a", &()).is_err());
        assert!(url("https:///nohost", &()).is_err());
        assert!(session_id("abc-DEF_123", &()).is_ok());
        assert!(session_id("short", &()).is_err());
        assert!(uuid("0190c8a4-7b1e-7c3d-8e9f-0a1b2c3d4e5f", &()).is_ok());
        assert!(uuid("0190c8a47b1e7c3d8e9f0a1b2c3d4e5f", &()).is_err());
    }
}
