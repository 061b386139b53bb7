//! Returns (issue 17), the request and its rules: within 30 days of delivery (422 after, or
//! before delivery), never more than was bought counting earlier returns that were not
//! rejected (also when requests race), by the order's customer only (404 for another, 403
//! for the admin-only actions), bad bodies 400 with nothing written; an invoiced order's
//! return goes all the way to `REFUNDED` with nothing through the provider.

use bson::{Document, doc, oid::ObjectId};
use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use shared::testing::eventually;

use crate::{
    helpers::{TestApp, WAIT, spawn_without_fulfilment},
    requests::Customer,
};

/// A return body for `items` (product id, units).
pub fn return_body(items: &[(&str, i64)]) -> Value {
    json!({
        "items": items.iter().map(|(p, q)| json!({ "productId": p, "quantity": q })).collect::<Vec<_>>(),
        "reason": "Not what I expected",
    })
}

impl TestApp {
    /// `POST /orders/{order}/returns` as `bearer`.
    pub async fn ask_return(
        &self,
        order: &str,
        bearer: &str,
        items: &[(&str, i64)],
    ) -> (u16, Value) {
        let body = return_body(items);
        self.request(
            Method::POST,
            &format!("/orders/{order}/returns"),
            Some(bearer),
            Some(&body),
        )
        .await
    }

    /// `POST /returns/{id}/{action}` as `bearer`, without a body.
    pub async fn return_action(&self, id: &str, action: &str, bearer: &str) -> (u16, Value) {
        self.request(
            Method::POST,
            &format!("/returns/{id}/{action}"),
            Some(bearer),
            None,
        )
        .await
    }

    /// An admin moves order `id` to `SHIPPED`, then `DELIVERED`.
    pub async fn deliver(&self, id: &str) {
        for status in ["SHIPPED", "DELIVERED"] {
            let (code, body) = self
                .request(
                    Method::PATCH,
                    &format!("/orders/{id}/status"),
                    Some(&self.admin),
                    Some(&json!({ "status": status })),
                )
                .await;
            assert_eq!(code, 200, "{body}");
        }
    }

    /// Returns stored.
    pub async fn return_count(&self) -> u64 {
        self.db
            .collection::<Document>("returns")
            .count_documents(doc! {})
            .await
            .expect("count")
    }

    /// Polls return `id` until it has `status`; returns it.
    pub async fn wait_for_return(&self, id: &str, status: &str) -> Value {
        eventually(&format!("return {id} to be {status}"), WAIT, || async {
            let (_, body) = self
                .request(
                    Method::GET,
                    &format!("/returns/{id}"),
                    Some(&self.admin),
                    None,
                )
                .await;
            (body["data"]["status"] == status).then(|| body["data"].clone())
        })
        .await
    }

    /// Moves the delivery of order `id` to `days` days ago, as if time had passed.
    async fn delivered_days_ago(&self, id: &str, days: i64) {
        let (_, order) = self.order(id, &self.admin).await;
        let index = order["data"]["version"].as_i64().unwrap();
        let at = chrono::Utc::now() - chrono::Duration::days(days);
        self.db
            .collection::<Document>("orders")
            .update_one(
                doc! { "_id": ObjectId::parse_str(id).unwrap() },
                doc! { "$set": { format!("history.{index:04}.at"): bson::DateTime::from_chrono(at) } },
            )
            .await
            .expect("update");
    }
}

/// An invoiced order of two lamps, delivered; the shop, the buyer, the lamp and the order.
async fn delivered_order() -> (TestApp, Customer, String, String) {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 30.0, 10).await;
    let buyer = t.customer();
    let id = t.place_id(&buyer, &[(&lamp, 2)]).await;
    t.wait_for_status(&id, "PROCESSING").await;
    t.deliver(&id).await;
    (t, buyer, lamp, id)
}

#[tokio::test]
async fn a_return_before_delivery_or_after_thirty_days_is_refused_with_422_and_writes_nothing() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 30.0, 10).await;
    let buyer = t.customer();
    let id = t.place_id(&buyer, &[(&lamp, 2)]).await;
    t.wait_for_status(&id, "PROCESSING").await;

    let (status, early) = t.ask_return(&id, &buyer.bearer, &[(&lamp, 1)]).await;
    assert_eq!(status, 422, "{early}");
    assert_eq!(
        early["error"]["details"]["code"], "not_delivered",
        "{early}"
    );

    t.deliver(&id).await;
    t.delivered_days_ago(&id, 31).await;
    let (status, late) = t.ask_return(&id, &buyer.bearer, &[(&lamp, 1)]).await;
    assert_eq!(status, 422, "{late}");
    assert_eq!(late["error"]["code"], "UNPROCESSABLE");
    assert_eq!(late["error"]["details"]["code"], "window_closed", "{late}");
    assert_eq!(t.return_count().await, 0, "nothing written");

    // The same order a day inside the window: the window alone refused it.
    t.delivered_days_ago(&id, 29).await;
    let (status, inside) = t.ask_return(&id, &buyer.bearer, &[(&lamp, 1)]).await;
    assert_eq!(status, 201, "{inside}");
    t.stop().await;
}

#[tokio::test]
async fn a_second_return_of_the_same_items_is_refused_until_the_first_is_rejected() {
    let (t, buyer, lamp, id) = delivered_order().await;

    let (status, too_many) = t.ask_return(&id, &buyer.bearer, &[(&lamp, 3)]).await;
    assert_eq!(status, 422, "{too_many}");
    assert_eq!(too_many["error"]["details"]["code"], "too_many");
    let (status, first) = t.ask_return(&id, &buyer.bearer, &[(&lamp, 2)]).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["data"]["status"], "REQUESTED");
    // Two lamps at 30.00 on an invoiced order: no shipping, 8 % tax on the goods.
    assert_eq!(first["data"]["amount"], json!(64.8), "{first}");
    let (status, again) = t.ask_return(&id, &buyer.bearer, &[(&lamp, 1)]).await;
    assert_eq!(status, 422, "{again}");
    assert!(
        again["error"]["message"]
            .as_str()
            .unwrap()
            .contains("0 of this product"),
        "{again}"
    );

    let first_id = first["data"]["id"].as_str().unwrap();
    let (status, rejected) = t.return_action(first_id, "reject", &t.admin).await;
    assert_eq!(status, 200, "{rejected}");
    assert_eq!(rejected["data"]["status"], "REJECTED");
    let (status, after) = t.ask_return(&id, &buyer.bearer, &[(&lamp, 1)]).await;
    assert_eq!(status, 201, "a rejected return frees its items: {after}");
    assert_eq!(t.return_count().await, 2);
    t.stop().await;
}

#[tokio::test]
async fn racing_returns_of_one_order_never_return_more_than_was_bought() {
    let (t, buyer, lamp, id) = delivered_order().await;

    let line = [(lamp.as_str(), 1)];
    let answers = join_all((0..6).map(|_| t.ask_return(&id, &buyer.bearer, &line))).await;

    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    let refused: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 422)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(created, 2, "{answers:?}");
    assert_eq!(refused.len(), 4, "{answers:?}");
    assert!(
        refused
            .iter()
            .all(|b| b["error"]["details"]["code"] == "too_many")
    );
    assert_eq!(t.return_count().await, 2);
    let total: f64 = answers
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b["data"]["amount"].as_f64().unwrap())
        .sum();
    assert!(
        (total - 64.8).abs() < 1e-9,
        "the two halves refund the whole: {total}"
    );
    t.stop().await;
}

#[tokio::test]
async fn another_customer_gets_404_and_the_admin_actions_are_403_for_a_customer() {
    let (t, buyer, lamp, id) = delivered_order().await;
    let stranger = t.customer();

    let (status, hidden) = t.ask_return(&id, &stranger.bearer, &[(&lamp, 1)]).await;
    assert_eq!(status, 404, "{hidden}");
    let (status, by_admin) = t.ask_return(&id, &t.admin, &[(&lamp, 1)]).await;
    assert_eq!(status, 403, "{by_admin}");
    let (status, made) = t.ask_return(&id, &buyer.bearer, &[(&lamp, 1)]).await;
    assert_eq!(status, 201, "{made}");
    let rid = made["data"]["id"].as_str().unwrap();

    let path = format!("/returns/{rid}");
    assert_eq!(
        t.request(Method::GET, &path, Some(&stranger.bearer), None)
            .await
            .0,
        404
    );
    let (status, own) = t
        .request(Method::GET, &path, Some(&buyer.bearer), None)
        .await;
    assert_eq!((status, &own["data"]["orderId"]), (200, &json!(id)));
    let (_, listed) = t
        .request(Method::GET, "/returns", Some(&stranger.bearer), None)
        .await;
    assert_eq!(listed["meta"]["total"], 0, "{listed}");
    let (_, mine) = t
        .request(Method::GET, "/returns", Some(&buyer.bearer), None)
        .await;
    assert_eq!(mine["data"][0]["id"], rid, "{mine}");
    for action in ["approve", "reject", "receive"] {
        let (status, body) = t.return_action(rid, action, &buyer.bearer).await;
        assert_eq!(status, 403, "{action}: {body}");
    }
    let (status, wrong) = t.return_action(rid, "receive", &t.admin).await;
    assert_eq!(status, 409, "received before it was approved: {wrong}");
    let (status, missing) = t
        .return_action(&ObjectId::new().to_hex(), "approve", &t.admin)
        .await;
    assert_eq!(status, 404, "{missing}");
    let (status, requested) = t
        .request(
            Method::GET,
            "/returns?status=REQUESTED",
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!((status, &requested["meta"]["total"]), (200, &json!(1)));
    let (status, none) = t
        .request(
            Method::GET,
            "/returns?status=REFUNDED",
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!((status, &none["meta"]["total"]), (200, &json!(0)));
    t.stop().await;
}

#[tokio::test]
async fn a_bad_return_body_is_400_naming_each_field_and_writes_nothing() {
    let (t, buyer, lamp, id) = delivered_order().await;
    let path = format!("/orders/{id}/returns");

    let bad = json!({ "items": [{ "productId": lamp, "quantity": -1 }], "reason": "" });
    let (status, body) = t
        .request(Method::POST, &path, Some(&buyer.bearer), Some(&bad))
        .await;
    assert_eq!(status, 400, "{body}");
    let details = body["error"]["details"].as_object().unwrap();
    assert!(
        details.contains_key("items[0].quantity") && details.contains_key("reason"),
        "{body}"
    );
    let stranger = json!({ "items": [{ "productId": ObjectId::new().to_hex(), "quantity": 1 }],
        "reason": "wrong" });
    let (status, body) = t
        .request(Method::POST, &path, Some(&buyer.bearer), Some(&stranger))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"]["code"], "not_in_order");
    let (status, _) = t
        .request(Method::GET, "/returns?status=LOST", Some(&t.admin), None)
        .await;
    assert_eq!(status, 400);
    assert_eq!(t.return_count().await, 0);
    t.stop().await;
}

#[tokio::test]
async fn an_invoiced_orders_return_is_refunded_without_the_provider_and_shown_in_the_order() {
    let (t, buyer, lamp, id) = delivered_order().await;
    let (_, made) = t.ask_return(&id, &buyer.bearer, &[(&lamp, 1)]).await;
    let rid = made["data"]["id"].as_str().unwrap();

    assert_eq!(t.return_action(rid, "approve", &t.admin).await.0, 200);
    assert_eq!(t.return_action(rid, "receive", &t.admin).await.0, 200);
    let refunded = t.wait_for_return(rid, "REFUNDED").await;
    t.wait_for_stock(&lamp, 9).await;

    assert!(refunded.get("refundRef").is_none(), "{refunded}");
    assert_eq!(t.ledger("refund", &id).await, 0);
    let (_, order) = t.order(&id, &buyer.bearer).await;
    let steps: Vec<&Value> = order["data"]["returns"][0]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["status"])
        .collect();
    assert_eq!(
        steps,
        ["REQUESTED", "APPROVED", "RECEIVED", "REFUNDED"],
        "{order}"
    );
    assert_eq!(order["data"]["status"], "DELIVERED");
    t.stop().await;
}

#[tokio::test]
async fn approving_or_rejecting_a_return_publishes_its_event_once_with_the_admins_note() {
    let (t, buyer, lamp, id) = delivered_order().await;
    let seen = std::sync::Mutex::new(Vec::new());
    let (_, first) = t.ask_return(&id, &buyer.bearer, &[(&lamp, 1)]).await;
    let first = first["data"]["id"].as_str().unwrap().to_owned();
    let refuse = json!({ "note": "Worn, not returnable" });
    let (status, body) = t
        .request(
            Method::POST,
            &format!("/returns/{first}/reject"),
            Some(&t.admin),
            Some(&refuse),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, second) = t.ask_return(&id, &buyer.bearer, &[(&lamp, 2)]).await;
    let second = second["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(t.return_action(&second, "approve", &t.admin).await.0, 200);
    // Deciding again is refused and publishes nothing more.
    assert_eq!(t.return_action(&first, "approve", &t.admin).await.0, 409);
    assert_eq!(t.return_action(&second, "approve", &t.admin).await.0, 409);

    use shared::events::keys::{RETURN_APPROVED, RETURN_REJECTED};
    let rejected = eventually("return.rejected", WAIT, || async {
        let found = t.events_of(RETURN_REJECTED, &id, &seen).await;
        (!found.is_empty()).then_some(found)
    })
    .await;
    let approved = eventually("return.approved", WAIT, || async {
        let found = t.events_of(RETURN_APPROVED, &id, &seen).await;
        (!found.is_empty()).then_some(found)
    })
    .await;

    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0]["returnId"], first);
    assert_eq!(rejected[0]["status"], "REJECTED");
    assert_eq!(rejected[0]["customerId"], buyer.id);
    assert_eq!(rejected[0]["note"], "Worn, not returnable");
    assert_eq!(rejected[0]["items"][0]["productId"], lamp);
    assert_eq!(approved.len(), 1, "{approved:?}");
    assert_eq!(approved[0]["returnId"], second);
    assert_eq!(approved[0]["status"], "APPROVED");
    assert!(
        approved[0]["amount"].as_f64().unwrap() > 0.0,
        "{approved:?}"
    );
    assert!(
        approved[0].get("note").is_none(),
        "no note given: {approved:?}"
    );
    t.stop().await;
}
