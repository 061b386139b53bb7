//! [`Problems`]: every bad field of a request gathered before answering, so a client learns
//! about all of them in one 400 instead of one per round trip.

use std::{collections::BTreeMap, fmt::Display};

use serde_json::Value;

use super::ApiError;

/// Field path (`price`, `items[2].quantity`, `address.city`) to its problem, in path order.
/// The first problem recorded for a field is kept: it is the most basic one (`is required`
/// before anything about the value).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Problems(BTreeMap<String, String>);

impl Problems {
    /// No problems yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `problem` for `field`, unless that field already has one.
    pub fn add(&mut self, field: impl Into<String>, problem: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| problem.into());
    }

    /// Records `problem` for `field` when `ok` is false; answers `ok`.
    pub fn ensure(
        &mut self,
        ok: bool,
        field: impl Into<String>,
        problem: impl Into<String>,
    ) -> bool {
        if !ok {
            self.add(field, problem);
        }
        ok
    }

    /// Passes `result`'s value on, or records its error under `field`.
    pub fn check<T, E: Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(problem) => {
                self.add(field, problem.to_string());
                None
            }
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fields with a problem, in path order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The problem recorded for `field`.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    /// `Ok` when nothing was recorded; otherwise one 400 naming every field.
    pub fn into_result(self) -> Result<(), ApiError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.into_error())
        }
    }

    /// One 400 `VALIDATION_ERROR`: the message names the field and its problem when there is
    /// one (as [`ApiError::field`] does), or lists the fields; `details` maps each to its problem.
    pub fn into_error(self) -> ApiError {
        let names: Vec<&str> = self.0.keys().map(String::as_str).collect();
        let message = match names.as_slice() {
            [one] => format!("{one}: {}", self.0[*one]),
            many => format!("invalid fields: {}", many.join(", ")),
        };
        let details = self.0.into_iter().map(|(k, v)| (k, Value::String(v)));
        ApiError::Validation {
            message,
            details: Value::Object(details.collect()),
        }
    }
}

impl From<Problems> for ApiError {
    fn from(problems: Problems) -> Self {
        problems.into_error()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validation(problems: Problems) -> (String, Value) {
        match problems.into_error() {
            ApiError::Validation { message, details } => (message, details),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn every_field_is_named_in_the_details() {
        let mut problems = Problems::new();
        problems.add("price", "must be greater than 0");
        problems.add("name", "must not be empty");

        let (message, details) = validation(problems);

        assert_eq!(details["name"], "must not be empty");
        assert_eq!(details["price"], "must be greater than 0");
        assert_eq!(message, "invalid fields: name, price");
    }

    #[test]
    fn the_first_problem_of_a_field_is_kept() {
        let mut problems = Problems::new();
        problems.add("name", "is required");
        problems.add("name", "must not be empty");
        assert_eq!(problems.get("name"), Some("is required"));
    }

    #[test]
    fn one_bad_field_is_named_with_its_problem_in_the_message() {
        let mut problems = Problems::new();
        problems.add("phone", "must be a phone number");
        let (message, _) = validation(problems);
        assert_eq!(message, "phone: must be a phone number");
    }

    #[test]
    fn check_keeps_good_values_and_records_errors() {
        let mut problems = Problems::new();
        let good: Option<u8> = problems.check("a", Ok::<_, String>(1));
        let bad: Option<u8> = problems.check("b", Err("must be small"));
        assert_eq!((good, bad), (Some(1), None));
        assert_eq!(problems.get("b"), Some("must be small"));
    }

    #[test]
    fn ensure_records_only_what_does_not_hold() {
        let mut problems = Problems::new();
        assert!(problems.ensure(true, "page", "must be at least 1"));
        assert!(problems.into_result().is_ok());
        let mut problems = Problems::new();
        assert!(!problems.ensure(false, "page", "must be at least 1"));
        assert!(problems.into_result().is_err());
    }
}
