//! The refund of a received return (issue 17) with the real product-service, customer-service,
//! broker, stand-in and the `test` provider: the whole path from the request to the points
//! taken back, each effect once; a provider that is down keeps the return `RECEIVED` and the
//! refund happens once when it is back; a redelivered `return.received` changes nothing.

use std::sync::Mutex;

use reqwest::Method;
use serde_json::{Value, json};
use shared::{
    events::{Envelope, keys},
    payment::set_test_unavailable,
    testing::eventually,
};

use crate::{
    helpers::{TestApp, WAIT, spawn_app},
    payments::{APPROVES, card},
    points::{loyalty, member},
    requests::{Customer, order_body},
    saga::consumed,
};

/// A registered customer's order of two lamps at 30.00 paid by card, delivered (64.80 paid,
/// 60 points earned); the buyer, the lamp and the order.
async fn paid_and_delivered(t: &TestApp, email: &str) -> (Customer, String, String) {
    let buyer = member(t, email, 0).await;
    let lamp = t.product("Lamp", 30.0, 10).await;
    let mut body = order_body(&[(&lamp, 2)]);
    body["card"] = card(APPROVES);
    let (status, placed) = t.place(&buyer.bearer, &body).await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["data"]["id"].as_str().unwrap().to_owned();
    let delivered = t.wait_for_status(&id, "DELIVERED").await;
    assert_eq!(delivered["quote"]["total"], json!(64.8), "{delivered}");
    eventually("the delivery's points", WAIT, || async {
        (loyalty(t, &buyer).await["points"] == 60).then_some(())
    })
    .await;
    (buyer, lamp, id)
}

/// Asks for a return of one lamp, approves and receives it; the return's id.
async fn received_one(t: &TestApp, buyer: &Customer, lamp: &str, order: &str) -> String {
    let (status, made) = t.ask_return(order, &buyer.bearer, &[(lamp, 1)]).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["data"]["amount"], json!(32.4), "{made}");
    let rid = made["data"]["id"].as_str().unwrap().to_owned();
    let (status, approved) = t.return_action(&rid, "approve", &t.admin).await;
    assert_eq!(
        (status, &approved["data"]["status"]),
        (200, &json!("APPROVED"))
    );
    let (status, received) = t.return_action(&rid, "receive", &t.admin).await;
    assert_eq!(
        (status, &received["data"]["status"]),
        (200, &json!("RECEIVED"))
    );
    rid
}

/// Every return event of `kind` for `ret` seen so far.
async fn return_events(
    t: &TestApp,
    kind: &str,
    order: &str,
    ret: &str,
    seen: &Mutex<Vec<Envelope>>,
) -> Vec<Value> {
    t.events_of(kind, order, seen)
        .await
        .into_iter()
        .filter(|d| d["returnId"] == ret)
        .collect()
}

impl TestApp {
    /// product-service's database, for looking behind its API.
    async fn products_db(&self) -> mongodb::Database {
        let mongo = shared::config::MongoConfig {
            uri: shared::testing::mongodb_uri(),
            database: self.names.database.clone(),
        };
        shared::store::mongo(&mongo, "test")
            .await
            .expect("database")
    }
}

/// `order_refunds_total{outcome}` on order-service's `/metrics`.
async fn refunds_counted(t: &TestApp, outcome: &str) -> u64 {
    let needle = format!("order_refunds_total{{outcome=\"{outcome}\"}} ");
    t.orders
        .app
        .get_text("/metrics")
        .await
        .lines()
        .find_map(|l| l.strip_prefix(&needle).and_then(|n| n.trim().parse().ok()))
        .unwrap_or(0)
}

#[tokio::test]
async fn a_return_goes_from_request_to_refund_with_stock_back_once_one_refund_and_points_taken_back()
 {
    let t = spawn_app().await;
    let (buyer, lamp, id) = paid_and_delivered(&t, "returner@example.com").await;
    t.wait_for_stock(&lamp, 8).await;

    let rid = received_one(&t, &buyer, &lamp, &id).await;
    let refunded = t.wait_for_return(&rid, "REFUNDED").await;
    t.wait_for_stock(&lamp, 9).await;

    let reference = refunded["refundRef"].as_str().expect("a refund reference");
    assert_eq!(t.ledger("refund", &id).await, 1);
    let entry =
        t.db.collection::<bson::Document>(shared::payment::LEDGER)
            .find_one(bson::doc! { "operation": "refund", "key": &id })
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        entry
            .get_i64("amountCents")
            .ok()
            .or(entry.get_i32("amountCents").ok().map(i64::from)),
        Some(3240)
    );
    assert_eq!(entry.get_str("providerRef").unwrap(), reference);
    // Half the goods came back: half the 60 points go.
    eventually(
        "the points of the refund to be taken back",
        WAIT,
        || async { (loyalty(&t, &buyer).await["points"] == 30).then_some(()) },
    )
    .await;
    let seen = Mutex::new(Vec::new());
    let payment = eventually("payment.refunded", WAIT, || async {
        let found = t.events_of(keys::PAYMENT_REFUNDED, &id, &seen).await;
        (!found.is_empty()).then_some(found)
    })
    .await;
    assert_eq!(
        payment,
        [
            json!({ "orderId": id, "customerId": buyer.id, "amount": 32.4, "providerRef": reference })
        ]
    );
    for kind in [
        keys::RETURN_REQUESTED,
        keys::RETURN_RECEIVED,
        keys::RETURN_REFUNDED,
    ] {
        let found = eventually(kind, WAIT, || async {
            let found = return_events(&t, kind, &id, &rid, &seen).await;
            (!found.is_empty()).then_some(found)
        })
        .await;
        assert_eq!(found.len(), 1, "{kind}: {found:?}");
        assert_eq!(
            found[0]["items"],
            json!([{ "productId": lamp, "quantity": 1 }])
        );
        assert_eq!(found[0]["amount"], json!(32.4));
    }
    let (_, order) = t.order(&id, &buyer.bearer).await;
    let steps: Vec<&Value> = order["data"]["returns"][0]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["status"])
        .collect();
    assert_eq!(steps, ["REQUESTED", "APPROVED", "RECEIVED", "REFUNDED"]);
    t.stop().await;
}

#[tokio::test]
async fn a_refund_waits_while_the_provider_is_down_and_happens_once_when_it_is_back() {
    let t = spawn_app().await;
    let (buyer, lamp, id) = paid_and_delivered(&t, "patient@example.com").await;
    let database = t.db.name().to_owned();

    set_test_unavailable(&database, true);
    let rid = received_one(&t, &buyer, &lamp, &id).await;
    eventually(
        "a refund attempt while the provider is down",
        WAIT,
        || async { (refunds_counted(&t, "unavailable").await >= 2).then_some(()) },
    )
    .await;
    let (_, waiting) = t
        .request(
            Method::GET,
            &format!("/returns/{rid}"),
            Some(&buyer.bearer),
            None,
        )
        .await;
    assert_eq!(waiting["data"]["status"], "RECEIVED", "{waiting}");
    assert_eq!(t.ledger("refund", &id).await, 0);
    t.wait_for_stock(&lamp, 9).await;

    set_test_unavailable(&database, false);
    let refunded = t.wait_for_return(&rid, "REFUNDED").await;
    assert!(refunded["refundRef"].is_string(), "{refunded}");
    assert_eq!(t.ledger("refund", &id).await, 1);
    assert_eq!(refunds_counted(&t, "refunded").await, 1);
    eventually(
        "the points of the refund to be taken back",
        WAIT,
        || async { (loyalty(&t, &buyer).await["points"] == 30).then_some(()) },
    )
    .await;
    t.stop().await;
}

#[tokio::test]
async fn a_redelivered_return_received_refunds_and_restocks_nothing_more() {
    let t = spawn_app().await;
    let (buyer, lamp, id) = paid_and_delivered(&t, "twice@example.com").await;
    let rid = received_one(&t, &buyer, &lamp, &id).await;
    t.wait_for_return(&rid, "REFUNDED").await;
    t.wait_for_stock(&lamp, 9).await;
    let seen = Mutex::new(Vec::new());
    let received = eventually("return.received", WAIT, || async {
        let found = return_events(&t, keys::RETURN_RECEIVED, &id, &rid, &seen).await;
        found.into_iter().next()
    })
    .await;
    let queue = t.bus.queue_name("order.refunds");
    let before = consumed(&t.orders.app.get_text("/metrics").await, &queue).await;

    let again = Envelope::new(
        keys::RETURN_RECEIVED,
        "order-service",
        "redelivery",
        received,
    );
    t.bus.wait_connected(WAIT).await;
    shared::testing::publish(&t.bus, &again).await;
    eventually("the redelivery to be handled", WAIT, || async {
        (consumed(&t.orders.app.get_text("/metrics").await, &queue).await > before).then_some(())
    })
    .await;
    let restocks = t
        .products_db()
        .await
        .collection::<bson::Document>("restocks");
    eventually("product-service to handle it too", WAIT, || async {
        let record = restocks.find_one(bson::doc! { "_id": &rid }).await.ok()??;
        let handled = record
            .get_i64("handled")
            .ok()
            .or(record.get_i32("handled").ok().map(i64::from));
        (handled == Some(2)).then_some(())
    })
    .await;

    assert_eq!(refunds_counted(&t, "already").await, 1);
    assert_eq!(t.ledger("refund", &id).await, 1);
    assert_eq!(t.stock_of(&lamp).await, 9);
    assert_eq!(
        t.events_of(keys::PAYMENT_REFUNDED, &id, &seen).await.len(),
        1
    );
    assert_eq!(loyalty(&t, &buyer).await["points"], 30);
    t.stop().await;
}
