//! Name, phone and address, each with its own `parse` (the email has `email`).

use serde::{Deserialize, Serialize};
use shared::Problems;

/// A display name: 1 to 100 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    /// Parses a name.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        match name.chars().count() {
            0 => Err("must not be empty".to_owned()),
            1..=100 => Ok(Self(name.to_owned())),
            _ => Err("must be at most 100 characters".to_owned()),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number: digits with optional `+`, spaces, dashes, dots and parentheses; 5 to 30
/// characters and at least 5 digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Parses a phone number.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let phone = raw.trim();
        let allowed = phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        if allowed && (5..=30).contains(&phone.len()) && digits >= 5 {
            Ok(Self(phone.to_owned()))
        } else {
            Err("must be a phone number (digits, spaces, + - ( ) .)".to_owned())
        }
    }

    /// The number as given, trimmed.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// A postal address; every part is required and at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Street and number.
    pub street: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip_code: String,
    /// Country.
    pub country: String,
}

impl Address {
    /// Checks every part, recording problems under `address.<part>`.
    pub fn parse(raw: &Address, problems: &mut Problems) -> Option<Self> {
        let mut part = |name: &str, value: &str| {
            let value = value.trim();
            let result = match value.chars().count() {
                0 => Err("must not be empty".to_owned()),
                1..=200 => Ok(value.to_owned()),
                _ => Err("must be at most 200 characters".to_owned()),
            };
            problems.check(&format!("address.{name}"), result)
        };
        let street = part("street", &raw.street);
        let city = part("city", &raw.city);
        let zip_code = part("zipCode", &raw.zip_code);
        let country = part("country", &raw.country);
        Some(Self {
            street: street?,
            city: city?,
            zip_code: zip_code?,
            country: country?,
        })
    }
}

#[cfg(test)]
mod tests {
    use shared::ApiError;

    use super::*;
    use crate::domain::Email;

    #[test]
    fn names_must_have_content_and_a_bounded_length() {
        assert!(Name::parse("  ").is_err());
        assert!(Name::parse(&"x".repeat(101)).is_err());
        assert_eq!(Name::parse(" Alex Demo ").unwrap().as_str(), "Alex Demo");
    }

    #[test]
    fn phones_take_digits_and_the_usual_punctuation() {
        assert!(Phone::parse("+1 (555) 010-2030").is_ok());
        assert!(Phone::parse("call me").is_err());
        assert!(Phone::parse("12").is_err());
    }

    #[test]
    fn problems_name_every_bad_field() {
        let mut problems = Problems::default();
        problems.check("email", Email::parse("nope"));
        problems.check("name", Name::parse(""));
        let err = problems.into_result().unwrap_err();
        let ApiError::Validation { details, .. } = err else {
            panic!("not a validation error")
        };
        assert!(
            details.get("email").is_some() && details.get("name").is_some(),
            "{details}"
        );
    }
}
