//! After-sales reports: returns, reviews, notifications and mail delivery.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Span;
use crate::Money;

/// `GET /analytics/after-sales` (and the dashboard's `afterSales`): returns, reviews and
/// notifications, over a period or all time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AfterSales {
    /// The days counted; absent for all time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Span>,
    /// Returns asked for, received and refunded.
    pub returns: ReturnFigures,
    /// Reviews written.
    pub reviews: ReviewFigures,
    /// Notifications made.
    pub notifications: NotificationFigures,
}

/// The returns part of [`AfterSales`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReturnFigures {
    /// Returns asked for.
    pub requested: i64,
    /// Parcels received back.
    pub received: i64,
    /// Returns refunded.
    pub refunded: i64,
    /// Money refunded for returns.
    pub refunded_amount: Money,
    /// Returns asked for, per reason given.
    pub by_reason: BTreeMap<String, i64>,
}

/// The reviews part of [`AfterSales`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReviewFigures {
    /// Reviews written.
    pub count: i64,
    /// Their average rating, two decimals; `null` without reviews.
    pub average_rating: Option<f64>,
    /// Reviews per rating (`"1"` to `"5"`).
    pub by_rating: BTreeMap<String, i64>,
}

/// The notifications part of [`AfterSales`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationFigures {
    /// Notifications made.
    pub count: i64,
    /// Notifications per kind (`order.created`, `return.approved`, ...).
    pub by_kind: BTreeMap<String, i64>,
    /// How their mail was delivered.
    pub mail: MailFigures,
}

/// Mail delivery of notifications (from alert-service's `notification.mailed` and
/// `notification.mail_failed`): in all, per notification kind and per day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MailFigures {
    /// Mails the SMTP server accepted (each mail once, even if a crash made it go twice).
    pub sent: i64,
    /// Attempts that failed: the server down or refusing for now (tried again), or for good.
    pub failed_attempts: i64,
    /// Mails refused for good (a permanent 5xx, an address that cannot be used).
    pub failed: i64,
    /// Mails that had waited `delayedAfterMinutes` or more when an attempt was made.
    pub delayed: i64,
    /// The wait from which a mail counts as delayed.
    pub delayed_after_minutes: i64,
    /// The same counts per notification kind.
    pub by_kind: BTreeMap<String, MailCounts>,
    /// The same counts per day with any attempt, oldest first (a delayed mail counts on each
    /// day it was seen waiting).
    pub by_day: Vec<MailDay>,
}

/// Mail delivery counts of one kind of notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MailCounts {
    /// Accepted by the SMTP server.
    pub sent: i64,
    /// Failed attempts.
    pub failed_attempts: i64,
    /// Refused for good.
    pub failed: i64,
    /// Delayed.
    pub delayed: i64,
}

/// Mail delivery counts of one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MailDay {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// Accepted by the SMTP server.
    pub sent: i64,
    /// Failed attempts.
    pub failed_attempts: i64,
    /// Refused for good.
    pub failed: i64,
    /// Delayed.
    pub delayed: i64,
}
