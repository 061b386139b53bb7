//! The shoppers' funnel from the clickstream, without I/O: per day and per product, product
//! views → carts → checkouts started → paid orders, and the searches (`GET
//! /analytics/clickstream`).
//!
//! Paid orders come from the order ledger: an order placed that day whose payment was
//! authorised, or an invoice order that reached processing ([`OrderRow::recognised`]). They
//! are counted by the day the order was placed, the clicks by the day on the shopper's clock,
//! so a ratio over a day compares the same day's steps, not the same shoppers (the clickstream
//! is anonymous where the shopper was not signed in).

use std::collections::{BTreeMap, BTreeSet};

use shared::{
    Money,
    api::clickstream::{ClickDay, ClickKind, ClickProduct, ClickRatios, Clickstream, SearchCount},
};

use super::{DayRange, funnel::ratio, ledger::OrderRow};
use crate::store::clicks::Click;

/// How many products and searches each list keeps.
pub const TOP: usize = 20;

#[derive(Default)]
struct Tally<'a> {
    day: ClickDay,
    sessions: BTreeSet<&'a str>,
}

impl<'a> Tally<'a> {
    fn add(&mut self, click: &'a Click) {
        self.sessions.insert(&click.session_id);
        let d = &mut self.day;
        match click.kind {
            ClickKind::PageView => d.page_views += 1,
            ClickKind::ViewProduct => d.product_views += 1,
            ClickKind::AddToCart => d.add_to_cart += 1,
            ClickKind::CheckoutStarted => d.checkouts_started += 1,
            ClickKind::Search => {
                d.searches += 1;
                d.searches_without_result += u64::from(click.results == Some(0));
            }
        }
    }

    fn finish(mut self, date: Option<String>) -> ClickDay {
        self.day.date = date;
        self.day.sessions = self.sessions.len() as u64;
        self.day.ratios = ratios(&self.day);
        self.day
    }
}

fn ratio_of(n: u64, of: u64) -> Option<f64> {
    ratio(i64::try_from(n).ok()?, i64::try_from(of).ok()?)
}

fn ratios(d: &ClickDay) -> ClickRatios {
    ClickRatios {
        cart_per_view: ratio_of(d.add_to_cart, d.product_views),
        checkout_per_cart: ratio_of(d.checkouts_started, d.add_to_cart),
        paid_per_checkout: ratio_of(d.paid_orders, d.checkouts_started),
    }
}

#[derive(Default)]
struct ProductTally {
    name: Option<String>,
    views: u64,
    carts: u64,
    paid_orders: u64,
    units: i64,
    revenue: i64,
}

fn products(clicks: &[Click], paid: &[&OrderRow]) -> Vec<ClickProduct> {
    let mut per: BTreeMap<&str, ProductTally> = BTreeMap::new();
    for click in clicks {
        let Some(id) = click.product_id.as_deref() else {
            continue;
        };
        let t = per.entry(id).or_default();
        match click.kind {
            ClickKind::ViewProduct => t.views += 1,
            ClickKind::AddToCart => t.carts += 1,
            _ => {}
        }
    }
    for row in paid {
        let mut seen = BTreeSet::new();
        for line in &row.lines {
            let t = per.entry(&line.product_id).or_default();
            if line.name.is_some() {
                t.name.clone_from(&line.name);
            }
            t.paid_orders += u64::from(seen.insert(&line.product_id));
            t.units += line.quantity;
            t.revenue += line.revenue;
        }
    }
    let mut list: Vec<ClickProduct> = per
        .into_iter()
        .map(|(id, t)| ClickProduct {
            product_id: id.to_owned(),
            name: t.name,
            views: t.views,
            carts: t.carts,
            paid_orders: t.paid_orders,
            units: t.units,
            revenue: Money::from_cents(t.revenue),
            cart_per_view: ratio_of(t.carts, t.views),
        })
        .collect();
    list.sort_by(|a, b| {
        (b.views, b.carts, b.paid_orders)
            .cmp(&(a.views, a.carts, a.paid_orders))
            .then_with(|| a.product_id.cmp(&b.product_id))
    });
    list.truncate(TOP);
    list
}

fn searches(clicks: &[Click]) -> (Vec<SearchCount>, Vec<SearchCount>) {
    let mut per: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for click in clicks {
        if let (ClickKind::Search, Some(q)) = (click.kind, click.query.as_deref()) {
            let e = per.entry(q).or_default();
            e.0 += 1;
            e.1 += u64::from(click.results == Some(0));
        }
    }
    let all: Vec<SearchCount> = per
        .into_iter()
        .map(|(q, (count, without))| SearchCount {
            query: q.to_owned(),
            count,
            without_result: without,
        })
        .collect();
    let mut top = all.clone();
    top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.query.cmp(&b.query)));
    top.truncate(TOP);
    let mut empty: Vec<SearchCount> = all.into_iter().filter(|s| s.without_result > 0).collect();
    empty.sort_by(|a, b| {
        b.without_result
            .cmp(&a.without_result)
            .then_with(|| a.query.cmp(&b.query))
    });
    empty.truncate(TOP);
    (top, empty)
}

/// The report of `range` from its clicks and the ledger rows (with their lines) of orders
/// placed in it.
pub fn report(range: DayRange, clicks: &[Click], orders: &[OrderRow]) -> Clickstream {
    let paid: Vec<&OrderRow> = orders
        .iter()
        .filter(|r| r.recognised().is_some() && r.day.is_some())
        .collect();
    let mut per_day: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut totals = Tally::default();
    for click in clicks {
        per_day.entry(&click.day).or_default().add(click);
        totals.add(click);
    }
    let mut paid_per_day: BTreeMap<&str, u64> = BTreeMap::new();
    for row in &paid {
        if let Some(day) = row.day.as_deref() {
            *paid_per_day.entry(day).or_default() += 1;
        }
    }
    let days: Vec<ClickDay> = range
        .days()
        .map(|d| {
            let text = d.text();
            let mut tally = per_day.remove(text.as_str()).unwrap_or_default();
            tally.day.paid_orders = paid_per_day.get(text.as_str()).copied().unwrap_or(0);
            tally.finish(Some(text))
        })
        .collect();
    totals.day.paid_orders = days.iter().map(|d| d.paid_orders).sum();
    let (top_searches, searches_without_result) = searches(clicks);
    Clickstream {
        period: range.span(),
        days,
        totals: totals.finish(None),
        products: products(clicks, &paid),
        top_searches,
        searches_without_result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Day, ledger::RowLine};

    fn click(day: &str, kind: ClickKind, session: &str) -> Click {
        Click {
            day: day.to_owned(),
            kind,
            session_id: session.to_owned(),
            product_id: None,
            query: None,
            results: None,
        }
    }

    fn on(product: &str, mut c: Click) -> Click {
        c.product_id = Some(product.to_owned());
        c
    }

    fn search(day: &str, q: &str, results: i64) -> Click {
        Click {
            query: Some(q.to_owned()),
            results: Some(results),
            ..click(day, ClickKind::Search, "s1")
        }
    }

    #[test]
    fn the_funnel_counts_each_step_per_day_and_per_product_and_the_paid_orders_from_the_ledger() {
        let range = DayRange::new(
            Day::parse("2026-03-01").unwrap(),
            Day::parse("2026-03-02").unwrap(),
        )
        .unwrap();
        let clicks = vec![
            click("2026-03-01", ClickKind::PageView, "s1"),
            on("p1", click("2026-03-01", ClickKind::ViewProduct, "s1")),
            on("p1", click("2026-03-01", ClickKind::ViewProduct, "s2")),
            on("p2", click("2026-03-01", ClickKind::ViewProduct, "s2")),
            on("p1", click("2026-03-01", ClickKind::AddToCart, "s2")),
            click("2026-03-01", ClickKind::CheckoutStarted, "s2"),
            search("2026-03-02", "lamp", 3),
            search("2026-03-02", "unicorn", 0),
            search("2026-03-02", "unicorn", 0),
        ];
        let paid = OrderRow {
            day: Some("2026-03-01".to_owned()),
            status: "PROCESSING".to_owned(),
            paid: Some(2_000),
            lines: vec![RowLine {
                product_id: "p1".to_owned(),
                name: Some("Lamp".to_owned()),
                quantity: 2,
                revenue: 2_000,
            }],
            ..OrderRow::default()
        };
        let declined = OrderRow {
            day: Some("2026-03-01".to_owned()),
            status: "REJECTED".to_owned(),
            payment_failed: true,
            ..OrderRow::default()
        };

        let r = report(range, &clicks, &[paid, declined]);

        let first = &r.days[0];
        assert_eq!(
            (
                first.sessions,
                first.page_views,
                first.product_views,
                first.add_to_cart,
                first.checkouts_started,
                first.paid_orders
            ),
            (2, 1, 3, 1, 1, 1)
        );
        assert_eq!(first.ratios.cart_per_view, Some(0.3333));
        assert_eq!(first.ratios.paid_per_checkout, Some(1.0));
        let second = &r.days[1];
        assert_eq!(
            (
                second.searches,
                second.searches_without_result,
                second.paid_orders
            ),
            (3, 2, 0)
        );
        assert_eq!(second.ratios.cart_per_view, None);
        assert_eq!(
            (
                r.totals.sessions,
                r.totals.paid_orders,
                r.totals.product_views
            ),
            (2, 1, 3)
        );
        let p1 = &r.products[0];
        assert_eq!(
            (
                p1.product_id.as_str(),
                p1.name.as_deref(),
                p1.views,
                p1.carts,
                p1.paid_orders,
                p1.units
            ),
            ("p1", Some("Lamp"), 2, 1, 1, 2)
        );
        assert_eq!(p1.revenue, Money::from_cents(2_000));
        assert_eq!(r.top_searches[0].query, "unicorn");
        assert_eq!(
            r.searches_without_result,
            vec![SearchCount {
                query: "unicorn".to_owned(),
                count: 2,
                without_result: 2
            }]
        );
    }

    #[test]
    fn an_empty_period_has_every_day_at_zero_and_no_ratio() {
        let range = DayRange::ending(Day::parse("2026-03-07").unwrap(), 7);
        let r = report(range, &[], &[]);
        assert_eq!(r.days.len(), 7);
        assert!(
            r.days
                .iter()
                .all(|d| d.sessions == 0 && d.ratios == ClickRatios::default())
        );
        assert!(r.products.is_empty() && r.top_searches.is_empty());
    }
}
