//! `GET /analytics/dead-letters` and `POST /analytics/dead-letters/replay` against the real
//! RabbitMQ: a malformed event analytics refuses is listed with its queue and reason, and a
//! replay sends it back to that queue.

use reqwest::Method;
use serde_json::json;
use shared::{
    events::{Envelope, keys},
    testing::eventually,
};

use crate::helpers::{WAIT, publish, spawn_app};

#[tokio::test]
async fn a_refused_event_is_listed_with_its_queue_and_reason_and_a_replay_sends_it_back() {
    let app = spawn_app().await;
    let malformed = Envelope::new(
        keys::ORDER_CREATED,
        "order-service",
        "req",
        json!({ "orderId": 7 }),
    );
    publish(&app.bus, &malformed).await;

    let listed = eventually("the event dead-lettered", WAIT, || async {
        let listed = app.data("/analytics/dead-letters").await;
        (listed.as_array()?.len() == 1).then_some(listed)
    })
    .await;
    assert_eq!(listed[0]["id"], malformed.id.to_string());
    assert_eq!(listed[0]["type"], "order.created");
    assert_eq!(listed[0]["reason"], "rejected");
    assert!(
        listed[0]["queue"].as_str().unwrap().contains("analytics"),
        "{listed}"
    );
    assert_eq!(
        app.data("/analytics/dead-letters").await,
        listed,
        "listing keeps them"
    );

    let (status, body) = app
        .send(
            Method::POST,
            "/analytics/dead-letters/replay",
            Some(&app.admin),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["replayed"], 1);
    // Still malformed: analytics refuses it again, and it is back, once.
    let again = eventually("the replayed event refused again", WAIT, || async {
        let listed = app.data("/analytics/dead-letters").await;
        (listed.as_array()?.len() == 1).then_some(listed)
    })
    .await;
    assert_eq!(again[0]["id"], malformed.id.to_string());

    let (status, body) = app
        .get("/analytics/dead-letters?limit=0", Some(&app.admin))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["details"]["limit"].is_string(), "{body}");
    app.stop().await;
}
