//! Calendar days in UTC, written `YYYY-MM-DD`, and inclusive ranges of them. Read models keep
//! the day as this text so that ranges compare as strings (the MongoDB stand-in cannot match
//! two range operators on one date field in an aggregation).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use shared::api::reports::Span;

/// One UTC calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(NaiveDate);

impl Day {
    /// `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Self, String> {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map(Self)
            .map_err(|_| format!("must be a date as YYYY-MM-DD, got {text:?}"))
    }

    /// The UTC day of an instant.
    pub fn of(at: DateTime<Utc>) -> Self {
        Self(at.date_naive())
    }

    /// The UTC day of an RFC 3339 time.
    pub fn of_rfc3339(text: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| Self::of(t.with_timezone(&Utc)))
    }

    /// Today, in UTC.
    pub fn today() -> Self {
        Self::of(Utc::now())
    }

    /// `n` days later (earlier when negative).
    pub fn plus(self, n: i64) -> Self {
        Self(self.0 + Duration::days(n))
    }

    /// `YYYY-MM-DD`.
    pub fn text(self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }

    /// The Monday of its ISO week.
    pub fn monday(self) -> Self {
        use chrono::Datelike;
        self.plus(-i64::from(self.0.weekday().num_days_from_monday()))
    }

    /// Its ISO week, `YYYY-Www` (the year the week belongs to, which near New Year may be
    /// the day's next or previous one).
    pub fn iso_week(self) -> String {
        use chrono::Datelike;
        let week = self.0.iso_week();
        format!("{}-W{:02}", week.year(), week.week())
    }

    /// The Monday of the ISO week `YYYY-Www`.
    pub fn of_iso_week(text: &str) -> Result<Self, String> {
        shared::api::analytics::iso_week_monday(text.trim())
            .map(Self)
            .ok_or_else(|| format!("must be an ISO week as YYYY-Www, got {text:?}"))
    }
}

/// An inclusive range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    /// The first day.
    pub from: Day,
    /// The last day.
    pub to: Day,
}

impl DayRange {
    /// The longest range a query may ask for.
    pub const MAX_DAYS: i64 = 3660;

    /// `from..=to`, refusing a reversed or overlong range.
    pub fn new(from: Day, to: Day) -> Result<Self, String> {
        if to < from {
            return Err("must not be before from".to_owned());
        }
        let range = Self { from, to };
        if range.len() > Self::MAX_DAYS {
            return Err(format!("a range spans at most {} days", Self::MAX_DAYS));
        }
        Ok(range)
    }

    /// The `days` days ending with `to`.
    pub fn ending(to: Day, days: i64) -> Self {
        Self {
            from: to.plus(1 - days.max(1)),
            to,
        }
    }

    /// How many days it holds.
    pub fn len(self) -> i64 {
        (self.to.0 - self.from.0).num_days() + 1
    }

    /// Never empty; for clippy's sake.
    pub fn is_empty(self) -> bool {
        false
    }

    /// The range of the same length just before this one.
    pub fn previous(self) -> Self {
        Self::ending(self.from.plus(-1), self.len())
    }

    /// Every day, in order.
    pub fn days(self) -> impl Iterator<Item = Day> {
        (0..self.len()).map(move |i| self.from.plus(i))
    }

    /// As a report names it: `{from, to, days}`.
    pub fn span(self) -> Span {
        Span {
            from: self.from.text(),
            to: self.to.text(),
            days: self.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    #[test]
    fn the_previous_period_has_the_same_length_and_ends_the_day_before() {
        let range = DayRange::new(day("2026-03-01"), day("2026-03-07")).unwrap();
        let previous = range.previous();
        assert_eq!(previous.from, day("2026-02-22"));
        assert_eq!(previous.to, day("2026-02-28"));
        assert_eq!(previous.len(), 7);
    }

    #[test]
    fn ranges_include_both_ends_and_refuse_reversal() {
        let range = DayRange::new(day("2024-02-28"), day("2024-03-01")).unwrap();
        let days: Vec<String> = range.days().map(Day::text).collect();
        assert_eq!(days, ["2024-02-28", "2024-02-29", "2024-03-01"]);
        assert!(DayRange::new(day("2026-01-02"), day("2026-01-01")).is_err());
        assert!(Day::parse("2026-13-01").is_err());
    }

    #[test]
    fn an_instant_falls_on_its_utc_day() {
        assert_eq!(
            Day::of_rfc3339("2026-01-01T23:30:00-02:00").unwrap(),
            day("2026-01-02")
        );
    }
}
