//! The weekly report (issue 19): once an ISO week has closed, its sales figures go out as one
//! `report.weekly` event, which alert-service mails to every admin.
//!
//! Once per week, whatever the replicas: the report is a `weekly_reports` document whose `_id`
//! is the week (`2026-W49`), inserted with its event staged in the same write (the outbox
//! relay publishes it), so a second replica, a restart or an admin's `POST
//! /analytics/reports/weekly` for the same week finds the document and sends nothing again.
//! The schedule ([`spawn_schedule`]) looks every few minutes: from the configured hour on
//! Monday (UTC), the week before is due; a service that was down then sends it when it
//! comes back, as long as it is that week still.

use std::time::Duration;

use bson::{Document, doc};
use mongodb::Database;
use shared::{
    ApiError,
    api::reports::WeeklyReport,
    events::{Envelope, keys},
    outbox::{self, Nudge},
    store::is_duplicate_key,
};
use tokio_util::sync::CancellationToken;

use super::sales::{self, Sales};
use crate::domain::{Day, DayRange};

/// The events' source.
const SOURCE: &str = "analytics-service";
/// The collection of issued weekly reports (`_id` = the ISO week).
pub const COLLECTION: &str = "weekly_reports";
/// Best sellers a weekly report names.
pub const TOP: usize = 5;
/// How often the schedule looks whether a week is due.
const LOOK_EVERY: Duration = Duration::from_secs(300);

/// The last week that has closed before `today`: Monday to Sunday.
pub fn last_closed_week(today: Day) -> DayRange {
    let monday = today.monday().plus(-7);
    DayRange::ending(monday.plus(6), 7)
}

/// The week `YYYY-Www`, Monday to Sunday.
pub fn week_named(text: &str) -> Result<DayRange, String> {
    let monday = Day::of_iso_week(text)?;
    Ok(DayRange::ending(monday.plus(6), 7))
}

/// The figures of `week` as the event carries them.
pub fn summary(sales: &Sales, week: DayRange) -> WeeklyReport {
    let totals = sales.totals();
    let d = &sales.discounts.totals;
    let discounts = shared::Money::from_cents(
        d.coupon_discount.cents()
            + d.coupon_shipping.cents()
            + d.tier_discount.cents()
            + d.points_discount.cents(),
    );
    let span = week.span();
    let query = format!("from={}&to={}", span.from, span.to);
    WeeklyReport {
        week: week.from.iso_week(),
        orders: totals.orders,
        gross: totals.gross,
        refunds: totals.refunds,
        net: totals.net,
        discounts,
        returns: sales.returns.requested,
        top: sales.top.iter().take(TOP).cloned().collect(),
        pdf: format!("/api/analytics/reports/sales.pdf?{query}"),
        csv: format!("/api/analytics/reports/sales.csv?{query}"),
        period: span,
    }
}

/// Issues the report of `week` unless it was issued before: the report, and whether this call
/// issued it.
#[tracing::instrument(skip(db, nudge))]
pub async fn issue(
    db: &Database,
    nudge: &Nudge,
    week: DayRange,
    correlation: &str,
) -> Result<(WeeklyReport, bool), ApiError> {
    let name = week.from.iso_week();
    let collection = db.collection::<Document>(COLLECTION);
    if let Some(found) = collection.find_one(doc! { "_id": &name }).await? {
        return Ok((stored(&found)?, false));
    }
    let sales = sales::gather(db, week).await?;
    let report = summary(&sales, week);
    let event = Envelope::new(
        keys::REPORT_WEEKLY,
        SOURCE,
        correlation,
        serde_json::to_value(&report).map_err(ApiError::internal)?,
    );
    let mut document = doc! {
        "_id": &name,
        "report": bson::to_bson(&report).map_err(ApiError::internal)?,
        "createdAt": chrono::Utc::now().timestamp_millis(),
    };
    document.extend(outbox::initial(&[event]).map_err(ApiError::internal)?);
    match collection.insert_one(document).await {
        Ok(_) => {
            nudge.nudge();
            metrics::counter!("weekly_reports_issued_total").increment(1);
            tracing::info!(week = %name, net = %report.net, "weekly report issued");
            Ok((report, true))
        }
        // Another replica (or request) issued it first: theirs is the report.
        Err(e) if is_duplicate_key(&e) => {
            let found = collection
                .find_one(doc! { "_id": &name })
                .await?
                .ok_or_else(|| ApiError::internal("a weekly report vanished"))?;
            Ok((stored(&found)?, false))
        }
        Err(e) => Err(e.into()),
    }
}

fn stored(document: &Document) -> Result<WeeklyReport, ApiError> {
    let report = document.get("report").cloned().unwrap_or_default();
    bson::from_bson(report).map_err(ApiError::internal)
}

/// From `hour` o'clock (UTC) on Mondays, issues the week before, once; looks again every few
/// minutes until `cancel` fires. A failure (MongoDB down) is tried again at the next look; a
/// panic restarts the schedule (`shared::supervise`).
pub fn spawn_schedule(db: Database, nudge: Nudge, hour: u32, cancel: CancellationToken) {
    let stop = cancel.clone();
    drop(shared::supervise::spawn(
        "weekly-report",
        cancel,
        move || {
            let (db, nudge, cancel) = (db.clone(), nudge.clone(), stop.clone());
            async move { run_schedule(&db, &nudge, hour, &cancel).await }
        },
    ));
}

async fn run_schedule(db: &Database, nudge: &Nudge, hour: u32, cancel: &CancellationToken) {
    loop {
        let now = chrono::Utc::now();
        let today = Day::of(now);
        let due = today != today.monday() || chrono::Timelike::hour(&now) >= hour;
        if due {
            let week = last_closed_week(today);
            let correlation = shared::telemetry::new_request_id();
            if let Err(error) = issue(db, nudge, week, &correlation).await {
                tracing::warn!(%error, "cannot issue the weekly report yet");
            }
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(LOOK_EVERY) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Day {
        Day::parse(text).unwrap()
    }

    #[test]
    fn the_last_closed_week_is_the_monday_to_sunday_before_this_one() {
        for today in ["2026-12-07", "2026-12-09", "2026-12-13"] {
            let week = last_closed_week(day(today));
            assert_eq!(
                (week.from.text(), week.to.text()),
                ("2026-11-30".into(), "2026-12-06".into()),
                "{today}"
            );
            assert_eq!(week.from.iso_week(), "2026-W49");
        }
        let sunday = last_closed_week(day("2026-12-06"));
        assert_eq!(
            sunday.from.text(),
            "2026-11-23",
            "on Sunday the week is not over"
        );
    }

    #[test]
    fn weeks_are_named_as_iso_does_across_new_year() {
        assert_eq!(day("2027-01-01").iso_week(), "2026-W53");
        assert_eq!(day("2024-12-30").iso_week(), "2025-W01");
        let week = week_named("2025-W01").unwrap();
        assert_eq!(
            (week.from.text(), week.to.text()),
            ("2024-12-30".into(), "2025-01-05".into())
        );
        assert_eq!(week_named("2026-W49").unwrap().from.text(), "2026-11-30");
        for bad in ["2026-49", "2026-W54", "W49", "2026-Wx", ""] {
            assert!(week_named(bad).is_err(), "{bad}");
        }
    }
}
