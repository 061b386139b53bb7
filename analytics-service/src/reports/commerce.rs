//! The checkout's reports: discounts, the order funnel and the loyalty programme, over a range
//! of days.

use std::collections::BTreeMap;

use mongodb::Database;
use shared::{
    ApiError,
    api::reports::{self, LoyaltyReport},
};

use crate::{
    domain::{
        DayRange,
        discounts::Discounts,
        funnel::Funnel,
        loyalty::{self, Points},
    },
    store::{self, rows},
};

/// `GET /analytics/discounts`: per coupon and per day, over the orders placed in `range`
/// that count.
pub async fn discounts(db: &Database, range: DayRange) -> Result<reports::Discounts, ApiError> {
    let mut report = Discounts::default();
    for row in rows::rows(db, Some(range), false).await? {
        report.add(&row);
    }
    Ok(report.report(range))
}

/// The funnel of every day of `range` (zero days included) and of the whole range.
pub async fn funnel_days(
    db: &Database,
    range: DayRange,
) -> Result<Vec<(String, Funnel)>, ApiError> {
    let mut per_day: BTreeMap<String, Funnel> = BTreeMap::new();
    for row in rows::rows(db, Some(range), false).await? {
        if let Some(day) = &row.day {
            per_day.entry(day.clone()).or_default().add(&row);
        }
    }
    Ok(range
        .days()
        .map(|d| {
            let text = d.text();
            let funnel = per_day.get(&text).copied().unwrap_or_default();
            (text, funnel)
        })
        .collect())
}

/// `GET /analytics/funnel`: `{period, days: [{date, checkedOut, created, paid, paymentFailed,
/// rejected, cancelled, delivered, ratios}], totals}`.
pub async fn funnel(db: &Database, range: DayRange) -> Result<reports::Funnel, ApiError> {
    let days = funnel_days(db, range).await?;
    let total = days.iter().fold(Funnel::default(), |t, (_, f)| t.plus(*f));
    Ok(reports::Funnel {
        period: range.span(),
        days: days
            .into_iter()
            .map(|(date, f)| f.report(Some(date)))
            .collect(),
        totals: total.report(None),
    })
}

/// Points issued, redeemed, returned and taken back per day of `range`, and customers per
/// tier now.
pub async fn loyalty(db: &Database, range: DayRange) -> Result<LoyaltyReport, ApiError> {
    let per_day: BTreeMap<String, Points> = store::loyalty::per_day(db, range).await?;
    let tiers = store::loyalty::tiers(db).await?;
    Ok(loyalty::report(range, &per_day, &tiers))
}
