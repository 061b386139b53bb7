//! order-service's `subscription.paused` (issue 17): the customer gets one in-app notification
//! saying why, and one mail, however often the event is delivered.

use serde_json::json;
use shared::{
    events::{Envelope, keys},
    testing::eventually,
};

use crate::{
    helpers::{WAIT, spawn_mailing},
    smtp::{self, Sink},
};

#[tokio::test]
async fn a_paused_subscription_notifies_its_customer_once_in_app_and_by_mail() {
    let sink = Sink::start().await;
    let app = spawn_mailing(&sink.url()).await;
    let (me, bearer) = app.customer();
    let (_, stranger) = app.customer();
    app.register(&me, "sam@example.com", "Sam").await;
    let subscription = "65a1b2c3d4e5f60718293a60";
    let paused = Envelope::new(
        keys::SUBSCRIPTION_PAUSED,
        "order-service",
        "req-s",
        json!({ "subscriptionId": subscription, "customerId": me,
                "reason": "PAYMENT_DECLINED: card_declined" }),
    );

    app.publish(&paused).await;
    app.publish(&paused).await;
    let listed = app.wait_notifications(&bearer, 1).await;
    let mail = eventually("the mail", WAIT, || async {
        let got = sink.received();
        (!got.is_empty()).then_some(got)
    })
    .await;
    // A later event's notification shows every earlier delivery was handled (one queue, in order).
    let later = Envelope::new(
        keys::SUBSCRIPTION_PAUSED,
        "order-service",
        "req-t",
        json!({ "subscriptionId": "65a1b2c3d4e5f60718293a61", "customerId": me,
                "reason": "ORDER_REFUSED: Lamp: 2 wanted, 0 in stock" }),
    );
    app.publish(&later).await;
    let both = app.wait_notifications(&bearer, 2).await;

    let first = &listed["data"][0];
    assert_eq!(first["kind"], "subscription.paused", "{listed}");
    assert_eq!(first["details"]["subscriptionId"], subscription);
    assert!(
        first["message"].as_str().unwrap().contains("declined"),
        "{first}"
    );
    let refused = both["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["details"]["subscriptionId"] == "65a1b2c3d4e5f60718293a61")
        .unwrap();
    assert!(
        refused["message"].as_str().unwrap().contains("0 in stock"),
        "{refused}"
    );
    assert_eq!(mail.len(), 1);
    let parsed = smtp::parse(&mail[0].data);
    assert_eq!(mail[0].to, ["sam@example.com"]);
    assert_eq!(
        parsed.header("Subject").unwrap(),
        format!("Subscription {subscription} paused")
    );
    eventually("the second mail alone", WAIT, || async {
        let got = sink.received();
        assert!(got.len() <= 2, "more mail than expected: {got:#?}");
        (got.len() == 2).then_some(())
    })
    .await;
    let (_, theirs) = app.notifications("", &stranger).await;
    assert_eq!(theirs["meta"]["total"], 0);
    app.stop().await;
}
