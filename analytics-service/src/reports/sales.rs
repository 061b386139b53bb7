//! The sales report of a period (issue 19): `GET /analytics/reports/sales.csv` and
//! `sales.pdf`. The same figures as the JSON reports — revenue by day (`daily_revenue`), the
//! best sellers of the period, the discounts per coupon and per day, and the returns — read once
//! into [`Sales`] and written as a spreadsheet or a printable document ([`pdf`]).

pub mod pdf;

use mongodb::Database;
use shared::{
    ApiError, Money,
    api::reports::{DailyRevenue, Discounts, ReturnFigures, Span, TopProduct},
};

use crate::domain::DayRange;

/// Best sellers a report lists.
pub const TOP: usize = 10;

/// A period's sales, as both formats write them.
#[derive(Debug, Clone, PartialEq)]
pub struct Sales {
    /// The period.
    pub period: Span,
    /// Every day of it, empty days included.
    pub days: Vec<DailyRevenue>,
    /// The best sellers of the orders placed in it.
    pub top: Vec<TopProduct>,
    /// The discounts per coupon, per day and in all.
    pub discounts: Discounts,
    /// The returns asked for in it.
    pub returns: ReturnFigures,
}

/// The period's sums of the days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Orders placed.
    pub orders: i64,
    /// Recognised before refunds.
    pub gross: Money,
    /// Taken back by refunds.
    pub refunds: Money,
    /// What stayed.
    pub net: Money,
}

impl Sales {
    /// The sums of [`Sales::days`].
    pub fn totals(&self) -> Totals {
        let sum = |f: fn(&DailyRevenue) -> Money| {
            Money::from_cents(self.days.iter().map(|d| f(d).cents()).sum())
        };
        Totals {
            orders: self.days.iter().map(|d| d.order_count).sum(),
            gross: sum(|d| d.gross),
            refunds: sum(|d| d.refunds),
            net: sum(|d| d.net),
        }
    }
}

/// Reads the report of `range`.
pub async fn gather(db: &Database, range: DayRange) -> Result<Sales, ApiError> {
    let (days, top, discounts, after_sales) = tokio::try_join!(
        super::daily_revenue(db, range),
        super::top_products(db, Some(range), TOP),
        super::commerce::discounts(db, range),
        super::aftersales::summary(db, Some(range)),
    )?;
    Ok(Sales {
        period: range.span(),
        days,
        top,
        discounts,
        returns: after_sales.returns,
    })
}

/// A text cell: quoted when it holds a comma, a quote or a line break, and kept from being read
/// as a formula by a spreadsheet (a leading `=`, `+`, `-`, `@` gets a `'`).
fn text(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The report as CSV: sections one after the other, each a title line, a header and its rows,
/// separated by an empty line (one file that a spreadsheet opens as it is).
pub fn csv(sales: &Sales) -> String {
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    };
    let p = &sales.period;
    line(&[
        "Sales report".into(),
        p.from.clone(),
        p.to.clone(),
        format!("{} days", p.days),
    ]);
    let t = sales.totals();
    let d = &sales.discounts.totals;
    let r = &sales.returns;
    line(&[]);
    line(&["Totals".into()]);
    line(
        &[
            "orders",
            "gross",
            "refunds",
            "net",
            "coupon_discount",
            "tier_discount",
            "points_discount",
            "returns_requested",
            "returns_refunded",
            "refunded_amount",
        ]
        .map(String::from),
    );
    line(&[
        t.orders.to_string(),
        t.gross.to_string(),
        t.refunds.to_string(),
        t.net.to_string(),
        d.coupon_discount.to_string(),
        d.tier_discount.to_string(),
        d.points_discount.to_string(),
        r.requested.to_string(),
        r.refunded.to_string(),
        r.refunded_amount.to_string(),
    ]);
    line(&[]);
    line(&["Revenue by day".into()]);
    line(&["date", "orders", "gross", "refunds", "net", "new_customers"].map(String::from));
    for day in &sales.days {
        line(&[
            day.date.clone(),
            day.order_count.to_string(),
            day.gross.to_string(),
            day.refunds.to_string(),
            day.net.to_string(),
            day.new_customers.to_string(),
        ]);
    }
    line(&[]);
    line(&["Top products".into()]);
    line(&["product_id", "name", "units", "revenue"].map(String::from));
    for p in &sales.top {
        line(&[
            p.product_id.clone(),
            text(p.name.as_deref().unwrap_or("")),
            p.units.to_string(),
            p.revenue.to_string(),
        ]);
    }
    line(&[]);
    line(&["Discounts by coupon".into()]);
    line(&["code", "orders", "discount", "revenue"].map(String::from));
    for c in &sales.discounts.coupons {
        line(&[
            text(&c.code),
            c.orders.to_string(),
            c.discount.to_string(),
            c.revenue.to_string(),
        ]);
    }
    line(&[]);
    line(&["Discounts by day".into()]);
    line(
        &[
            "date",
            "coupon_discount",
            "coupon_shipping",
            "tier_discount",
            "points_discount",
        ]
        .map(String::from),
    );
    for day in &sales.discounts.days {
        line(&[
            day.date.clone().unwrap_or_default(),
            day.coupon_discount.to_string(),
            day.coupon_shipping.to_string(),
            day.tier_discount.to_string(),
            day.points_discount.to_string(),
        ]);
    }
    line(&[]);
    line(&["Returns by reason".into()]);
    line(&["reason", "returns"].map(String::from));
    for (reason, n) in &r.by_reason {
        line(&[text(reason), n.to_string()]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_cell_is_quoted_when_it_must_be_and_never_read_as_a_formula() {
        assert_eq!(text("Lamp"), "Lamp");
        assert_eq!(text("Lamp, large"), "\"Lamp, large\"");
        assert_eq!(text("the \"best\" lamp"), "\"the \"\"best\"\" lamp\"");
        assert_eq!(text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(text("-5"), "'-5");
    }
}
