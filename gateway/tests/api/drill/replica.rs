//! `replica`: two order-services and two product-services on one set of databases and queues,
//! the calls spread over them in turn; one of each killed mid-load and not started again. No
//! order lost or left PENDING (the survivor's fulfilment poller, outbox relay and consumers
//! take over what the dead one held), no stock oversold, and every live subscriber, its
//! stream broken with its replica, reconnects to the survivor and sees every change once.

use std::time::Duration;

use loadgen::drill::{self, Timing, load::Plan};

use super::{
    PLAN, prepare,
    rig::{Options, Rig, WAIT, WORKERS},
};

/// Orders per customer: enough that the load runs on well after the kill.
const ORDERS: usize = 25;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_two_order_and_product_replicas_killed_under_load_loses_and_oversells_nothing() {
    let mut rig = Rig::start(Options {
        replicas: true,
        ..Options::default()
    })
    .await;
    let setup = prepare(&rig).await;
    // No order both cancelled at once and on the scarce product (3 × 10 > 25): analytics can
    // count such an order REJECTED when product-service's `stock.rejected` reaches it after
    // the cancellation's `order.status_changed` (it takes `stock.rejected` as a final status,
    // `analytics-service/src/events/apply.rs`), which this drill found with 25 orders each
    // and is not a replica's doing; reported, left to analytics' owner.
    let plan = Plan {
        orders: Some(ORDERS as u64),
        scarce_every: 3,
        cancel_every: 10,
        ..PLAN
    };
    let timing = Timing {
        before: Duration::from_millis(800),
        fault: Duration::ZERO,
        after: Duration::ZERO,
        settle: WAIT,
        subscribers: WORKERS,
    };
    let row = drill::run(&setup, plan, timing, "replica", async {
        Ok(rig.kill_replicas())
    })
    .await
    .expect("the drill ran to its end");
    assert_eq!(row.orders_attempted, WORKERS * ORDERS, "one order per key");
    assert!(row.subscribers > 0, "orders were followed live");
    eprintln!("{}", serde_json::to_string(&row).unwrap_or_default());
    assert!(row.passed, "{:#?}", row.findings());
    rig.stop().await;
}
