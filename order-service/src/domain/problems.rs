//! Field name to problem, gathered so that one answer names every bad field.

use std::collections::BTreeMap;

use shared::ApiError;

/// Problems found in a request, by field path (`items[2].quantity`).
#[derive(Debug, Default)]
pub struct Problems(BTreeMap<String, String>);

impl Problems {
    /// Records a problem with `field`; the first one recorded for a field is kept.
    pub fn add(&mut self, field: impl Into<String>, problem: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| problem.into());
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problem recorded for `field`.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    /// `Ok` when nothing was recorded; otherwise one 400 naming every field.
    pub fn into_result(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(self.into_error())
    }

    /// One 400 naming every recorded field.
    pub fn into_error(self) -> ApiError {
        let fields: Vec<&str> = self.0.keys().map(String::as_str).collect();
        ApiError::Validation {
            message: format!("invalid fields: {}", fields.join(", ")),
            details: serde_json::to_value(&self.0).unwrap_or_default(),
        }
    }
}
