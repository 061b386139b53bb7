//! The checkout's reports: discounts per coupon and per day, the order funnel, and the loyalty
//! programme's figures in the business metrics.

use serde_json::json;
use shared::events::Envelope;

use crate::helpers::{
    TestApp,
    checkout::{Order, loyalty, quote},
    spawn_app,
};

pub async fn bad_periods_are_refused(app: &TestApp, path: &str) {
    let (status, body) = app
        .get(
            &format!("{path}?from=2026-07-03&to=2026-07-01"),
            Some(&app.admin),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["success"], false);
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
    assert_eq!(body["error"]["details"]["from"], "must not be after to");
    let (status, body) = app
        .get(
            &format!("{path}?from=2026-02-30&to=2026-03-01"),
            Some(&app.admin),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["details"]["from"].is_string(), "{body}");
    let (status, _) = app
        .get(&format!("{path}?from=2026-07-01"), Some(&app.admin))
        .await;
    assert_eq!(status, 400);
    let (status, _) = app.get(path, Some(&app.customer)).await;
    assert_eq!(status, 403);
}

pub fn discounted() -> Vec<Envelope> {
    let day1 = "2026-07-01T09:00:00.000Z";
    let q = |coupon: f64, tier: f64, points: f64, total: f64| {
        quote([20.0, coupon, tier, points, 0.0, 0.0, total])
    };
    let a = Order::card("a", day1, q(3.33, 0.1, 0.0, 16.57), Some("WELCOME10"));
    let b = Order::card("b", day1, q(3.33, 0.2, 1.0, 15.47), Some("welcome10"));
    let c = Order::card("c", day1, q(0.01, 0.0, 0.5, 19.49), Some("GOLD20"));
    let declined = Order::card("d", day1, q(3.33, 0.0, 0.0, 16.67), Some("WELCOME10"));
    let cancelled = Order::card("e", day1, q(0.0, 0.0, 0.0, 20.0), Some("FREESHIP"));
    let f = Order::card(
        "f",
        "2026-07-02T23:59:59.999Z",
        q(0.0, 1.11, 0.0, 18.89),
        None,
    );
    let mut events = Vec::new();
    for order in [&a, &b, &c, &declined, &cancelled, &f] {
        events.extend(order.placed());
    }
    for order in [&a, &b, &c, &cancelled, &f] {
        events.extend(order.accepted());
    }
    events.extend(declined.declined());
    events.extend(cancelled.cancelled());
    events
}

#[tokio::test]
async fn the_discounts_report_sums_exact_cents_per_coupon_and_per_day_over_orders_that_count() {
    let app = spawn_app().await;
    let events = discounted();
    app.publish_all(&events).await;
    app.publish_all(&events).await;

    let report = app
        .data("/analytics/discounts?from=2026-07-01&to=2026-07-03")
        .await;

    assert_eq!(
        report["coupons"],
        json!([
            {"code": "WELCOME10", "orders": 2, "discount": 6.66, "revenue": 32.04},
            {"code": "GOLD20", "orders": 1, "discount": 0.01, "revenue": 19.49},
        ]),
        "a declined or refunded order gives nothing away; codes are case-insensitive"
    );
    assert_eq!(
        report["days"],
        json!([
            {"date": "2026-07-01", "couponDiscount": 6.67, "couponShipping": 0.0, "tierDiscount": 0.3, "pointsDiscount": 1.5},
            {"date": "2026-07-02", "couponDiscount": 0.0, "couponShipping": 0.0, "tierDiscount": 1.11, "pointsDiscount": 0.0},
            {"date": "2026-07-03", "couponDiscount": 0.0, "couponShipping": 0.0, "tierDiscount": 0.0, "pointsDiscount": 0.0},
        ])
    );
    assert_eq!(
        report["totals"],
        json!({"couponDiscount": 6.67, "couponShipping": 0.0, "tierDiscount": 1.41, "pointsDiscount": 1.5})
    );
    bad_periods_are_refused(&app, "/analytics/discounts").await;

    app.stop().await;
}

#[tokio::test]
async fn a_free_shipping_coupon_counts_the_shipping_it_saved() {
    let app = spawn_app().await;
    let day = "2026-07-05T09:00:00.000Z";
    // 20.00 of goods: shipping 5.99 waived; tax 8 % of 20.00.
    let freeship = Order::card(
        "fs",
        day,
        quote([20.0, 0.0, 0.0, 0.0, 0.0, 1.6, 21.6]),
        Some("FREESHIP"),
    );
    // 60.00 of goods ships free anyway: the coupon saved nothing.
    let big = Order::card(
        "fs-big",
        day,
        quote([60.0, 0.0, 0.0, 0.0, 0.0, 4.8, 64.8]),
        Some("FREESHIP"),
    );
    let mut events = Vec::new();
    for order in [&freeship, &big] {
        events.extend(order.placed());
        events.extend(order.accepted());
    }
    app.publish_all(&events).await;
    app.publish_all(&events).await;

    let report = app
        .data("/analytics/discounts?from=2026-07-05&to=2026-07-05")
        .await;

    assert_eq!(
        report["coupons"],
        json!([{"code": "FREESHIP", "orders": 2, "discount": 5.99, "revenue": 86.4}]),
        "{report}"
    );
    assert_eq!(report["totals"]["couponDiscount"], 5.99);
    assert_eq!(report["totals"]["couponShipping"], 5.99);
    app.stop().await;
}

fn funnel_events() -> Vec<Envelope> {
    let day1 = "2026-08-01T10:00:00.000Z";
    let q = || quote([10.0, 0.0, 0.0, 0.0, 5.99, 1.28, 17.27]);
    let delivered = Order::card("a", day1, q(), None);
    let declined = Order::card("b", day1, q(), None);
    let cancelled = Order::card("c", day1, q(), None);
    let invoiced = Order::invoiced("d", day1, q());
    let pending = Order::card("e", day1, q(), None);
    let next_day = Order::card("f", "2026-08-02T10:00:00.000Z", q(), None);
    let mut events = Vec::new();
    for order in [
        &delivered, &declined, &cancelled, &invoiced, &pending, &next_day,
    ] {
        events.extend(order.placed());
    }
    for order in [&delivered, &cancelled, &invoiced, &next_day] {
        events.extend(order.accepted());
    }
    events.extend(delivered.delivered());
    events.extend(declined.declined());
    events.extend(cancelled.cancelled());
    events
}

#[tokio::test]
async fn the_funnel_follows_each_days_orders_from_checkout_to_delivery_with_ratios() {
    let app = spawn_app().await;
    let events = funnel_events();
    app.publish_all(&events).await;
    app.publish_all(&events).await;

    let funnel = app
        .data("/analytics/funnel?from=2026-08-01&to=2026-08-03")
        .await;

    assert_eq!(
        funnel["days"][0],
        json!({
            "date": "2026-08-01", "checkedOut": 4, "created": 5, "paid": 2, "paymentFailed": 1,
            "rejected": 1, "cancelled": 1, "delivered": 1,
            "ratios": {"checkoutShare": 0.8, "paymentSuccess": 0.6667, "paidOfCreated": 0.4,
                "rejected": 0.2, "cancelled": 0.2, "delivered": 0.2},
        })
    );
    assert_eq!(funnel["days"][1]["created"], 1);
    assert_eq!(funnel["days"][1]["paid"], 1);
    assert_eq!(funnel["days"][2]["created"], 0);
    assert!(funnel["days"][2]["ratios"]["delivered"].is_null());
    assert_eq!(funnel["totals"]["checkedOut"], 5);
    assert_eq!(funnel["totals"]["created"], 6);
    assert_eq!(funnel["totals"]["paid"], 3);
    assert_eq!(funnel["period"]["days"], 3);
    bad_periods_are_refused(&app, "/analytics/funnel").await;

    app.stop().await;
}

#[tokio::test]
async fn loyalty_moves_are_summed_per_day_and_customers_counted_by_their_newest_tier() {
    let app = spawn_app().await;
    let (d1, d2) = ("2026-08-01T10:00:00.000Z", "2026-08-02T10:00:00.000Z");
    let mut older = loyalty("c1", "Bronze", "POINTS_HELD", -500, 500, d1);
    older.occurred_at -= chrono::Duration::minutes(5);
    let events = vec![
        loyalty("c1", "Silver", "ORDER_DELIVERED", 120, 0, d1),
        loyalty("c1", "Silver", "POINTS_SPENT", 0, -500, d1),
        // A late event from before: it moves its points but not the tier back.
        older,
        loyalty("c2", "Gold", "ORDER_REFUNDED", -60, 0, d2),
        loyalty("c2", "Gold", "ADMIN_ADJUSTMENT", 25, 0, d2),
        loyalty("c2", "Gold", "POINTS_RETURNED", 200, 0, d2),
        loyalty("c3", "Silver", "POINTS_RELEASED", 300, -300, d2),
    ];
    app.publish_all(&events).await;
    app.publish_all(&events).await;

    let body = app
        .data("/dashboard/business-metrics?from=2026-08-01&to=2026-08-02")
        .await;

    assert_eq!(
        body["loyalty"],
        json!({
            "days": [
                {"date": "2026-08-01", "issued": 120, "redeemed": 500, "returned": 0, "takenBack": 0},
                {"date": "2026-08-02", "issued": 25, "redeemed": 0, "returned": 200, "takenBack": 60},
            ],
            "totals": {"issued": 145, "redeemed": 500, "returned": 200, "takenBack": 60},
            "customersByTier": {"Bronze": 0, "Silver": 2, "Gold": 1, "Platinum": 0},
        })
    );

    app.stop().await;
}
