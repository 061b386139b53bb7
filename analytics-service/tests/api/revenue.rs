//! Revenue is money paid: recognised when the payment is authorised (or, for an invoiced order,
//! when it is accepted), taken back by refunds, once per event however often it arrives.

use shared::events::keys;

use crate::helpers::{
    checkout::{Order, quote},
    spawn_app,
};

const DAY: &str = "/analytics/daily-revenue?from=2026-06-01&to=2026-06-01";

#[tokio::test]
async fn revenue_is_recognised_once_when_the_payment_is_authorised_however_often_the_event_arrives()
{
    let app = spawn_app().await;
    let order = Order::card(
        "o1",
        "2026-06-01T10:00:00.000Z",
        quote([30.0, 3.0, 1.35, 1.0, 5.99, 2.45, 33.09]),
        Some("WELCOME10"),
    );
    app.publish_all(&order.placed()).await;
    let placed = app.data(DAY).await;

    let accepted = order.accepted();
    app.publish_all(&accepted).await;
    app.publish_all(&accepted).await;
    let authorized = accepted[1].clone();
    assert_eq!(authorized.kind, keys::PAYMENT_AUTHORIZED);
    app.publish_all(&[authorized.clone(), authorized]).await;

    assert_eq!(placed[0]["revenue"], 0.0, "nothing is paid yet: {placed}");
    assert_eq!(placed[0]["orderCount"], 0);
    let day = app.data(DAY).await;
    assert_eq!(day[0]["revenue"], 33.09, "{day}");
    assert_eq!(day[0]["orderCount"], 1);
    let metrics = app.data("/analytics/dashboard-metrics").await;
    assert_eq!(metrics["totalRevenue"], 33.09);
    assert_eq!(metrics["orders"], 1);
    assert_eq!(metrics["refunded"], 0.0);

    app.stop().await;
}

#[tokio::test]
async fn a_refund_takes_its_amount_back_once_and_a_declined_payment_never_counts() {
    let app = spawn_app().await;
    let at = "2026-06-01T12:00:00.000Z";
    let cancelled = Order::card("a", at, quote([10.0, 0.0, 0.0, 0.0, 0.0, 0.8, 10.8]), None);
    let returned = Order::card("b", at, quote([20.0, 0.0, 0.0, 0.0, 0.0, 0.0, 20.0]), None);
    let declined = Order::card("c", at, quote([99.0, 0.0, 0.0, 0.0, 0.0, 0.0, 99.0]), None);
    let refund = returned.payment(keys::PAYMENT_REFUNDED, 5.0);
    let second_refund = returned.payment(keys::PAYMENT_REFUNDED, 2.5);
    let mut events = Vec::new();
    for order in [&cancelled, &returned, &declined] {
        events.extend(order.placed());
    }
    events.extend(cancelled.accepted());
    events.extend(cancelled.cancelled());
    events.extend(returned.accepted());
    events.extend(returned.delivered());
    events.extend([refund.clone(), second_refund, refund]);
    events.extend(declined.declined());

    app.publish_all(&events).await;
    let first = app.data(DAY).await;
    // Everything again, as a redelivery after a crash would bring it.
    app.publish_all(&events).await;

    assert_eq!(
        first[0]["revenue"], 12.5,
        "20.00 less 5.00 and 2.50: {first}"
    );
    assert_eq!(first[0]["orderCount"], 1);
    assert_eq!(
        (&first[0]["gross"], &first[0]["refunds"], &first[0]["net"]),
        (
            &serde_json::json!(30.8),
            &serde_json::json!(18.3),
            &serde_json::json!(12.5)
        ),
        "10.80 voided and 7.50 refunded come off 30.80 recognised: {first}"
    );
    assert_eq!(app.data(DAY).await, first);
    let metrics = app.data("/analytics/dashboard-metrics").await;
    assert_eq!(metrics["totalRevenue"], 12.5);
    assert_eq!(metrics["refunded"], 18.3, "10.80 voided and 7.50 refunded");
    assert_eq!(metrics["ordersByStatus"]["REJECTED"], 1);
    let top = app.data("/analytics/top-products").await;
    assert_eq!(top[0]["units"], 1, "only the order that counts: {top}");

    app.stop().await;
}

#[tokio::test]
async fn an_invoiced_order_counts_what_it_is_due_from_processing_until_it_is_cancelled() {
    let app = spawn_app().await;
    let at = "2026-06-01T08:00:00.000Z";
    let kept = Order::invoiced("i1", at, quote([40.0, 0.0, 0.0, 0.0, 5.99, 3.68, 49.67]));
    let dropped = Order::invoiced("i2", at, quote([1.0, 0.0, 0.0, 0.0, 5.99, 0.56, 7.55]));
    app.publish_all(&[kept.placed(), dropped.placed()].concat())
        .await;
    let pending = app.data(DAY).await;

    app.publish_all(&[kept.accepted(), dropped.accepted()].concat())
        .await;
    let accepted = app.data(DAY).await;
    app.publish_all(&[kept.delivered(), dropped.cancelled()].concat())
        .await;

    assert_eq!(pending[0]["revenue"], 0.0, "{pending}");
    assert_eq!(accepted[0]["revenue"], 57.22, "{accepted}");
    let day = app.data(DAY).await;
    assert_eq!(day[0]["revenue"], 49.67, "{day}");
    assert_eq!(day[0]["orderCount"], 1);

    app.stop().await;
}
