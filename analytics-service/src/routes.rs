//! analytics-service's routes, every one admin-only.

pub mod analytics;
pub mod dashboard;
pub mod dead_letters;
pub mod rebuild;

use axum::extract::rejection::QueryRejection;
use serde::Deserialize;
use shared::ApiError;

use crate::domain::{Day, DayRange};

/// `?from=YYYY-MM-DD&to=YYYY-MM-DD`, or `?days=N` ending today: the period a report covers.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    /// First day.
    pub from: Option<String>,
    /// Last day.
    pub to: Option<String>,
    /// Days ending today, instead of `from`/`to`.
    pub days: Option<i64>,
}

/// A query string's parse error, naming `query`.
pub fn bad_query(e: QueryRejection) -> ApiError {
    ApiError::field("query", e.body_text())
}

/// `from`/`to` (`YYYY-MM-DD`), or the `days` days ending today (`default_days` without any).
pub fn range(
    from: Option<&str>,
    to: Option<&str>,
    days: Option<i64>,
    default_days: i64,
) -> Result<DayRange, ApiError> {
    match (from, to) {
        (Some(from), Some(to)) => {
            let from = Day::parse(from).map_err(|e| ApiError::field("from", e))?;
            let to = Day::parse(to).map_err(|e| ApiError::field("to", e))?;
            DayRange::new(from, to).map_err(|e| ApiError::field("to", e))
        }
        (Some(_), None) => Err(ApiError::field("to", "is required with from")),
        (None, Some(_)) => Err(ApiError::field("from", "is required with to")),
        (None, None) => {
            let days = days.unwrap_or(default_days);
            if !(1..=DayRange::MAX_DAYS).contains(&days) {
                return Err(ApiError::field(
                    "days",
                    format!("must be between 1 and {}", DayRange::MAX_DAYS),
                ));
            }
            Ok(DayRange::ending(Day::today(), days))
        }
    }
}
