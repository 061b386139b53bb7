//! Notification queries and bodies: a customer's in-app notifications and mail preferences.

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules;

/// `GET /notifications`: the caller's own, newest first, with `meta.unread`.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationFilter {
    /// Only unread (`true`) or only read (`false`) notifications.
    #[garde(inner(custom(rules::one_of(&["true", "false"]))))]
    #[param(value_type = Option<bool>)]
    pub unread: Option<String>,
}

/// The query of that list: its filters and its [`Paging`](super::query::Paging).
pub type NotificationQuery = super::query::Paged<NotificationFilter>;

/// `PATCH /notifications/preferences`: what the caller wants by mail; a field left out is
/// left as it is. The in-app notification is made whatever is chosen here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreferencesPatch {
    /// Mail, per kind.
    #[garde(dive)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailPreferencesPatch>,
}

/// Which kinds of notification are also mailed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailPreferencesPatch {
    /// Orders placed, shipped, delivered, rejected or cancelled.
    #[garde(skip)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders: Option<bool>,
    /// Payments declined and refunds issued.
    #[garde(skip)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payments: Option<bool>,
    /// Loyalty tiers reached.
    #[garde(skip)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loyalty: Option<bool>,
    /// A wished product back in stock or cheaper.
    #[garde(skip)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wishlist: Option<bool>,
}

/// One of the caller's notifications (`GET /notifications`, `POST /notifications/{id}/read`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Notification {
    /// Id, 24 hex digits.
    pub id: String,
    /// Whose it is.
    pub customer_id: String,
    /// What happened: `order.placed`, `order.shipped`, `order.delivered`, `order.rejected`,
    /// `order.cancelled`, `payment.declined`, `refund.issued`, `loyalty.tier`,
    /// `return.requested`, `return.received`, ...
    pub kind: String,
    /// The preference it is mailed under.
    pub category: Category,
    /// One line.
    pub title: String,
    /// A sentence or two.
    pub message: String,
    /// The order it is about, if any.
    pub order_id: Option<String>,
    /// Figures of the event (amount, tier, ...).
    #[schema(value_type = Object)]
    pub details: serde_json::Map<String, serde_json::Value>,
    /// Whether the caller read it.
    pub read: bool,
    /// When (RFC 3339).
    pub read_at: Option<String>,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// The event it was made from.
    pub event_id: String,
}

/// The mail preference a notification falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Category {
    Orders,
    Payments,
    Loyalty,
    Wishlist,
    /// The staff's weekly sales report.
    Reports,
}

/// `GET` and `PATCH /notifications/preferences`: what the caller has mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Preferences {
    /// Mail per category (in-app notifications are always made).
    pub email: EmailPreferences,
}

/// Which categories are mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailPreferences {
    /// Orders placed, shipped, delivered (and returns).
    pub orders: bool,
    /// Payments declined and refunds issued.
    pub payments: bool,
    /// Loyalty tiers reached.
    pub loyalty: bool,
    /// A wished product back in stock or cheaper.
    pub wishlist: bool,
}

/// What became of one attempt to mail a notification: the payload of `notification.mailed`
/// (`outcome: "sent"`) and `notification.mail_failed` (`"retry"` or `"failed"`), published by
/// alert-service through the notification's outbox and counted by analytics-service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailDelivery {
    /// The notification mailed.
    pub notification_id: String,
    /// Whose it is.
    pub customer_id: String,
    /// Its kind (`order.shipped`, `refund.issued`, ...).
    pub kind: String,
    /// `sent`, `retry` (a transient failure: tried again later) or `failed` (refused for good).
    pub outcome: String,
    /// The attempt's number, from 1.
    pub attempt: u32,
    /// When the mail was queued (RFC 3339, milliseconds).
    pub queued_at: String,
    /// When this attempt ended (RFC 3339, milliseconds).
    pub at: String,
    /// `at - queuedAt`, in milliseconds: how long the mail had waited by then.
    pub waited_ms: i64,
    /// Why it failed (the SMTP server's answer), on a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /notifications/read-all`: how many were unread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Marked {
    /// Notifications marked read now.
    pub marked: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ApiError, api};

    #[test]
    fn a_preferences_patch_reads_what_is_given_and_refuses_unknown_fields() {
        let patch =
            api::parse::<PreferencesPatch>(br#"{"email": {"orders": false}}"#).expect("a patch");
        let email = patch.email.expect("email");
        assert_eq!((email.orders, email.payments), (Some(false), None));
        let Err(ApiError::Validation { details, .. }) =
            api::parse::<PreferencesPatch>(br#"{"email": {"orders": "no"}}"#)
        else {
            panic!("a string is not a flag");
        };
        assert!(details.to_string().contains("orders"), "{details}");
        assert!(api::parse::<PreferencesPatch>(br#"{"sms": {}}"#).is_err());
    }

    #[test]
    fn a_notification_query_names_a_bad_flag() {
        let Err(ApiError::Validation { details, .. }) =
            api::query::parse::<NotificationQuery>(Some("unread=maybe&limit=0"))
        else {
            panic!("refused");
        };
        for field in ["unread", "limit"] {
            assert!(details.get(field).is_some(), "{field}: {details}");
        }
    }
}
