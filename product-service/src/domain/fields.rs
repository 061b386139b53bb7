//! Collecting every problem of an input before answering, so a client learns about all of its
//! bad fields at once instead of one per round trip.

use std::collections::BTreeMap;

use shared::ApiError;

/// Field name to problem, in name order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    /// No problems yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `problem` for `field`; the first problem of a field wins.
    pub fn add(&mut self, field: impl Into<String>, problem: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| problem.into());
    }

    /// Keeps `result`'s value, or records its error under `field`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(problem) => {
                self.add(field, problem);
                None
            }
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problem recorded for `field`.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    /// `Ok(value)` when nothing was recorded, else every problem as one error.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

impl From<FieldErrors> for ApiError {
    /// 400 `VALIDATION_ERROR` naming every bad field in `details`.
    fn from(errors: FieldErrors) -> Self {
        let names: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        let message = match names.as_slice() {
            [one] => format!("{one}: {}", errors.0[*one]),
            many => format!("invalid fields: {}", many.join(", ")),
        };
        let details = errors
            .0
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        ApiError::Validation {
            message,
            details: serde_json::Value::Object(details),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_named_in_the_details() {
        let mut errors = FieldErrors::new();
        errors.add("price", "must be greater than 0");
        errors.add("name", "must not be empty");
        errors.add("name", "a second problem is not recorded");

        let ApiError::Validation { message, details } = ApiError::from(errors) else {
            panic!("expected a validation error");
        };

        assert_eq!(details["name"], "must not be empty");
        assert_eq!(details["price"], "must be greater than 0");
        assert_eq!(message, "invalid fields: name, price");
    }
}
