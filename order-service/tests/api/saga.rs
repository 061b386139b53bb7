//! The stock saga with the real product-service: rejection, cancel and release, redelivery,
//! idempotent retries.

use std::time::Duration;

use futures::future::join_all;
use reqwest::Method;
use serde_json::json;
use shared::{
    events::{Envelope, keys},
    testing::eventually,
};

use crate::{
    helpers::{WAIT, spawn_without_fulfilment},
    requests::order_body,
};

/// `events_consumed_total` of `queue` on `/metrics` (0 when not yet counted).
pub async fn consumed(metrics: &str, queue: &str) -> u64 {
    let needle = format!("events_consumed_total{{queue=\"{queue}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&needle))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn an_order_larger_than_the_stock_ends_rejected_and_the_stock_is_unchanged() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 2).await;
    let buyer = t.customer();

    let order = t.place_ok(&buyer, &[(&lamp, 3)]).await;
    let rejected = t
        .wait_for_status(order["id"].as_str().unwrap(), "REJECTED")
        .await;

    assert!(
        rejected["rejectionReason"]
            .as_str()
            .unwrap()
            .contains(&lamp),
        "{rejected}"
    );
    assert_eq!(rejected["statusHistory"][1]["status"], "REJECTED");
    assert_eq!(t.stock_of(&lamp).await, 2);
    t.stop().await;
}

#[tokio::test]
async fn a_cancel_gives_the_stock_back_exactly_once() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let order = t.place_ok(&buyer, &[(&lamp, 4)]).await;
    let id = order["id"].as_str().unwrap();
    t.wait_for_status(id, "PROCESSING").await;
    t.wait_for_stock(&lamp, 6).await;

    let (status, cancelled) = t
        .request(
            Method::POST,
            &format!("/orders/{id}/cancel"),
            Some(&buyer.bearer),
            None,
        )
        .await;
    let (again, _) = t
        .request(
            Method::POST,
            &format!("/orders/{id}/cancel"),
            Some(&buyer.bearer),
            None,
        )
        .await;
    // The broker delivers at least once: the same cancellation arriving twice.
    let duplicate = Envelope::new(
        keys::ORDER_CANCELLED,
        "order-service",
        "test",
        json!({ "orderId": id, "customerId": buyer.id }),
    );
    t.bus.wait_connected(WAIT).await;
    t.bus
        .publish(&duplicate)
        .await
        .expect("publish a duplicate");

    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["data"]["status"], "CANCELLED");
    assert_eq!(
        cancelled["data"]["cancellationReason"],
        "cancelled by the customer"
    );
    assert_eq!(again, 409);
    t.wait_for_stock(&lamp, 10).await;
    let queue = t.bus.queue_name("product.orders");
    eventually(
        "product-service to consume both cancellations",
        WAIT,
        || async {
            (consumed(&t.products.get_text("/metrics").await, &queue).await >= 3).then_some(())
        },
    )
    .await;
    assert_eq!(t.stock_of(&lamp).await, 10);
    let oid = bson::oid::ObjectId::parse_str(id).unwrap();
    eventually("stock.released to be recorded", WAIT, || async {
        let orders = t.db.collection::<bson::Document>("orders");
        let stored = orders.find_one(bson::doc! { "_id": oid }).await.ok()??;
        stored.contains_key("stockReleasedAt").then_some(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn a_redelivered_stock_answer_changes_nothing() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let id = t.place_id(&buyer, &[(&lamp, 1)]).await;
    let before = t.wait_for_status(&id, "PROCESSING").await;
    let queue = t.bus.queue_name("order.stock");
    let seen = consumed(&t.orders.app.get_text("/metrics").await, &queue).await;

    let again = Envelope::new(
        keys::STOCK_RESERVED,
        "product-service",
        "test",
        json!({ "orderId": id, "items": [] }),
    );
    let late_rejection = Envelope::new(
        keys::STOCK_REJECTED,
        "product-service",
        "test",
        json!({ "orderId": id, "lines": [] }),
    );
    t.bus.wait_connected(WAIT).await;
    shared::testing::publish(&t.bus, &again).await;
    shared::testing::publish(&t.bus, &late_rejection).await;
    eventually("order-service to consume both answers", WAIT, || async {
        (consumed(&t.orders.app.get_text("/metrics").await, &queue).await >= seen + 2).then_some(())
    })
    .await;

    let (_, after) = t.order(&id, &buyer.bearer).await;
    assert_eq!(after["data"]["status"], "PROCESSING");
    assert_eq!(after["data"]["version"], before["version"]);
    assert_eq!(after["data"]["statusHistory"], before["statusHistory"]);
    t.stop().await;
}

#[tokio::test]
async fn an_idempotent_retry_creates_one_order_and_another_body_with_the_same_key_is_422() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 2.5, 100).await;
    let buyer = t.customer();
    let body = order_body(&[(&lamp, 2)]);

    let (first, original, _) = t
        .place_with_key(&buyer.bearer, &body, Some("checkout-1"))
        .await;
    let (retry, replayed, headers) = t
        .place_with_key(&buyer.bearer, &body, Some("checkout-1"))
        .await;
    let (other, refusal, _) = t
        .place_with_key(
            &buyer.bearer,
            &order_body(&[(&lamp, 3)]),
            Some("checkout-1"),
        )
        .await;
    // Another customer's identical key is a different request.
    let stranger = t.customer();
    let (theirs, _, _) = t
        .place_with_key(&stranger.bearer, &body, Some("checkout-1"))
        .await;

    assert_eq!((first, retry, other, theirs), (201, 201, 422, 201));
    assert_eq!(replayed, original);
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(refusal["error"]["code"], "UNPROCESSABLE");
    assert_eq!(t.order_count().await, 2);
    t.stop().await;
}

#[tokio::test]
async fn concurrent_retries_with_one_key_create_one_order() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 2.5, 100).await;
    let buyer = t.customer();
    let body = order_body(&[(&lamp, 1)]);

    let answers =
        join_all((0..5).map(|_| t.place_with_key(&buyer.bearer, &body, Some("double-click"))))
            .await;

    let statuses: Vec<u16> = answers.iter().map(|(s, _, _)| *s).collect();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert!(statuses.contains(&201));
    assert_eq!(t.order_count().await, 1);
    let ids: std::collections::HashSet<String> = answers
        .iter()
        .filter(|(s, _, _)| *s == 201)
        .map(|(_, b, _)| b["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1);
    t.stop().await;
}

#[tokio::test]
async fn a_key_still_in_flight_answers_409_and_keys_expire() {
    use order_service::idempotency::{Claim, Idempotency};
    let names = shared::testing::TestNames::new();
    let cancel = tokio_util::sync::CancellationToken::new();
    let redis = shared::store::Redis::start(
        &shared::config::RedisConfig {
            url: shared::testing::redis_url(),
            prefix: names.redis_prefix.clone(),
        },
        cancel.clone(),
    )
    .unwrap();
    eventually("redis", WAIT, || async {
        redis.is_up(Duration::from_secs(1)).await.then_some(())
    })
    .await;
    let keys = Idempotency::new(redis, Duration::from_millis(300));

    let Claim::Fresh(ticket) = keys.claim("c1", "k", "h1").await.unwrap() else {
        panic!("a fresh key")
    };
    let in_flight = keys.claim("c1", "k", "h1").await.unwrap();
    let other_body = keys.claim("c1", "k", "h2").await.unwrap();
    keys.complete(ticket, 201, &json!({ "ok": 1 }))
        .await
        .unwrap();
    let replay = keys.claim("c1", "k", "h1").await.unwrap();

    assert!(matches!(in_flight, Claim::InFlight));
    assert!(matches!(other_body, Claim::Mismatch));
    assert!(matches!(replay, Claim::Replay { status: 201, .. }));
    eventually("the record to expire", WAIT, || async {
        matches!(keys.claim("c1", "k", "h1").await.unwrap(), Claim::Fresh(_)).then_some(())
    })
    .await;
    cancel.cancel();
}

/// Leaves what a process killed mid-request leaves behind: the claim of `key`, still pending,
/// for `body` (the request's own order may or may not have been stored). Returns the Redis key.
async fn leave_pending_claim(
    conn: &mut redis::aio::MultiplexedConnection,
    t: &crate::helpers::TestApp,
    customer: &str,
    key: &str,
    body: &serde_json::Value,
) -> String {
    let claim = format!(
        "{}orders:idempotency:{customer}:{key}",
        t.names.redis_prefix
    );
    let pending =
        json!({ "state": "pending", "hash": order_service::idempotency::fingerprint(body) });
    let _: () = redis::cmd("SET")
        .arg(&claim)
        .arg(pending.to_string())
        .arg("PX")
        .arg(60_000)
        .query_async(conn)
        .await
        .unwrap();
    claim
}

#[tokio::test]
async fn a_retry_after_the_first_request_died_answers_the_order_it_stored() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let body = order_body(&[(&lamp, 1)]);
    let (status, first, _) = t
        .place_with_key(&buyer.bearer, &body, Some("crash-1"))
        .await;
    assert_eq!(status, 201, "{first}");
    let redis = redis::Client::open(shared::testing::redis_url()).unwrap();
    let mut conn = redis.get_multiplexed_async_connection().await.unwrap();
    // Killed between storing the order and keeping its answer.
    let stored = leave_pending_claim(&mut conn, &t, &buyer.id, "crash-1", &body).await;

    let (status, again, headers) = t
        .place_with_key(&buyer.bearer, &body, Some("crash-1"))
        .await;
    let (other_status, other, _) = t
        .place_with_key(&buyer.bearer, &body, Some("crash-2"))
        .await;
    // Killed before storing anything.
    let early = leave_pending_claim(&mut conn, &t, &buyer.id, "crash-3", &body).await;
    let (died_early, _, _) = t
        .place_with_key(&buyer.bearer, &body, Some("crash-3"))
        .await;

    assert_eq!(status, 201, "{again}");
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(again["data"]["id"], first["data"]["id"]);
    assert_eq!(other_status, 201, "{other}");
    assert_ne!(other["data"]["id"], first["data"]["id"]);
    assert_eq!(
        died_early, 409,
        "a claim with no order behind it is still in flight"
    );
    assert_eq!(t.order_count().await, 2);
    let _: () = redis::cmd("DEL")
        .arg(&stored)
        .arg(&early)
        .query_async(&mut conn)
        .await
        .unwrap();
    t.stop().await;
}
