//! The mail backlog on `/metrics`: while the SMTP server cannot be reached the pending mail
//! and the age of the oldest rise; once it is back the mail arrives, once, and both fall.

use serde_json::json;
use shared::{
    events::{Envelope, keys},
    testing::eventually,
};

use crate::{
    helpers::{TestApp, WAIT, spawn_mailing},
    smtp::Sink,
};

/// The value of the unlabelled gauge `name` on the app's `/metrics`.
async fn gauge(app: &TestApp, name: &str) -> Option<f64> {
    let text = app.app.get_text("/metrics").await;
    text.lines()
        .filter_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .find_map(|value| value.trim().parse().ok())
}

#[tokio::test]
async fn the_mail_backlog_rises_while_the_smtp_server_is_unreachable_and_falls_once_it_is_sent() {
    // A port nothing listens on: the sink is started and stopped at once.
    let (port, received) = Sink::start().await.stop();
    let app = spawn_mailing(&format!("smtp://127.0.0.1:{port}")).await;
    let (me, _) = app.customer();
    app.register(&me, "bea@example.com", "Bea").await;
    let order = "65a1b2c3d4e5f60718293b01";
    app.publish(&Envelope::new(
        keys::ORDER_CREATED,
        "order-service",
        "req-backlog",
        json!({"orderId": order, "customerId": me,
               "items": [{"productId": "p1", "quantity": 1, "name": "Mug", "price": 9.5}],
               "total": 9.5, "createdAt": "2026-01-01T10:00:00.000Z"}),
    ))
    .await;

    eventually("one mail pending, waiting over a second", WAIT, || async {
        let pending = gauge(&app, "notification_mail_backlog").await;
        let age = gauge(&app, "notification_mail_oldest_pending_seconds").await;
        (pending == Some(1.0) && age.is_some_and(|a| a >= 1.0)).then_some(())
    })
    .await;
    let tried = &app.notification_documents().await[0];
    let attempts = match tried.get("mailAttempts") {
        Some(bson::Bson::Int64(n)) => *n,
        Some(bson::Bson::Int32(n)) => i64::from(*n),
        _ => 0,
    };
    assert!(attempts >= 1, "it was tried and refused meanwhile");

    let sink = Sink::restart((port, received)).await;
    eventually("the backlog to empty", WAIT, || async {
        let pending = gauge(&app, "notification_mail_backlog").await;
        let age = gauge(&app, "notification_mail_oldest_pending_seconds").await;
        (pending == Some(0.0) && age == Some(0.0)).then_some(())
    })
    .await;

    let got = sink.received();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].to, ["bea@example.com"]);
    let sent = &app.notification_documents().await[0];
    assert_eq!(sent.get_str("mailState"), Ok("sent"), "{sent}");
    app.stop().await;
}
