//! What an order as order-service shows it (`GET /orders`, the `order` of
//! `order.status_changed`) tells the ledger: its facts, price as quoted, how it is paid and
//! how far it got.

use serde_json::Value;
use shared::Money;

use crate::{
    domain::{
        Cents, Day,
        ledger::{Payment, REACHED},
    },
    store::orders::{Facts, Line, Quoted},
};

/// The cents of an amount in an event or an order (`shared::Money`'s rule); `None` when it
/// is not one.
pub fn cents(value: &Value) -> Option<Cents> {
    Money::from_json(value).ok().map(Money::cents)
}

/// Lines from `[{productId, name?, quantity, price?, subtotal?}]`.
pub fn lines(items: &[Value]) -> Vec<Line> {
    items
        .iter()
        .filter_map(|item| {
            let quantity = item.get("quantity")?.as_i64()?;
            let revenue = item
                .get("subtotal")
                .and_then(cents)
                .or_else(|| cents(item.get("price")?)?.checked_mul(quantity))
                .unwrap_or(0);
            Some(Line {
                product_id: item.get("productId")?.as_str()?.to_owned(),
                name: item.get("name").and_then(Value::as_str).map(str::to_owned),
                quantity,
                revenue,
            })
        })
        .collect()
}

/// The shop's shipping (DESIGN.md, "Cart and checkout"): 5.99, free when the discounted
/// subtotal is at least 50.00. order-service prices with it; here it tells what a
/// free-shipping coupon saved, which the quote does not show (its `couponDiscount` is 0).
const SHIPPING: Cents = 599;
/// See [`SHIPPING`].
const FREE_SHIPPING_FROM: Cents = 5000;

/// `{subtotal, couponDiscount, tierDiscount, pointsDiscount, shipping, total}` of an order
/// that used a coupon (`with_coupon`) or not; `None` without a total.
fn quoted(quote: &Value, with_coupon: bool) -> Option<Quoted> {
    let amount = |field: &str| quote.get(field).and_then(cents).unwrap_or(0);
    let (coupon, tier, points) = (
        amount("couponDiscount"),
        amount("tierDiscount"),
        amount("pointsDiscount"),
    );
    let discounted = amount("subtotal") - coupon - tier - points;
    // No shipping charged on goods that would have paid it, under a coupon that took nothing
    // off the goods: only a free-shipping coupon does that.
    let shipping_waived = with_coupon
        && coupon == 0
        && quote.get("shipping").and_then(cents) == Some(0)
        && discounted > 0
        && discounted < FREE_SHIPPING_FROM;
    Some(Quoted {
        due: quote.get("total").and_then(cents)?,
        coupon_discount: coupon,
        coupon_shipping: if shipping_waived { SHIPPING } else { 0 },
        tier_discount: tier,
        points_discount: points,
    })
}

/// Whether the order is in, or went through, a status that follows `PROCESSING`.
fn reached(order: &Value) -> bool {
    let is_reached = |s: Option<&str>| s.is_some_and(|s| REACHED.contains(&s));
    is_reached(order.get("status").and_then(Value::as_str))
        || order
            .get("statusHistory")
            .and_then(Value::as_array)
            .is_some_and(|h| h.iter().any(|e| is_reached(e["status"].as_str())))
}

/// What an order as order-service shows it (`{id, customerId, items, total, quote?, coupon?,
/// payment?, status, statusHistory, createdAt}`) tells; `None` without an id. An order shown
/// without `payment` is invoiced.
pub fn order_facts(order: &Value) -> Option<Facts> {
    let id = order.get("id")?.as_str()?.to_owned();
    let placed = order
        .get("createdAt")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc));
    let payment = order.get("payment").filter(|p| !p.is_null());
    Some(Facts {
        order_id: id,
        customer_id: order
            .get("customerId")
            .and_then(Value::as_str)
            .map(str::to_owned),
        day: placed.map(|t| Day::of(t).text()),
        created_ms: placed.map(|t| t.timestamp_millis()),
        total: order.get("total").and_then(cents),
        lines: order
            .get("items")
            .and_then(Value::as_array)
            .map(|items| lines(items)),
        quote: order
            .get("quote")
            .and_then(|q| quoted(q, order.get("coupon").is_some_and(Value::is_string))),
        coupon: order
            .get("coupon")
            .and_then(Value::as_str)
            .map(str::to_owned),
        payment: if payment.is_some() {
            Payment::Card
        } else {
            Payment::Invoice
        },
        reached: reached(order),
        payment_failed: payment.is_some_and(|p| p["status"] == "declined"),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_a_free_shipping_coupon_on_goods_below_the_threshold_waives_shipping() {
        let q = |coupon: f64, shipping: f64, subtotal: f64| {
            json!({"subtotal": subtotal, "couponDiscount": coupon, "tierDiscount": 0.0,
                "pointsDiscount": 0.0, "shipping": shipping, "tax": 0.0, "total": 1.0})
        };
        let waived = |quote: Value, coupon: bool| quoted(&quote, coupon).unwrap().coupon_shipping;
        assert_eq!(waived(q(0.0, 0.0, 20.0), true), 599, "FREESHIP on 20.00");
        assert_eq!(waived(q(0.0, 0.0, 20.0), false), 0, "no coupon");
        assert_eq!(waived(q(0.0, 0.0, 60.0), true), 0, "free anyway from 50.00");
        assert_eq!(waived(q(2.0, 5.99, 20.0), true), 0, "a percent coupon");
        assert_eq!(waived(q(0.0, 5.99, 20.0), true), 0, "shipping paid");
    }

    #[test]
    fn an_orders_facts_come_from_its_api_form_with_exact_cents() {
        let facts = order_facts(&json!({
            "id": "o1", "customerId": "c1", "total": 59.97, "createdAt": "2026-01-01T23:59:59.999Z",
            "items": [{"productId": "p1", "name": "Mug", "price": 19.99, "quantity": 3, "subtotal": 59.97}],
        }))
        .unwrap();
        assert_eq!(facts.total, Some(5997));
        assert_eq!(facts.day.as_deref(), Some("2026-01-01"));
        let lines = facts.lines.unwrap();
        assert_eq!(lines[0].revenue, 5997);
        assert_eq!(lines[0].quantity, 3);
    }

    #[test]
    fn a_line_without_a_subtotal_is_priced_by_unit() {
        let lines = lines(&[json!({"productId": "p", "quantity": 3, "price": 0.1})]);
        assert_eq!(lines[0].revenue, 30);
    }

    #[test]
    fn an_orders_quote_coupon_and_payment_come_from_its_api_form() {
        let paid = order_facts(&json!({
            "id": "o1", "status": "CANCELLED", "coupon": "welcome10",
            "statusHistory": [{"status": "PENDING"}, {"status": "PROCESSING"}, {"status": "CANCELLED"}],
            "quote": {"subtotal": 30.0, "couponDiscount": 3.0, "tierDiscount": 1.35,
                "pointsDiscount": 1.0, "shipping": 5.99, "tax": 2.45, "total": 33.09},
            "payment": {"status": "voided"},
        }))
        .unwrap();
        assert_eq!(
            paid.quote,
            Some(Quoted {
                due: 3309,
                coupon_discount: 300,
                coupon_shipping: 0,
                tier_discount: 135,
                points_discount: 100,
            })
        );
        assert_eq!(paid.payment, Payment::Card);
        assert!(paid.reached, "it went through PROCESSING");
        assert!(!paid.payment_failed);
        let invoiced = order_facts(&json!({"id": "o2", "status": "PENDING"})).unwrap();
        assert_eq!(invoiced.payment, Payment::Invoice);
        assert!(!invoiced.reached);
        let declined = order_facts(&json!({"id": "o3", "status": "REJECTED",
            "payment": {"status": "declined"}}))
        .unwrap();
        assert!(declined.payment_failed);
    }
}
