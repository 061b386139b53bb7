//! Notification mail over real SMTP to a sink per test: text and HTML parts, one mail per
//! event whatever is redelivered, preferences, and a mail server that is down for a while.

use std::{collections::HashSet, time::Duration};

use alert_service::config::MailConfig;
use bson::Document;
use serde_json::{Value, json};
use shared::{
    events::{Envelope, keys},
    testing::eventually,
};

use crate::{
    helpers::{TestApp, WAIT, spawn_mailing},
    smtp::{self, Received, Sink},
};

fn event(kind: &str, data: Value) -> Envelope {
    Envelope::new(kind, "order-service", "req-m", data)
}

fn placed(order: &str, customer: &str) -> Envelope {
    event(
        keys::ORDER_CREATED,
        json!({"orderId": order, "customerId": customer,
               "items": [{"productId": "p1", "quantity": 1, "name": "Mug", "price": 9.5}],
               "total": 9.5, "createdAt": "2026-01-01T10:00:00.000Z"}),
    )
}

fn shipped(order: &str, customer: &str) -> Envelope {
    event(
        keys::ORDER_STATUS_CHANGED,
        json!({"orderId": order, "customerId": customer, "oldStatus": "PROCESSING",
               "newStatus": "SHIPPED", "at": "2026-01-01T10:00:00.000Z", "index": 2,
               "order": {"id": order, "customerId": customer, "carrier": "DHL", "trackingNumber": "TN-77"}}),
    )
}

fn delivered(order: &str, customer: &str) -> Envelope {
    event(
        keys::ORDER_STATUS_CHANGED,
        json!({"orderId": order, "customerId": customer, "oldStatus": "SHIPPED",
               "newStatus": "DELIVERED", "at": "2026-01-01T11:00:00.000Z", "index": 3,
               "order": {"id": order, "customerId": customer}}),
    )
}

fn payment(kind: &str, order: &str, customer: &str) -> Envelope {
    event(
        kind,
        json!({"orderId": order, "customerId": customer, "amount": 21.0, "providerRef": "ref-1",
               "reason": "card_declined"}),
    )
}

async fn wait_mails(sink: &Sink, n: usize) -> Vec<Received> {
    eventually(&format!("{n} mails"), WAIT, || async {
        let got = sink.received();
        assert!(got.len() <= n, "more mail than expected: {got:#?}");
        (got.len() == n).then_some(got)
    })
    .await
}

async fn document(app: &TestApp, event: &Envelope) -> Option<Document> {
    app.notification_documents()
        .await
        .into_iter()
        .find(|d| d.get_str("eventId") == Ok(&event.id.to_string()))
}

#[tokio::test]
async fn each_mailed_kind_arrives_once_with_text_and_html_parts_even_when_redelivered() {
    let sink = Sink::start().await;
    let app = spawn_mailing(&sink.url()).await;
    let (me, bearer) = app.customer();
    let order = "65a1b2c3d4e5f60718293a4c";
    app.register(&me, "ann@example.com", "Ann").await;

    let events = [
        placed(order, &me),
        shipped(order, &me),
        delivered(order, &me),
        payment(keys::PAYMENT_FAILED, order, &me),
        payment(keys::PAYMENT_REFUNDED, order, &me),
    ];
    for e in &events {
        app.publish(e).await;
        app.publish(e).await;
    }
    let got = wait_mails(&sink, 5).await;
    app.wait_notifications(&bearer, 5).await;

    let mut subjects = Vec::new();
    for mail in &got {
        assert_eq!(mail.to, ["ann@example.com"]);
        assert_eq!(mail.from, "shop@localhost");
        let parsed = smtp::parse(&mail.data);
        assert!(parsed.text.contains("Hello Ann,"), "{}", parsed.text);
        assert!(parsed.html.contains("<h1>"), "{}", parsed.html);
        let message_id = parsed.header("Message-ID").unwrap();
        assert!(message_id.starts_with("<notification-"), "{message_id}");
        subjects.push(parsed.header("Subject").unwrap().to_owned());
        if subjects.last().unwrap().contains("shipped") {
            assert!(parsed.text.contains("Carrier: DHL"), "{}", parsed.text);
            assert!(
                parsed.text.contains("Tracking number: TN-77"),
                "{}",
                parsed.text
            );
            assert!(parsed.html.contains("TN-77"), "{}", parsed.html);
        }
    }
    subjects.sort();
    assert_eq!(
        subjects,
        [
            format!("Order {order} delivered"),
            format!("Order {order} placed"),
            format!("Order {order} shipped"),
            format!("Payment declined for order {order}"),
            format!("Refund issued for order {order}"),
        ]
    );

    // A later mail arrives alone: the redeliveries above queued nothing more.
    let later = placed("65a1b2c3d4e5f60718293a4d", &me);
    app.publish(&later).await;
    let got = wait_mails(&sink, 6).await;
    assert!(
        smtp::parse(&got[5].data)
            .header("Subject")
            .unwrap()
            .ends_with("3a4d placed")
    );
    let sent = document(&app, &events[0]).await.unwrap();
    assert_eq!(sent.get_str("mailState"), Ok("sent"), "{sent}");

    app.stop().await;
}

#[tokio::test]
async fn an_opted_out_kind_sends_no_mail_but_keeps_the_in_app_notification() {
    let sink = Sink::start().await;
    let app = spawn_mailing(&sink.url()).await;
    let (me, bearer) = app.customer();
    app.register(&me, "bob@example.com", "Bob").await;
    let prefs = |body: &str| {
        app.app
            .client
            .patch(app.app.url("/notifications/preferences"))
            .header("authorization", &bearer)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
    };

    let refused = prefs(r#"{"email": {"orders": "no"}}"#).await.unwrap();
    assert_eq!(refused.status(), 400);
    let (_, unchanged) = app
        .request(
            reqwest::Method::GET,
            "/notifications/preferences",
            Some(&bearer),
        )
        .await;
    assert_eq!(
        unchanged["data"],
        json!({"email": {"orders": true, "payments": true, "loyalty": true, "wishlist": true}})
    );
    let changed: Value = prefs(r#"{"email": {"orders": false}}"#)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        changed["data"],
        json!({"email": {"orders": false, "payments": true, "loyalty": true, "wishlist": true}})
    );

    let order = "65a1b2c3d4e5f60718293a4c";
    let order_placed = placed(order, &me);
    app.publish(&order_placed).await;
    app.publish(&payment(keys::PAYMENT_REFUNDED, order, &me))
        .await;
    let got = wait_mails(&sink, 1).await;
    assert_eq!(
        smtp::parse(&got[0].data).header("Subject"),
        Some(format!("Refund issued for order {order}").as_str())
    );
    app.wait_notifications(&bearer, 2).await;
    let in_app = document(&app, &order_placed)
        .await
        .expect("the in-app notification");
    assert!(in_app.get("mail").is_none(), "no mail queued: {in_app}");

    app.stop().await;
}

#[tokio::test]
async fn mail_waits_while_the_smtp_server_is_down_and_arrives_once_when_it_is_back() {
    let sink = Sink::start().await;
    let url = sink.url();
    let stopped = sink.stop();
    let app = spawn_mailing(&url).await;
    let (me, _) = app.customer();
    app.register(&me, "cy@example.com", "Cy").await;
    let e = placed("65a1b2c3d4e5f60718293a4c", &me);
    app.publish(&e).await;

    // Tried and failed at least twice, still pending.
    let tried = eventually("failed attempts", WAIT, || async {
        let d = document(&app, &e).await?;
        (shared_int(&d, "mailAttempts") >= 2).then_some(d)
    })
    .await;
    assert_eq!(tried.get_str("mailState"), Ok("pending"), "{tried}");

    let sink = Sink::restart(stopped).await;
    let got = wait_mails(&sink, 1).await;
    assert_eq!(got[0].to, ["cy@example.com"]);
    eventually("the mail marked sent", WAIT, || async {
        let d = document(&app, &e).await?;
        (d.get_str("mailState") == Ok("sent")).then_some(())
    })
    .await;
    // A later mail arrives alone: the first was not sent a second time.
    app.publish(&delivered("65a1b2c3d4e5f60718293a4c", &me))
        .await;
    let got = wait_mails(&sink, 2).await;
    assert!(
        smtp::parse(&got[1].data)
            .header("Subject")
            .unwrap()
            .ends_with("delivered")
    );

    app.stop().await;
}

fn shared_int(d: &Document, field: &str) -> i64 {
    alert_service::store::int(d, field).unwrap_or_default()
}

#[tokio::test]
async fn two_replicas_send_each_queued_mail_once() {
    let sink = Sink::start().await;
    let app = spawn_mailing(&sink.url()).await;
    let replica = app
        .replica(Some(MailConfig::local(
            sink.url(),
            Duration::from_millis(50),
        )))
        .await;
    let (me, _) = app.customer();
    app.register(&me, "dee@example.com", "Dee").await;

    for n in 0..10 {
        app.publish(&placed(&format!("65a1b2c3d4e5f60718293b{n:02x}"), &me))
            .await;
    }
    let got = wait_mails(&sink, 10).await;
    let ids: HashSet<String> = got
        .iter()
        .map(|m| {
            smtp::parse(&m.data)
                .header("Message-ID")
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 10, "ten different messages");
    // Both replicas keep polling: a later mail arrives alone, so none of the ten went twice.
    app.publish(&delivered("65a1b2c3d4e5f60718293b00", &me))
        .await;
    wait_mails(&sink, 11).await;

    replica.stop_and_clean().await;
    app.stop().await;
}
