//! Mail delivery announced for analytics (issue 17): every attempt to mail a notification, over
//! real SMTP to a sink per test, leaves through the notification's outbox as
//! `notification.mail_failed` (tried again, or refused for good) or `notification.mailed`.

use std::time::Duration;

use serde_json::json;
use shared::{
    api::notifications::MailDelivery,
    events::{Envelope, keys, topology},
    testing::{eventually, take_one},
};

use crate::{
    helpers::{TestApp, WAIT, spawn_mailing},
    smtp::Sink,
};

fn placed(order: &str, customer: &str) -> Envelope {
    Envelope::new(
        keys::ORDER_CREATED,
        "order-service",
        "req-d",
        json!({"orderId": order, "customerId": customer,
               "items": [{"productId": "p1", "quantity": 1, "name": "Mug", "price": 9.5}],
               "total": 9.5, "createdAt": "2026-01-01T10:00:00.000Z"}),
    )
}

/// Reads analytics' queue (every event of the test's exchange lands there) until `done` holds
/// for the delivery announcements seen; returns them (routing key, payload) as published.
async fn announcements(
    app: &TestApp,
    done: impl Fn(&[(String, MailDelivery)]) -> bool,
) -> Vec<(String, MailDelivery)> {
    let queue = app.bus.queue_name(topology::ANALYTICS.suffix);
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        while let Some(event) = take_one(&app.bus, &queue).await {
            if event.kind == keys::NOTIFICATION_MAILED
                || event.kind == keys::NOTIFICATION_MAIL_FAILED
            {
                seen.push((event.kind.clone(), event.data_as().expect("a MailDelivery")));
            }
        }
        if done(&seen) {
            return seen;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "announcements so far: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn each_failed_attempt_and_the_sent_mail_are_announced_once_with_how_long_the_mail_waited() {
    let sink = Sink::start().await;
    let url = sink.url();
    let stopped = sink.stop();
    let app = spawn_mailing(&url).await;
    let (me, _) = app.customer();
    app.register(&me, "fay@example.com", "Fay").await;
    app.publish(&placed("65a1b2c3d4e5f60718293d01", &me)).await;
    let failing = announcements(&app, |seen| seen.len() >= 2).await;

    let sink = Sink::restart(stopped).await;
    let mut all = failing.clone();
    all.extend(
        announcements(&app, |seen| {
            seen.iter().any(|(k, _)| k == keys::NOTIFICATION_MAILED)
        })
        .await,
    );
    eventually("the mail", WAIT, || async {
        (!sink.received().is_empty()).then_some(())
    })
    .await;

    let (sent, failed): (Vec<_>, Vec<_>) = all
        .iter()
        .partition(|(k, _)| k == keys::NOTIFICATION_MAILED);
    assert_eq!(sent.len(), 1, "announced sent once: {all:?}");
    let sent = &sent[0].1;
    assert!(
        failed
            .iter()
            .all(|(_, d)| d.outcome == "retry" && d.reason.is_some()),
        "{all:?}"
    );
    let numbers: Vec<u32> = failed.iter().map(|(_, d)| d.attempt).collect();
    assert_eq!(
        numbers,
        (1..=numbers.len() as u32).collect::<Vec<_>>(),
        "each attempt once, in order"
    );
    assert_eq!(sent.attempt as usize, numbers.len() + 1);
    assert_eq!(sent.outcome, "sent");
    assert_eq!(sent.kind, "order.placed");
    assert_eq!(sent.customer_id, me);
    assert!(
        all.iter().all(
            |(_, d)| d.notification_id == sent.notification_id && d.queued_at == sent.queued_at
        )
    );
    assert!(
        sent.waited_ms >= failed.last().unwrap().1.waited_ms,
        "{all:?}"
    );
    assert!(sent.reason.is_none());
    app.stop().await;
}

#[tokio::test]
async fn a_mail_refused_for_good_is_announced_failed_once() {
    let sink = Sink::start().await;
    let app = spawn_mailing(&sink.url()).await;
    let (me, _) = app.customer();
    // An address no SMTP server can take: refused before it is sent, for good.
    app.register(&me, "not an address", "Gil").await;
    app.publish(&placed("65a1b2c3d4e5f60718293d02", &me)).await;

    let seen = announcements(&app, |seen| !seen.is_empty()).await;
    let state = eventually("the mail marked failed", WAIT, || async {
        let d = app.notification_documents().await.into_iter().next()?;
        (d.get_str("mailState") == Ok("failed")).then_some(d)
    })
    .await;
    // Nothing more comes: a failed mail is never tried again.
    app.publish(&placed("65a1b2c3d4e5f60718293d03", &me)).await;
    let more = announcements(&app, |seen| !seen.is_empty()).await;

    assert_eq!(seen.len(), 1, "{seen:?}");
    let (key, failed) = &seen[0];
    assert_eq!(key, keys::NOTIFICATION_MAIL_FAILED);
    assert_eq!((failed.outcome.as_str(), failed.attempt), ("failed", 1));
    assert!(
        failed
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("recipient")),
        "{failed:?}"
    );
    assert_eq!(state.get_str("mailState"), Ok("failed"));
    assert!(
        more.iter()
            .all(|(_, d)| d.notification_id != failed.notification_id),
        "{more:?}"
    );
    assert!(sink.received().is_empty());
    app.stop().await;
}
