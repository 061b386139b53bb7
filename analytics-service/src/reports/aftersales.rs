//! The after-sales report: returns (how many, why, received, refunded and for how much),
//! reviews (how many, average rating, per rating) and notifications made (per kind), over a
//! range of days or all time (the dashboard's `afterSales`).

use mongodb::Database;
use shared::{
    ApiError, Money,
    api::reports::{AfterSales, NotificationFigures, ReturnFigures, ReviewFigures},
};

use crate::{
    domain::{DayRange, figures::rounded_div},
    store::aftersales,
};

/// `{returns: {requested, received, refunded, refundedAmount, byReason}, reviews: {count,
/// averageRating, byRating}, notifications: {count, byKind}}`; with `period` when ranged.
/// The average rating has two decimals (`null` without reviews).
pub async fn summary(db: &Database, range: Option<DayRange>) -> Result<AfterSales, ApiError> {
    let returns = aftersales::returns(db, range).await?;
    let reviews = aftersales::reviews(db, range).await?;
    let notifications = aftersales::notifications(db, range).await?;
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
        },
    })
}
