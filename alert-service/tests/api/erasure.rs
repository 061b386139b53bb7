//! `customer.erased` (issue 19): alert-service forgets the customer — the address it learnt
//! from `customer.registered`, the mail preferences, every notification — and a late
//! `customer.registered` cannot bring the address back. Another customer keeps everything.

use bson::{Document, doc};
use serde_json::json;
use shared::{
    events::{Envelope, keys},
    testing::eventually,
};

use crate::helpers::{WAIT, spawn_app};

fn placed(order: &str, customer: &str) -> Envelope {
    Envelope::new(
        keys::ORDER_CREATED,
        "order-service",
        "req",
        json!({"orderId": order, "customerId": customer,
               "items": [{"productId": "p1", "quantity": 1, "name": "Mug", "price": 4.5}],
               "total": 4.5, "createdAt": "2026-01-01T10:00:00.000Z"}),
    )
}

fn erased(customer: &str) -> Envelope {
    Envelope::new(
        keys::CUSTOMER_ERASED,
        "customer-service",
        "erase",
        json!({"customerId": customer, "erasedAt": "2026-01-02T00:00:00Z"}),
    )
}

#[tokio::test]
async fn an_erased_customer_is_forgotten_and_a_late_sign_up_event_does_not_bring_them_back() {
    let app = spawn_app().await;
    let (gone, gone_bearer) = app.customer();
    let (kept, kept_bearer) = app.customer();
    app.register(&gone, "gone@example.com", "Gone").await;
    app.register(&kept, "kept@example.com", "Kept").await;
    let (status, _) = app
        .request(
            reqwest::Method::GET,
            "/notifications/preferences",
            Some(&gone_bearer),
        )
        .await;
    assert_eq!(status, 200);
    app.publish(&placed("65a1b2c3d4e5f60718293a4c", &gone))
        .await;
    app.publish(&placed("65a1b2c3d4e5f60718293a4d", &kept))
        .await;
    app.wait_notifications(&gone_bearer, 1).await;
    app.wait_notifications(&kept_bearer, 1).await;
    let recipients = app.db.collection::<Document>("recipients");
    eventually("both addresses", WAIT, || async {
        (recipients.count_documents(doc! {}).await.unwrap() == 2).then_some(())
    })
    .await;

    app.publish(&erased(&gone)).await;
    // The same queue, in order: once this later sign-up is applied, the erasure was too.
    app.register(&gone, "gone@example.com", "Gone").await;
    let (late, _) = app.customer();
    app.register(&late, "late@example.com", "Late").await;
    eventually("the later sign-up", WAIT, || async {
        recipients
            .find_one(doc! { "_id": &late })
            .await
            .unwrap()
            .map(|_| ())
    })
    .await;

    let tomb = recipients
        .find_one(doc! { "_id": &gone })
        .await
        .unwrap()
        .expect("a tombstone");
    assert!(
        !tomb.contains_key("email") && !tomb.contains_key("name"),
        "{tomb}"
    );
    let kept_doc = recipients
        .find_one(doc! { "_id": &kept })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept_doc.get_str("email").unwrap(), "kept@example.com");
    let notifications = app.notification_documents().await;
    assert!(
        notifications
            .iter()
            .all(|n| n.get_str("customerId").unwrap() != gone),
        "an erased customer's notification is left"
    );
    assert_eq!(
        notifications
            .iter()
            .filter(|n| n.get_str("customerId").unwrap() == kept)
            .count(),
        1
    );
    let (_, list) = app.notifications("", &gone_bearer).await;
    assert_eq!(list["meta"]["total"], 0, "{list}");
    // A redelivery changes nothing.
    app.publish(&erased(&gone)).await;
    app.wait_notifications(&kept_bearer, 1).await;
    app.stop().await;
}
