//! An alert: what happened, how bad it is, what it is about and whom it concerns.

use chrono::{DateTime, SecondsFormat, Utc};

pub use shared::api::alerts::{Alert, Entity, Severity, Topic};

/// An alert as a rule makes it, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    /// The routing key of the event it came from, e.g. `order.created`.
    pub kind: String,
    /// Its topic.
    pub topic: Topic,
    /// How urgent.
    pub severity: Severity,
    /// One line.
    pub title: String,
    /// A sentence or two.
    pub message: String,
    /// What it is about.
    pub entity: Entity,
    /// The customer it concerns, if any; that customer sees it too.
    pub customer_id: Option<String>,
}

/// A time as RFC 3339 with milliseconds.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_topics_the_api_checks_are_the_topics_there_are() {
        let mut names: Vec<&str> = Topic::ALL.iter().map(|t| t.as_str()).collect();
        names.push("all");
        assert_eq!(names, shared::api::alerts::TOPICS);
        for severity in shared::api::alerts::SEVERITIES {
            assert!(severity.parse::<Severity>().is_ok(), "{severity}");
        }
    }
}
