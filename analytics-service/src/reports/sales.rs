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

/// CSV lines, CRLF-terminated.
#[derive(Default)]
struct Csv(String);

impl Csv {
    fn line<S: AsRef<str>>(&mut self, cells: &[S]) {
        let cells: Vec<&str> = cells.iter().map(AsRef::as_ref).collect();
        self.0.push_str(&cells.join(","));
        self.0.push_str("\r\n");
    }

    /// An empty line, the section's title, its header and its rows.
    fn section(
        &mut self,
        title: &str,
        header: &[&str],
        rows: impl IntoIterator<Item = Vec<String>>,
    ) {
        self.line::<&str>(&[]);
        self.line(&[title]);
        self.line(header);
        for row in rows {
            self.line(&row);
        }
    }
}

fn totals_row(sales: &Sales) -> Vec<String> {
    let t = sales.totals();
    let d = &sales.discounts.totals;
    let r = &sales.returns;
    vec![
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
    ]
}

/// The sections of the discounts (per coupon, per day) and of the returns.
fn discounts_and_returns(out: &mut Csv, sales: &Sales) {
    out.section(
        "Discounts by coupon",
        &["code", "orders", "discount", "revenue"],
        sales.discounts.coupons.iter().map(|c| {
            vec![
                text(&c.code),
                c.orders.to_string(),
                c.discount.to_string(),
                c.revenue.to_string(),
            ]
        }),
    );
    out.section(
        "Discounts by day",
        &[
            "date",
            "coupon_discount",
            "coupon_shipping",
            "tier_discount",
            "points_discount",
        ],
        sales.discounts.days.iter().map(|d| {
            vec![
                d.date.clone().unwrap_or_default(),
                d.coupon_discount.to_string(),
                d.coupon_shipping.to_string(),
                d.tier_discount.to_string(),
                d.points_discount.to_string(),
            ]
        }),
    );
    out.section(
        "Returns by reason",
        &["reason", "returns"],
        sales
            .returns
            .by_reason
            .iter()
            .map(|(reason, n)| vec![text(reason), n.to_string()]),
    );
}

/// The report as CSV: sections one after the other, each a title line, a header and its rows,
/// separated by an empty line (one file that a spreadsheet opens as it is).
pub fn csv(sales: &Sales) -> String {
    let mut out = Csv::default();
    let p = &sales.period;
    out.line(&[
        "Sales report".to_owned(),
        p.from.clone(),
        p.to.clone(),
        format!("{} days", p.days),
    ]);
    out.section(
        "Totals",
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
        ],
        [totals_row(sales)],
    );
    out.section(
        "Revenue by day",
        &["date", "orders", "gross", "refunds", "net", "new_customers"],
        sales.days.iter().map(|d| {
            vec![
                d.date.clone(),
                d.order_count.to_string(),
                d.gross.to_string(),
                d.refunds.to_string(),
                d.net.to_string(),
                d.new_customers.to_string(),
            ]
        }),
    );
    out.section(
        "Top products",
        &["product_id", "name", "units", "revenue"],
        sales.top.iter().map(|p| {
            vec![
                p.product_id.clone(),
                text(p.name.as_deref().unwrap_or("")),
                p.units.to_string(),
                p.revenue.to_string(),
            ]
        }),
    );
    discounts_and_returns(&mut out, sales);
    out.0
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
