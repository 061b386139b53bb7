//! Name, phone and address, each with its own `parse` (the email has `email`).

use serde::{Deserialize, Serialize};
pub use shared::api::customers::Address;
use shared::api::rules;

/// A display name: 1 to 100 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    /// Parses a name.
    pub fn parse(raw: &str) -> Result<Self, String> {
        rules::text(1, 100)(raw, &()).map_err(|e| e.message().to_owned())?;
        Ok(Self(raw.trim().to_owned()))
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
        rules::phone(raw, &()).map_err(|e| e.message().to_owned())?;
        Ok(Self(raw.trim().to_owned()))
    }

    /// The number as given, trimmed.
    pub fn into_string(self) -> String {
        self.0
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
        use shared::Problems;

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
