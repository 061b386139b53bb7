//! After-sales analytics (issue 15): returns by reason, received and refunded; review volume
//! and average rating; notifications per kind and their mail's delivery. Each counted once
//! however often its events arrive, in whichever order.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use shared::events::{Envelope, keys};

use crate::helpers::spawn_app;

const AT: &str = "2026-09-01T10:00:00Z";
const RANGE: &str = "/analytics/after-sales?from=2026-09-01&to=2026-09-01";

fn event(kind: &str, source: &str, data: Value) -> Envelope {
    let mut e = Envelope::new(kind, source, "req", data);
    e.occurred_at = AT.parse::<DateTime<Utc>>().unwrap();
    e
}

fn ret(kind: &str, id: &str, reason: &str, amount: f64) -> Envelope {
    event(
        kind,
        "order-service",
        json!({"returnId": id, "orderId": format!("o-{id}"), "customerId": "c1",
            "items": [{"productId": "p1", "quantity": 1}], "amount": amount,
            "status": "REQUESTED", "reason": reason}),
    )
}

fn review(id: &str, rating: i64) -> Envelope {
    event(
        keys::REVIEW_CREATED,
        "product-service",
        json!({"reviewId": id, "productId": "p1", "customerId": "c1", "rating": rating}),
    )
}

fn notification(id: &str, kind: &str) -> Envelope {
    event(
        keys::NOTIFICATION_CREATED,
        "alert-service",
        json!({"id": id, "customerId": "c1", "kind": kind, "category": "orders",
            "title": "t", "message": "m", "read": false, "createdAt": "2026-09-01T10:00:01Z",
            "eventId": "e"}),
    )
}

#[tokio::test]
async fn returns_reviews_and_notifications_are_counted_once_whatever_the_order_of_their_events() {
    let app = spawn_app().await;
    let refunded = ret(keys::RETURN_REFUNDED, "r1", "damaged", 12.5);
    let events = vec![
        // r1's refund arrives before its request.
        refunded.clone(),
        ret(keys::RETURN_REQUESTED, "r1", "damaged", 12.5),
        ret(keys::RETURN_REQUESTED, "r2", "damaged", 3.0),
        ret(keys::RETURN_RECEIVED, "r2", "damaged", 3.0),
        ret(keys::RETURN_REQUESTED, "r3", "wrong size", 7.25),
        review("v1", 5),
        review("v2", 4),
        review("v3", 4),
        notification("n1", "order_shipped"),
        notification("n2", "order_shipped"),
        notification("n3", "refund_issued"),
    ];

    app.publish_all(&events).await;
    let first = app.data(RANGE).await;
    // A redelivery of everything changes nothing.
    app.publish_all(&events).await;
    app.publish_all(&[refunded]).await;

    assert_eq!(
        first["returns"],
        json!({"requested": 3, "received": 2, "refunded": 1, "refundedAmount": 12.5,
            "byReason": {"damaged": 2, "wrong size": 1}}),
        "{first}"
    );
    assert_eq!(
        first["reviews"],
        json!({"count": 3, "averageRating": 4.33, "byRating": {"4": 2, "5": 1}})
    );
    assert_eq!(
        first["notifications"],
        json!({"count": 3, "byKind": {"order_shipped": 2, "refund_issued": 1},
            "mail": {"sent": 0, "failedAttempts": 0, "failed": 0, "delayed": 0,
                "delayedAfterMinutes": 10, "byKind": {}, "byDay": []}})
    );
    assert_eq!(app.data(RANGE).await, first);
    let dashboard = app.data("/analytics/dashboard-metrics").await;
    assert_eq!(dashboard["afterSales"]["returns"]["requested"], 3);
    assert_eq!(dashboard["afterSales"]["reviews"]["averageRating"], 4.33);
    let empty = app
        .data("/analytics/after-sales?from=2026-09-02&to=2026-09-02")
        .await;
    assert_eq!(empty["returns"]["requested"], 0);
    assert_eq!(empty["reviews"]["averageRating"], Value::Null);
    app.stop().await;
}

#[tokio::test]
async fn the_after_sales_report_is_for_admins_and_refuses_a_bad_period() {
    let app = spawn_app().await;

    let (customer, _) = app.get(RANGE, Some(&app.customer)).await;
    let (anonymous, _) = app.get(RANGE, None).await;
    let (bad, body) = app
        .get(
            "/analytics/after-sales?from=2026-09-03&to=2026-09-01",
            Some(&app.admin),
        )
        .await;

    assert_eq!((customer, anonymous), (403, 401));
    assert_eq!(bad, 400, "{body}");
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
    app.stop().await;
}

/// `notification.mailed` or `notification.mail_failed` for attempt `attempt` of `id`'s mail,
/// queued at 10:00 on 2026-09-01 and ended `waited_s` seconds later.
fn attempt(id: &str, kind: &str, outcome: &str, attempt: u32, waited_s: i64) -> Envelope {
    let queued = AT.parse::<DateTime<Utc>>().unwrap();
    let at = queued + chrono::Duration::seconds(waited_s);
    let key = if outcome == "sent" {
        keys::NOTIFICATION_MAILED
    } else {
        keys::NOTIFICATION_MAIL_FAILED
    };
    let mut e = event(
        key,
        "alert-service",
        serde_json::to_value(shared::api::notifications::MailDelivery {
            notification_id: id.to_owned(),
            customer_id: "c1".to_owned(),
            kind: kind.to_owned(),
            outcome: outcome.to_owned(),
            attempt,
            queued_at: AT.to_owned(),
            at: at.to_rfc3339(),
            waited_ms: waited_s * 1000,
            reason: (outcome != "sent").then(|| "421 try later".to_owned()),
        })
        .unwrap(),
    );
    e.occurred_at = at;
    e
}

#[tokio::test]
async fn mail_delivery_is_counted_per_kind_and_day_once_however_often_it_is_announced() {
    let app = spawn_app().await;
    let events = vec![
        // n1: sent at once; a crash after the server took it sent it again (announced twice).
        attempt("n1", "order.shipped", "sent", 1, 1),
        attempt("n1", "order.shipped", "sent", 2, 70),
        // n2: the server down for a day: two failed attempts, then sent the next morning.
        attempt("n2", "order.shipped", "retry", 1, 2),
        attempt("n2", "order.shipped", "retry", 2, 15 * 60),
        attempt("n2", "order.shipped", "sent", 3, 24 * 3600),
        // n3: an unknown mailbox, refused for good at the first attempt.
        attempt("n3", "refund.issued", "failed", 1, 3),
    ];

    app.publish_all(&events).await;
    // A redelivery of everything changes nothing.
    app.publish_all(&events).await;
    let both_days = app
        .data("/analytics/after-sales?from=2026-09-01&to=2026-09-02")
        .await;
    let first_day = app.data(RANGE).await;
    let dashboard = app.data("/analytics/dashboard-metrics").await;

    let mail = &both_days["notifications"]["mail"];
    assert_eq!(
        (
            &mail["sent"],
            &mail["failedAttempts"],
            &mail["failed"],
            &mail["delayed"]
        ),
        (&json!(2), &json!(3), &json!(1), &json!(1)),
        "{mail}"
    );
    assert_eq!(mail["delayedAfterMinutes"], 10);
    assert_eq!(
        mail["byKind"],
        json!({
            "order.shipped": {"sent": 2, "failedAttempts": 2, "failed": 0, "delayed": 1},
            "refund.issued": {"sent": 0, "failedAttempts": 1, "failed": 1, "delayed": 0},
        })
    );
    assert_eq!(
        mail["byDay"],
        json!([
            {"date": "2026-09-01", "sent": 1, "failedAttempts": 3, "failed": 1, "delayed": 1},
            {"date": "2026-09-02", "sent": 1, "failedAttempts": 0, "failed": 0, "delayed": 1},
        ])
    );
    let first = &first_day["notifications"]["mail"];
    assert_eq!(
        (&first["sent"], &first["delayed"]),
        (&json!(1), &json!(1)),
        "{first}"
    );
    assert_eq!(dashboard["afterSales"]["notifications"]["mail"]["sent"], 2);
    let typed: shared::api::reports::AfterSales =
        serde_json::from_value(both_days.clone()).expect("the declared answer type");
    assert_eq!(typed.notifications.mail.by_day.len(), 2);
    app.stop().await;
}
