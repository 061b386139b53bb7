//! Analytics bodies: replaying dead letters.

use garde::Validate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::rules;

/// `POST /analytics/dead-letters/replay` (body optional): which dead letters to send back;
/// all when empty.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    /// Only those that died in this queue.
    #[garde(inner(custom(rules::exact(1, 255))))]
    #[schema(min_length = 1, max_length = 255)]
    pub queue: Option<String>,
    /// Only these events (their ids).
    #[garde(custom(rules::some_items(1, 1000)), dive)]
    #[schema(min_items = 1, max_items = 1000)]
    pub ids: Option<Vec<EventId>>,
}

/// An event's id: a UUID in its 36-character form.
#[derive(Debug, Clone, Deserialize, Validate)]
#[garde(transparent)]
pub struct EventId(#[garde(custom(rules::uuid))] pub String);

super::text_schema!(
    EventId,
    36,
    36,
    "An event id: a UUID in its 36-character form"
);

/// The longest report period, in days.
pub const MAX_DAYS: i64 = 3660;

/// A report's period: `from` and `to` (both, `from` not after `to`, at most 3660 days), or the
/// `days` days ending today; the report's default without either.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// First day, `YYYY-MM-DD` (with `to`).
    #[garde(custom(both_or_neither(&self.to, "to")), inner(custom(rules::date)), custom(not_after(&self.to)))]
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (with `from`).
    #[garde(custom(both_or_neither(&self.from, "from")), inner(custom(rules::date)))]
    #[param(format = Date)]
    pub to: Option<String>,
    /// The days ending today, 1 to 3660, instead of `from` and `to`.
    #[garde(inner(custom(rules::int(1, MAX_DAYS))))]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 3660)]
    pub days: Option<String>,
}

fn both_or_neither<'a>(
    other: &'a Option<String>,
    name: &'static str,
) -> impl FnOnce(&Option<String>, &()) -> garde::Result + 'a {
    move |value, _| match (value, other) {
        (Some(_), None) => Err(garde::Error::new(format!("goes only with {name}"))),
        _ => Ok(()),
    }
}

fn not_after(to: &Option<String>) -> impl FnOnce(&Option<String>, &()) -> garde::Result + '_ {
    move |from, _| {
        let day = |s: &Option<String>| {
            s.as_deref()
                .and_then(|s| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
        };
        match (day(from), day(to)) {
            (Some(from), Some(to)) if from > to => Err(garde::Error::new("must not be after to")),
            (Some(from), Some(to)) if (to - from).num_days() + 1 > MAX_DAYS => Err(
                garde::Error::new(format!("a period spans at most {MAX_DAYS} days")),
            ),
            _ => Ok(()),
        }
    }
}

/// `GET /analytics/top-products`.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TopProducts {
    /// How many, 1 to 100 (default 10).
    #[garde(inner(custom(rules::int(1, 100))))]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

/// `GET /analytics/dead-letters`.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadLetterList {
    /// How many, oldest first, 1 to 1000 (default 100).
    #[garde(inner(custom(rules::int(1, 1000))))]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

/// `POST /analytics/reports/weekly`: which week to mail the staff; the last closed one
/// (Monday to Sunday before this week) when the body is left out.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyRequest {
    /// An ISO week, `YYYY-Www` (e.g. `2026-W49`), that has closed.
    #[garde(inner(custom(iso_week)))]
    #[schema(pattern = r"^\d{4}-W\d{2}$")]
    pub week: Option<String>,
}

/// The Monday of the ISO week `YYYY-Www`, when that week exists (`2026-W53` does,
/// `2025-W53` does not).
pub fn iso_week_monday(text: &str) -> Option<chrono::NaiveDate> {
    let (year, week) = text.split_once("-W")?;
    (text.len() == 8).then_some(())?;
    let (year, week) = (year.parse::<i32>().ok()?, week.parse::<u32>().ok()?);
    chrono::NaiveDate::from_isoywd_opt(year, week, chrono::Weekday::Mon)
}

/// An ISO week that exists and has closed.
fn iso_week(value: &str, _: &()) -> garde::Result {
    match iso_week_monday(value) {
        None => Err(garde::Error::new("must be an ISO week as YYYY-Www")),
        Some(monday) if monday + chrono::Duration::days(7) > chrono::Utc::now().date_naive() => {
            Err(garde::Error::new("must be a week that has closed"))
        }
        Some(_) => Ok(()),
    }
}
