//! A customer's wishlist news (customer-service's `wishlist.back_in_stock` and
//! `wishlist.price_dropped`): one in-app notification per event, and one mail when the
//! customer keeps the `wishlist` mail preference on; none when they turned it off.

use serde_json::{Value, json};
use shared::{
    events::{Envelope, keys},
    testing::eventually,
};

use crate::{
    helpers::{TestApp, WAIT, spawn_mailing},
    smtp::{self, Received, Sink},
};

const LAMP: &str = "65a1b2c3d4e5f60718293a4b";

fn news(kind: &str, customer: &str, data: Value) -> Envelope {
    let mut payload = json!({"customerId": customer, "productId": LAMP, "name": "Desk Lamp"});
    payload
        .as_object_mut()
        .unwrap()
        .extend(data.as_object().unwrap().clone());
    Envelope::new(kind, "customer-service", "wishlist-test", payload)
}

async fn wait_mails(sink: &Sink, n: usize) -> Vec<Received> {
    eventually(&format!("{n} mails"), WAIT, || async {
        let got = sink.received();
        assert!(got.len() <= n, "more mail than expected: {got:#?}");
        (got.len() == n).then_some(got)
    })
    .await
}

fn subjects(mails: &[Received]) -> Vec<String> {
    let mut subjects: Vec<String> = mails
        .iter()
        .map(|m| smtp::parse(&m.data).header("Subject").unwrap().to_owned())
        .collect();
    subjects.sort();
    subjects
}

async fn preferences(app: &TestApp, bearer: &str, body: Value) -> (u16, Value) {
    let answer = app
        .app
        .client
        .patch(app.app.url("/notifications/preferences"))
        .header("authorization", bearer)
        .json(&body)
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

#[tokio::test]
async fn wishlist_news_make_one_notification_and_one_mail_each_even_when_redelivered() {
    let sink = Sink::start().await;
    let app = spawn_mailing(&sink.url()).await;
    let (me, bearer) = app.customer();
    app.register(&me, "wish@example.com", "Wes").await;

    let dropped = news(
        keys::WISHLIST_PRICE_DROPPED,
        &me,
        json!({"oldPrice": 20.0, "newPrice": 15.5}),
    );
    let back = news(
        keys::WISHLIST_BACK_IN_STOCK,
        &me,
        json!({"newPrice": 15.5, "stock": 4}),
    );
    for event in [&dropped, &dropped, &back, &back] {
        app.publish(event).await;
    }
    let mails = wait_mails(&sink, 2).await;
    assert_eq!(
        subjects(&mails),
        ["Desk Lamp costs less now", "Desk Lamp is back in stock"]
    );
    let text = mails
        .iter()
        .map(|m| smtp::parse(&m.data).text)
        .collect::<String>();
    assert!(text.contains("from 20.00 to 15.50"), "{text}");
    let listed = app.wait_notifications(&bearer, 2).await;
    for notification in listed["data"].as_array().unwrap() {
        assert_eq!(notification["category"], "wishlist", "{notification}");
        assert_eq!(notification["details"]["productId"], LAMP);
    }
    let mut kinds: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["wishlist.back_in_stock", "wishlist.price_dropped"]);
    app.stop().await;
}

#[tokio::test]
async fn a_customer_who_turned_wishlist_mail_off_gets_the_notification_but_no_mail() {
    let sink = Sink::start().await;
    let app = spawn_mailing(&sink.url()).await;
    let (me, bearer) = app.customer();
    app.register(&me, "quiet@example.com", "Quin").await;
    let (status, body) = preferences(&app, &bearer, json!({"email": {"wishlist": "no"}})).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = preferences(&app, &bearer, json!({"email": {"wishlist": false}})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"],
        json!({"email": {"orders": true, "payments": true, "loyalty": true, "wishlist": false}})
    );

    app.publish(&news(
        keys::WISHLIST_BACK_IN_STOCK,
        &me,
        json!({"newPrice": 15.5, "stock": 4}),
    ))
    .await;
    // An order's mail afterwards arrives alone: the wishlist news queued none.
    let order = "65a1b2c3d4e5f60718293a4c";
    app.publish(&Envelope::new(
        keys::ORDER_CREATED,
        "order-service",
        "wishlist-test",
        json!({"orderId": order, "customerId": me, "items": [{"productId": LAMP, "quantity": 1}],
               "total": 15.5, "createdAt": "2026-01-01T10:00:00.000Z"}),
    ))
    .await;
    let listed = app.wait_notifications(&bearer, 2).await;
    let mails = wait_mails(&sink, 1).await;
    assert_eq!(subjects(&mails), [format!("Order {order} placed")]);
    assert!(
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "wishlist.back_in_stock"),
        "{listed}"
    );
    let wished = app
        .notification_documents()
        .await
        .into_iter()
        .find(|d| d.get_str("kind") == Ok("wishlist.back_in_stock"))
        .expect("stored");
    assert!(wished.get("mail").is_none(), "no mail queued: {wished}");
    app.stop().await;
}
