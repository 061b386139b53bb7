//! order-service is ready only once its indexes exist: before the unique request-key index,
//! an `Idempotency-Key` whose Redis record is gone would store a second order.

use std::time::Duration;

use bson::{Document, doc};
use futures::future::join_all;
use shared::testing::TestNames;

use crate::{
    helpers::{NOWHERE, Options, TestApp, WAIT, database, order_config, spawn_with},
    requests::order_body,
};

/// Rounds of concurrent retries, each starting after the previous one ended.
const ROUNDS: usize = 4;
/// Concurrent requests per round.
const RACERS: usize = 5;

/// Sends the same keyed order `RACERS` times at once, `ROUNDS` times; every status.
async fn race(t: &TestApp, bearer: &str, body: &serde_json::Value, key: &str) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..ROUNDS {
        let answers =
            join_all((0..RACERS).map(|_| t.place_with_key(bearer, body, Some(key)))).await;
        statuses.extend(answers.into_iter().map(|(status, _, _)| status));
    }
    statuses
}

#[tokio::test]
async fn orders_are_refused_until_the_request_key_index_exists_and_then_a_raced_key_gives_one_order()
 {
    // Two stored orders sharing a request key keep the unique index from being built, which
    // holds order-service in its start-up for as long as the test needs.
    let names = TestNames::new();
    let orders = database(&order_config(&names, NOWHERE, NOWHERE)).await;
    let blockers = orders.collection::<Document>("orders");
    blockers
        .insert_many([
            doc! { "requestKey": "blocker", "blocker": 1 },
            doc! { "requestKey": "blocker", "blocker": 2 },
        ])
        .await
        .unwrap();
    let t = spawn_with(Options {
        fulfilment: false,
        names: Some(names),
        wait_healthy: false,
        // Redis forgets each answer at once: only the unique index stops a second order.
        adjust: Box::new(|config| config.idempotency_ttl = Duration::from_millis(1)),
        ..Options::default()
    })
    .await;
    let lamp = t.product("Lamp", 10.0, 100).await;
    let buyer = t.customer();
    let body = order_body(&[(&lamp, 1)]);
    let stored = || async {
        blockers
            .count_documents(doc! { "requestKey": format!("{}:checkout", buyer.id) })
            .await
            .unwrap()
    };

    let health = t.orders.app.health().await;
    let early = race(&t, &buyer.bearer, &body, "checkout").await;
    // Asserted now: orders stored with one key would keep the index out for good.
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["dependencies"]["indexes"], "pending", "{health}");
    assert!(early.iter().all(|s| *s == 503), "{early:?}");
    assert_eq!(stored().await, 0);
    blockers.delete_one(doc! { "blocker": 2 }).await.unwrap();
    let ready = t.orders.app.wait_healthy(WAIT).await;
    let late = race(&t, &buyer.bearer, &body, "checkout").await;

    assert_eq!(ready["dependencies"]["indexes"], "up");
    assert!(late.contains(&201), "{late:?}");
    assert!(late.iter().all(|s| *s == 201 || *s == 409), "{late:?}");
    assert_eq!(stored().await, 1);
    t.stop().await;
}
