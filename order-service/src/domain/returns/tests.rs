//! The rules of a new return and the share each return refunds.

use chrono::{Duration, Utc};

use super::*;
use crate::domain::{Address, HistoryEntry, Line, Quote, order::history_key, pricing::StoredQuote};

const LAMP: &str = "aaaaaaaaaaaaaaaaaaaaaaaa";
const BULB: &str = "bbbbbbbbbbbbbbbbbbbbbbbb";

/// Two lamps at 30.00 and three bulbs at 3.33 (69.99 listed), 10 % off the goods, free
/// shipping, 8 % tax; delivered `days_ago`.
fn delivered(days_ago: i64) -> Order {
    let now = Utc::now();
    let lines = vec![
        Line::priced(LAMP.into(), "Lamp".into(), Money::from_cents(3000), 2).unwrap(),
        Line::priced(BULB.into(), "Bulb".into(), Money::from_cents(333), 3).unwrap(),
    ];
    let address = Address {
        street: "1 Main St".into(),
        city: "Springfield".into(),
        zip_code: "12345".into(),
        country: "US".into(),
    };
    let quote = Quote::from(StoredQuote {
        subtotal_cents: 6999,
        coupon_discount_cents: 700,
        tier_discount_cents: 0,
        points_discount_cents: 0,
        shipping_cents: 0,
        tax_cents: 504,
        total_cents: 6803,
    });
    let mut order = Order::placed(
        ObjectId::new(),
        "c".into(),
        lines,
        quote,
        address,
        "k".into(),
        now - Duration::days(days_ago + 5),
    );
    order.status = Status::Delivered;
    order.version = 1;
    order.history.insert(
        history_key(1),
        HistoryEntry {
            status: Status::Delivered,
            at: now - Duration::days(days_ago),
            note: None,
        },
    );
    order
}

fn want(items: &[(&str, i64)]) -> Vec<(String, i64)> {
    items.iter().map(|(p, q)| ((*p).to_owned(), *q)).collect()
}

fn made(order: &Order, earlier: &[Return], items: &[(&str, i64)]) -> Return {
    let plan = plan(order, earlier, &want(items), Utc::now()).expect("allowed");
    Return::requested(order, earlier.len() as i64, plan, "broken", 0)
}

#[test]
fn a_return_inside_the_window_is_planned_at_the_order_prices() {
    let order = delivered(29);
    let plan = plan(&order, &[], &want(&[(LAMP, 1)]), Utc::now()).unwrap();
    assert_eq!(plan.items[0].unit_price_cents, 3000);
    // 6803 × 3000 / 6999, rounded down.
    assert_eq!(plan.amount_cents, 2915);
}

#[test]
fn a_return_after_thirty_days_or_before_delivery_is_refused() {
    let late = plan(&delivered(31), &[], &want(&[(LAMP, 1)]), Utc::now());
    assert_eq!(late.unwrap_err().code(), "window_closed");
    let mut shipped = delivered(1);
    shipped.status = Status::Shipped;
    let early = plan(&shipped, &[], &want(&[(LAMP, 1)]), Utc::now());
    assert_eq!(early.unwrap_err().code(), "not_delivered");
}

#[test]
fn no_more_than_was_bought_is_returned_counting_earlier_returns_not_rejected() {
    let order = delivered(1);
    let first = made(&order, &[], &[(LAMP, 2)]);
    let again = plan(
        &order,
        std::slice::from_ref(&first),
        &want(&[(LAMP, 1)]),
        Utc::now(),
    );
    assert_eq!(again.unwrap_err(), Refusal::TooMany { index: 0, left: 0 });
    let rejected = first.after(Action::Reject, None, 1).unwrap();
    assert!(plan(&order, &[rejected], &want(&[(LAMP, 2)]), Utc::now()).is_ok());
    let stranger = plan(
        &order,
        &[],
        &want(&[("cccccccccccccccccccccccc", 1)]),
        Utc::now(),
    );
    assert_eq!(stranger.unwrap_err(), Refusal::NotInOrder(0));
}

#[test]
fn returning_everything_in_parts_refunds_exactly_what_the_goods_cost() {
    let order = delivered(1);
    let mut earlier = Vec::new();
    for items in [[(BULB, 1)], [(LAMP, 1)], [(BULB, 2)], [(LAMP, 1)]] {
        let r = made(&order, &earlier, &items);
        earlier.push(r);
    }
    let total: i64 = earlier.iter().map(|r| r.amount_cents).sum();
    assert_eq!(
        total,
        6803,
        "{:?}",
        earlier.iter().map(|r| r.amount_cents).collect::<Vec<_>>()
    );
}

#[test]
fn shipping_and_its_tax_are_not_refunded() {
    let mut order = delivered(1);
    order.quote = Some(StoredQuote {
        subtotal_cents: 2000,
        coupon_discount_cents: 0,
        tier_discount_cents: 0,
        points_discount_cents: 0,
        shipping_cents: 599,
        tax_cents: 208,
        total_cents: 2807,
    });
    // 2807 − 599 − 48 (8 % of 5.99, half-up).
    assert_eq!(refundable_cents(&order), 2160);
}

#[test]
fn a_rejection_frees_its_share_and_the_sum_never_exceeds_the_base() {
    let order = delivered(1);
    let a = made(&order, &[], &[(BULB, 1)]);
    let b = made(&order, std::slice::from_ref(&a), &[(BULB, 1)]);
    let a = a.after(Action::Reject, None, 1).unwrap();
    let c = made(&order, &[a.clone(), b.clone()], &[(BULB, 2), (LAMP, 2)]);
    assert!(b.amount_cents + c.amount_cents <= 6803);
    assert_eq!(b.amount_cents + c.amount_cents, 6803);
}

#[test]
fn each_action_is_allowed_only_from_its_status() {
    let order = delivered(1);
    let r = made(&order, &[], &[(LAMP, 1)]);
    assert!(r.after(Action::Receive, None, 1).is_none());
    assert!(r.after(Action::Refund, None, 1).is_none());
    let approved = r.after(Action::Approve, None, 1).unwrap();
    let received = approved.after(Action::Receive, None, 2).unwrap();
    assert!(received.after(Action::Reject, None, 3).is_none());
    let refunded = received
        .after(Action::Refund, Some("ref".into()), 3)
        .unwrap();
    assert_eq!(refunded.version, 3);
    assert_eq!(refunded.view().history.len(), 4);
    assert!(refunded.after(Action::Refund, None, 4).is_none());
}
