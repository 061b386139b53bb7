//! The staff's weekly sales report (analytics-service's `report.weekly`): one notification per
//! member of the staff, its figures in words, with where the full report is.

use serde_json::json;
use shared::api::reports::WeeklyReport;

use super::new;
use crate::domain::notification::{Kind, NewNotification};

/// The notification of `report` for the member of the staff `staff_id`.
pub fn weekly(staff_id: &str, report: &WeeklyReport) -> NewNotification {
    let period = &report.period;
    let orders = match report.orders {
        1 => "1 order".to_owned(),
        n => format!("{n} orders"),
    };
    let mut message = format!(
        "Week {} ({} to {}): {orders}, {} revenue after {} refunded ({} before), {} given in \
         discounts, {} returns asked for.",
        report.week,
        period.from,
        period.to,
        money(report.net),
        money(report.refunds),
        money(report.gross),
        money(report.discounts),
        report.returns,
    );
    if !report.top.is_empty() {
        let best: Vec<String> = report
            .top
            .iter()
            .map(|p| {
                let name = p.name.clone().unwrap_or_else(|| p.product_id.clone());
                format!("{name} ({} sold, {})", p.units, money(p.revenue))
            })
            .collect();
        message.push_str(&format!(" Best sellers: {}.", best.join("; ")));
    }
    message.push_str(&format!(
        " The full report, by day, is in the console (Analytics, Sales report) and at {} (PDF) \
         and {} (CSV).",
        report.pdf, report.csv
    ));
    new(
        staff_id.to_owned(),
        Kind::WeeklyReport,
        format!("Weekly sales report, {}", report.week),
        message,
        None,
        json!({
            "week": report.week,
            "orders": report.orders,
            "net": report.net,
            "pdf": report.pdf,
            "csv": report.csv,
        }),
    )
}

fn money(amount: shared::Money) -> String {
    format!("${amount}")
}

#[cfg(test)]
mod tests {
    use shared::{
        Money,
        api::reports::{Span, TopProduct},
    };

    use super::*;

    #[test]
    fn the_weekly_report_reads_as_sentences_with_its_figures_and_links() {
        let report = WeeklyReport {
            week: "2026-W49".into(),
            period: Span {
                from: "2026-11-30".into(),
                to: "2026-12-06".into(),
                days: 7,
            },
            orders: 12,
            gross: Money::from_cents(120_000),
            refunds: Money::from_cents(2_050),
            net: Money::from_cents(117_950),
            discounts: Money::from_cents(990),
            returns: 2,
            top: vec![TopProduct {
                product_id: "p1".into(),
                name: Some("Lamp".into()),
                units: 7,
                revenue: Money::from_cents(13_993),
            }],
            pdf: "/api/analytics/reports/sales.pdf?from=2026-11-30&to=2026-12-06".into(),
            csv: "/api/analytics/reports/sales.csv?from=2026-11-30&to=2026-12-06".into(),
        };
        let made = weekly("staff-1", &report);
        assert_eq!(made.customer_id, "staff-1");
        assert_eq!(made.kind, Kind::WeeklyReport);
        assert_eq!(made.title, "Weekly sales report, 2026-W49");
        for part in [
            "12 orders",
            "$1179.50 revenue after $20.50 refunded ($1200.00 before)",
            "$9.90 given in discounts",
            "2 returns",
            "Lamp (7 sold, $139.93)",
            "sales.pdf?from=2026-11-30&to=2026-12-06",
        ] {
            assert!(made.message.contains(part), "{part}: {}", made.message);
        }
        assert_eq!(made.details["week"], "2026-W49");
    }
}
