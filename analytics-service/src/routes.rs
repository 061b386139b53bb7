//! analytics-service's routes, every one admin-only but `POST /events` (the clickstream).

pub mod analytics;
pub mod clickstream;
pub mod dashboard;
pub mod dead_letters;
pub mod rebuild;

use shared::{
    ApiError,
    api::{analytics::Period, query::number},
};

use crate::domain::{Day, DayRange};

/// The range of a checked period (`shared::api::analytics::Period`, the gateway's check too).
pub fn period(query: &Period, default_days: i64) -> Result<DayRange, ApiError> {
    let days = query.days.as_ref().map(|d| number(Some(d), default_days));
    range(
        query.from.as_deref(),
        query.to.as_deref(),
        days,
        default_days,
    )
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
