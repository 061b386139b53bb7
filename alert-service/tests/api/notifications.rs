//! A customer's events become their own in-app notifications, once each; the list, the
//! unread count, marking read, and topic `me` on `/ws/alerts`.

use serde_json::{Value, json};
use shared::events::{Envelope, keys};

use crate::helpers::{TestApp, next_message, spawn_app};

fn event(kind: &str, data: Value) -> Envelope {
    Envelope::new(kind, "order-service", "req-n", data)
}

fn status(order: &str, customer: &str, new: &str, extra: Value) -> Envelope {
    let mut order_json = json!({"id": order, "customerId": customer, "status": new});
    order_json
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    event(
        keys::ORDER_STATUS_CHANGED,
        json!({"orderId": order, "customerId": customer, "oldStatus": "PROCESSING",
               "newStatus": new, "at": "2026-01-01T10:00:00.000Z", "index": 2, "order": order_json}),
    )
}

fn placed(order: &str, customer: &str) -> Envelope {
    event(
        keys::ORDER_CREATED,
        json!({"orderId": order, "customerId": customer,
               "items": [{"productId": "p1", "quantity": 2, "name": "Mug", "price": 4.5}],
               "total": 9.0, "createdAt": "2026-01-01T10:00:00.000Z"}),
    )
}

/// One event of every kind that notifies `customer`, and two that do not.
fn every_kind(customer: &str) -> Vec<Envelope> {
    let order = "65a1b2c3d4e5f60718293a4c";
    vec![
        placed(order, customer),
        status(order, customer, "PROCESSING", json!({})),
        status(
            order,
            customer,
            "SHIPPED",
            json!({"carrier": "DHL", "trackingNumber": "TN-42"}),
        ),
        status(order, customer, "DELIVERED", json!({})),
        status(
            order,
            customer,
            "REJECTED",
            json!({"rejectionReason": "PAYMENT_DECLINED: card_declined"}),
        ),
        status(
            order,
            customer,
            "CANCELLED",
            json!({"cancellationReason": "changed my mind"}),
        ),
        event(
            keys::PAYMENT_FAILED,
            json!({"orderId": order, "customerId": customer, "amount": 12.0, "providerRef": null, "reason": "card_declined"}),
        ),
        event(
            keys::PAYMENT_REFUNDED,
            json!({"orderId": order, "customerId": customer, "amount": 12.0, "providerRef": "rf_1"}),
        ),
        event(
            keys::LOYALTY_CHANGED,
            json!({"customerId": customer, "points": 1200, "tier": "SILVER", "previousTier": "BRONZE",
                   "change": {"points": 100, "reason": "ORDER_DELIVERED"}}),
        ),
        event(
            keys::LOYALTY_CHANGED,
            json!({"customerId": customer, "points": 1210, "tier": "SILVER", "previousTier": "SILVER",
                   "change": {"points": 10, "reason": "ORDER_DELIVERED"}}),
        ),
        returned(keys::RETURN_REQUESTED, order, customer),
        returned(keys::RETURN_RECEIVED, order, customer),
        // Told by the `payment.refunded` beside it: makes none of its own.
        returned(keys::RETURN_REFUNDED, order, customer),
    ]
}

fn returned(kind: &str, order: &str, customer: &str) -> Envelope {
    event(
        kind,
        json!({"returnId": "65a1b2c3d4e5f60718293a50", "orderId": order, "customerId": customer,
               "items": [{"productId": "65a1b2c3d4e5f60718293a51", "quantity": 1}],
               "amount": 10.8, "status": "REQUESTED"}),
    )
}

async fn post(app: &TestApp, path: &str, bearer: &str) -> (u16, Value) {
    app.request(reqwest::Method::POST, path, Some(bearer)).await
}

#[tokio::test]
async fn each_event_makes_one_notification_for_its_customer_even_when_delivered_twice() {
    let app = spawn_app().await;
    let (me, bearer) = app.customer();
    let (_, stranger) = app.customer();

    for e in every_kind(&me) {
        app.publish(&e).await;
        app.publish(&e).await;
    }
    // A later event for another customer: once it is listed, every earlier delivery was
    // handled (one queue, in order).
    let (other, other_bearer) = app.customer();
    app.publish(&placed("65a1b2c3d4e5f60718293a4d", &other))
        .await;
    app.wait_notifications(&other_bearer, 1).await;

    let body = app.wait_notifications(&bearer, 10).await;
    assert_eq!(body["meta"]["unread"], 10, "{body}");
    let kinds: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "order.placed",
        "order.shipped",
        "order.delivered",
        "order.rejected",
        "order.cancelled",
        "payment.declined",
        "refund.issued",
        "loyalty.tier",
        "return.requested",
        "return.received",
    ] {
        assert_eq!(
            kinds.iter().filter(|k| **k == kind).count(),
            1,
            "{kind}: {kinds:?}"
        );
    }
    let shipped = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "order.shipped")
        .unwrap();
    assert_eq!(shipped["details"]["carrier"], "DHL");
    assert!(
        shipped["message"].as_str().unwrap().contains("TN-42"),
        "{shipped}"
    );
    assert_eq!(app.notification_documents().await.len(), 11);

    let (status, theirs) = app.notifications("", &stranger).await;
    assert_eq!((status, theirs["meta"]["total"].as_u64()), (200, Some(0)));

    app.stop().await;
}

#[tokio::test]
async fn a_customer_marks_their_own_read_and_never_reaches_anothers() {
    let app = spawn_app().await;
    let (me, bearer) = app.customer();
    let (_, stranger) = app.customer();
    app.publish(&placed("65a1b2c3d4e5f60718293a4c", &me)).await;
    app.publish(&status(
        "65a1b2c3d4e5f60718293a4c",
        &me,
        "DELIVERED",
        json!({}),
    ))
    .await;
    let body = app.wait_notifications(&bearer, 2).await;
    let id = body["data"][0]["id"].as_str().unwrap().to_owned();

    let (status, refused) = post(&app, &format!("/notifications/{id}/read"), &stranger).await;
    assert_eq!(status, 404, "{refused}");
    assert_eq!(refused["error"]["code"], "NOT_FOUND");
    let (_, after) = app.notifications("", &bearer).await;
    assert_eq!(after["meta"]["unread"], 2, "a stranger changed nothing");

    let (status, read) = post(&app, &format!("/notifications/{id}/read"), &bearer).await;
    assert_eq!(
        (status, &read["data"]["read"]),
        (200, &json!(true)),
        "{read}"
    );
    let first_read_at = read["data"]["readAt"].clone();
    let (_, again) = post(&app, &format!("/notifications/{id}/read"), &bearer).await;
    assert_eq!(
        again["data"]["readAt"], first_read_at,
        "the first reading is kept"
    );

    let (_, unread) = app.notifications("?unread=true", &bearer).await;
    assert_eq!(
        (
            unread["meta"]["total"].as_u64(),
            unread["meta"]["unread"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let (status, all) = post(&app, "/notifications/read-all", &bearer).await;
    assert_eq!((status, &all["data"]["marked"]), (200, &json!(1)), "{all}");
    let (_, none) = app.notifications("", &bearer).await;
    assert_eq!(none["meta"]["unread"], 0);

    for (path, expected) in [
        ("/notifications/not-an-id/read", 400),
        ("/notifications/65a1b2c3d4e5f60718293a4c/read", 404),
    ] {
        let (status, body) = post(&app, path, &bearer).await;
        assert_eq!(status, expected, "{path}: {body}");
    }
    let (status, body) = app.notifications("?unread=maybe&limit=0", &bearer).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["details"]["unread"].is_string()
            || body["error"]["details"]["unread"].is_array(),
        "{body}"
    );
    let (status, _) = app
        .request(reqwest::Method::GET, "/notifications", None)
        .await;
    assert_eq!(status, 401);

    app.stop().await;
}

#[tokio::test]
async fn topic_me_carries_the_callers_own_notifications_and_nobody_elses() {
    let app = spawn_app().await;
    let (me, bearer) = app.customer();
    let (other, other_bearer) = app.customer();
    let mut mine = app.ws("?topics=me", &bearer).await;
    let mut theirs = app.ws("?topics=me", &other_bearer).await;
    for socket in [&mut mine, &mut theirs] {
        let hello = next_message(socket).await.unwrap();
        assert_eq!(hello, json!({"type": "subscribed", "topics": ["me"]}));
    }

    // The replica's live queue is bound once one of ours arrives.
    let mut n = 0;
    let warmed = loop {
        n += 1;
        assert!(n < 30, "live notifications never arrived");
        let order = format!("65a1b2c3d4e5f60718293{n:03x}");
        app.publish(&placed(&order, &other)).await;
        let got =
            tokio::time::timeout(std::time::Duration::from_secs(2), next_message(&mut theirs))
                .await;
        if let Ok(Some(message)) = got {
            break message;
        }
    };
    assert_eq!(warmed["type"], "notification");
    assert_eq!(warmed["notification"]["customerId"], other);

    // The other customer's notifications went out before this one: had any reached `mine`,
    // it would come first.
    app.publish(&status(
        "65a1b2c3d4e5f60718293a4c",
        &me,
        "SHIPPED",
        json!({"carrier": "UPS"}),
    ))
    .await;
    let got = next_message(&mut mine).await.unwrap();
    assert_eq!(got["type"], "notification", "{got}");
    assert_eq!(got["notification"]["customerId"], me);
    assert_eq!(got["notification"]["kind"], "order.shipped");

    app.stop().await;
}
