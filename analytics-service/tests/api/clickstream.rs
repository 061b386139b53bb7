//! The clickstream (issue 19): `POST /events` from anonymous and signed-in shoppers, a batch
//! sent again counting once, bad batches refused naming the field and storing nothing, and
//! `GET /analytics/clickstream`'s funnel per day and per product with the paid orders from the
//! ledger, the top searches and the searches that found nothing. Real MongoDB and RabbitMQ.

use chrono::Utc;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp,
    checkout::{Order, quote},
    database, spawn_app,
};

const PRODUCT: &str = "0123456789abcdef01234567";

impl TestApp {
    async fn post_events(&self, body: &Value, bearer: Option<&str>) -> (u16, Value) {
        let mut request = self.app.client.post(self.app.url("/events")).json(body);
        if let Some(bearer) = bearer {
            request = request.header("authorization", bearer);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    async fn stored_clicks(&self) -> u64 {
        database(&self.app)
            .await
            .collection::<bson::Document>("clicks")
            .count_documents(bson::doc! {})
            .await
            .unwrap()
    }
}

fn event(id: &str, session: &str, kind: &str, extra: Value) -> Value {
    let mut e =
        json!({ "id": id, "type": kind, "at": Utc::now().to_rfc3339(), "sessionId": session });
    e.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    e
}

fn visit(session: &str, searched: &str, found: i64) -> Value {
    json!({ "events": [
        event("e-0000001", session, "page_view", json!({"path": "/"})),
        event("e-0000002", session, "search", json!({"query": searched, "results": found})),
        event("e-0000003", session, "view_product", json!({"productId": PRODUCT})),
        event("e-0000004", session, "add_to_cart", json!({"productId": PRODUCT})),
        event("e-0000005", session, "checkout_started", json!({})),
    ]})
}

#[tokio::test]
async fn shoppers_events_make_the_funnel_with_the_paid_orders_and_a_batch_sent_again_counts_once() {
    let app = spawn_app().await;
    let today = Utc::now().format("%Y-%m-%d").to_string();
    let (status, body) = app
        .post_events(&visit("anon-session-1", "Desk  LAMP", 2), None)
        .await;
    assert_eq!(
        (status, &body["data"]),
        (202, &json!({"accepted": 5, "duplicates": 0})),
        "{body}"
    );
    let signed_in = visit("mine-session-1", "unicorn saddle", 0);
    let (status, _) = app.post_events(&signed_in, Some(&app.customer)).await;
    assert_eq!(status, 202);
    // The same batch again (its answer was lost): nothing counts twice.
    let (status, body) = app.post_events(&signed_in, Some(&app.customer)).await;
    assert_eq!(
        (status, &body["data"]),
        (202, &json!({"accepted": 0, "duplicates": 5})),
        "{body}"
    );
    // One of the checkouts was paid; the order's product is the one viewed.
    let order = Order::card(
        "o1",
        &Utc::now().to_rfc3339(),
        quote([20.0, 0.0, 0.0, 0.0, 0.0, 0.0, 20.0]),
        None,
    );
    let mut events = order.placed();
    events.extend(order.accepted());
    for e in &mut events {
        for path in ["/items/0/productId", "/order/items/0/productId"] {
            if let Some(id) = e.data.pointer_mut(path) {
                *id = json!(PRODUCT);
            }
        }
    }
    app.publish_all(&events).await;

    let report = app.data("/analytics/clickstream?days=3").await;

    let day = &report["days"][2];
    assert_eq!(day["date"], today.as_str());
    assert_eq!(
        [
            &day["sessions"],
            &day["pageViews"],
            &day["productViews"],
            &day["addToCart"],
            &day["checkoutsStarted"],
            &day["paidOrders"],
            &day["searches"],
            &day["searchesWithoutResult"]
        ],
        [
            &json!(2),
            &json!(2),
            &json!(2),
            &json!(2),
            &json!(2),
            &json!(1),
            &json!(2),
            &json!(1)
        ],
        "{report}"
    );
    assert_eq!(
        day["ratios"],
        json!({"cartPerView": 1.0, "checkoutPerCart": 1.0, "paidPerCheckout": 0.5})
    );
    assert_eq!(report["days"][0]["sessions"], 0);
    assert_eq!(report["days"][0]["ratios"]["cartPerView"], Value::Null);
    assert_eq!(report["totals"]["sessions"], 2);
    let product = &report["products"][0];
    assert_eq!(
        (
            &product["productId"],
            &product["views"],
            &product["carts"],
            &product["paidOrders"],
            &product["name"]
        ),
        (
            &json!(PRODUCT),
            &json!(2),
            &json!(2),
            &json!(1),
            &json!("Mug")
        ),
        "{report}"
    );
    assert_eq!(
        report["topSearches"],
        json!([{"query": "desk lamp", "count": 1, "withoutResult": 0},
               {"query": "unicorn saddle", "count": 1, "withoutResult": 1}])
    );
    assert_eq!(
        report["searchesWithoutResult"],
        json!([{"query": "unicorn saddle", "count": 1, "withoutResult": 1}])
    );
    // The report is the admin's.
    let (status, _) = app.get("/analytics/clickstream", Some(&app.customer)).await;
    assert_eq!(status, 403);
    crate::reports::bad_periods_are_refused(&app, "/analytics/clickstream").await;
    app.stop().await;
}

#[tokio::test]
async fn a_bad_batch_is_refused_naming_the_field_and_stores_nothing() {
    let app = spawn_app().await;
    let old = (Utc::now() - chrono::Duration::days(8)).to_rfc3339();
    let good = event("e-0000001", "some-session", "page_view", json!({}));
    let cases = [
        (json!({"events": []}), "events"),
        (
            json!({"events": [good.clone(), event("e-0000002", "some-session", "view_product", json!({}))]}),
            "events[1].productId",
        ),
        (
            json!({"events": [event("e-0000002", "some-session", "search", json!({"query": "x", "productId": PRODUCT}))]}),
            "events[0].productId",
        ),
        (
            json!({"events": [event("e-0000002", "some-session", "page_view", json!({"at": old}))]}),
            "events[0].at",
        ),
        (
            json!({"events": [event("e-0000002", "some-session", "teleport", json!({}))]}),
            "events[0].type",
        ),
        (json!({"events": [good.clone()], "extra": 1}), "extra"),
        (
            json!({"events": (0..101).map(|n| event(&format!("e-{n:07}"), "some-session", "page_view", json!({}))).collect::<Vec<_>>()}),
            "events",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = app.post_events(&body, None).await;
        assert_eq!(status, 400, "{field}: {answer}");
        assert_eq!(answer["error"]["code"], "VALIDATION_ERROR", "{answer}");
        let details = answer["error"]["details"].as_object().unwrap();
        assert!(
            details.keys().any(|k| k.starts_with(field)),
            "{field}: {answer}"
        );
    }
    // A bad token is refused, not taken as anonymous.
    let (status, _) = app
        .post_events(&json!({"events": [good]}), Some("Bearer nonsense"))
        .await;
    assert_eq!(status, 401);
    assert_eq!(app.stored_clicks().await, 0);
    app.stop().await;
}
