//! The after-sales report: returns (how many, why, received, refunded and for how much),
//! reviews (how many, average rating, per rating), notifications made (per kind) and their
//! mail's delivery (sent, failed attempts, refused, delayed; per kind and per day), over a
//! range of days or all time (the dashboard's `afterSales`).

use mongodb::Database;
use shared::{
    ApiError, Money,
    api::reports::{
        AfterSales, MailDay, MailFigures, NotificationFigures, ReturnFigures, ReviewFigures,
    },
};

use crate::{
    domain::{DayRange, figures::rounded_div},
    store::aftersales::{self, DELAYED_AFTER_MINUTES, MailCounts},
};

/// `{returns: {requested, received, refunded, refundedAmount, byReason}, reviews: {count,
/// averageRating, byRating}, notifications: {count, byKind, mail: {sent, failedAttempts,
/// failed, delayed, delayedAfterMinutes, byKind, byDay}}}`; with `period` when ranged.
/// The average rating has two decimals (`null` without reviews).
pub async fn summary(db: &Database, range: Option<DayRange>) -> Result<AfterSales, ApiError> {
    let returns = aftersales::returns(db, range).await?;
    let reviews = aftersales::reviews(db, range).await?;
    let notifications = aftersales::notifications(db, range).await?;
    let mail = aftersales::mail(db, range).await?;
    let average = (reviews.count > 0)
        .then(|| rounded_div(reviews.rating_sum * 100, reviews.count) as f64 / 100.0);
    Ok(AfterSales {
        period: range.map(DayRange::span),
        returns: ReturnFigures {
            requested: returns.requested,
            received: returns.received,
            refunded: returns.refunded,
            refunded_amount: Money::from_cents(returns.refunded_cents),
            by_reason: returns.by_reason,
        },
        reviews: ReviewFigures {
            count: reviews.count,
            average_rating: average,
            by_rating: reviews.by_rating,
        },
        notifications: NotificationFigures {
            count: notifications.values().sum::<i64>(),
            by_kind: notifications,
            mail: MailFigures {
                sent: mail.total.sent,
                failed_attempts: mail.total.failed_attempts,
                failed: mail.total.failed,
                delayed: mail.total.delayed,
                delayed_after_minutes: DELAYED_AFTER_MINUTES,
                by_kind: mail
                    .by_kind
                    .iter()
                    .map(|(kind, c)| (kind.clone(), counts(c)))
                    .collect(),
                by_day: mail
                    .by_day
                    .iter()
                    .map(|(day, c)| MailDay {
                        date: day.clone(),
                        sent: c.sent,
                        failed_attempts: c.failed_attempts,
                        failed: c.failed,
                        delayed: c.delayed,
                    })
                    .collect(),
            },
        },
    })
}

fn counts(c: &MailCounts) -> shared::api::reports::MailCounts {
    shared::api::reports::MailCounts {
        sent: c.sent,
        failed_attempts: c.failed_attempts,
        failed: c.failed,
        delayed: c.delayed,
    }
}
