//! The after-sales report: returns (how many, why, received, refunded and for how much),
//! reviews (how many, average rating, per rating), notifications made (per kind) and their
//! mail's delivery (sent, failed attempts, refused, delayed; per kind and per day), over a
//! range of days or all time (the dashboard's `afterSales`).

use mongodb::Database;
use serde_json::{Value, json};
use shared::{ApiError, Money};

use crate::{
    domain::{DayRange, figures::rounded_div},
    store::aftersales::{self, DELAYED_AFTER_MINUTES, MailCounts},
};

/// `{returns: {requested, received, refunded, refundedAmount, byReason}, reviews: {count,
/// averageRating, byRating}, notifications: {count, byKind, mail: {sent, failedAttempts,
/// failed, delayed, delayedAfterMinutes, byKind, byDay}}}`; with `period` when ranged.
/// The average rating has two decimals (`null` without reviews).
pub async fn summary(db: &Database, range: Option<DayRange>) -> Result<Value, ApiError> {
    let returns = aftersales::returns(db, range).await?;
    let reviews = aftersales::reviews(db, range).await?;
    let notifications = aftersales::notifications(db, range).await?;
    let mail = aftersales::mail(db, range).await?;
    let mail_by_kind: serde_json::Map<String, Value> = mail
        .by_kind
        .iter()
        .map(|(kind, c)| (kind.clone(), counts(c)))
        .collect();
    let mail_by_day: Vec<Value> = mail
        .by_day
        .iter()
        .map(|(day, c)| {
            let mut row = counts(c);
            row["date"] = json!(day);
            row
        })
        .collect();
    let average = (reviews.count > 0)
        .then(|| rounded_div(reviews.rating_sum * 100, reviews.count) as f64 / 100.0);
    let mut body = json!({
        "returns": {
            "requested": returns.requested,
            "received": returns.received,
            "refunded": returns.refunded,
            "refundedAmount": Money::from_cents(returns.refunded_cents),
            "byReason": returns.by_reason,
        },
        "reviews": {
            "count": reviews.count,
            "averageRating": average,
            "byRating": reviews.by_rating,
        },
        "notifications": {
            "count": notifications.values().sum::<i64>(),
            "byKind": notifications,
            "mail": {
                "sent": mail.total.sent,
                "failedAttempts": mail.total.failed_attempts,
                "failed": mail.total.failed,
                "delayed": mail.total.delayed,
                "delayedAfterMinutes": DELAYED_AFTER_MINUTES,
                "byKind": mail_by_kind,
                "byDay": mail_by_day,
            },
        },
    });
    if let Some(range) = range {
        body["period"] =
            json!({ "from": range.from.text(), "to": range.to.text(), "days": range.len() });
    }
    Ok(body)
}

fn counts(c: &MailCounts) -> Value {
    json!({ "sent": c.sent, "failedAttempts": c.failed_attempts, "failed": c.failed,
        "delayed": c.delayed })
}
