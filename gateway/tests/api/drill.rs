//! The fault drills, short and always on (`cargo xtask drill` runs the long ones against the
//! whole suite, with the same client: `loadgen::drill`): order-service cut off the broker at a
//! [`TcpProxy`](shared::testing::TcpProxy), and order-service killed abruptly mid-load and
//! started again on the same databases. Afterwards every accepted order is final, stock is the
//! initial stock minus what confirmed orders hold, analytics counts each order (per status,
//! the databases being fresh) and its units once, alert-service holds one alert per event,
//! and live SSE subscribers that reconnect with `Last-Event-ID` saw every change once.
//!
//! The services are called directly with tokens signed by the test's key (no gateway;
//! customer-service runs only because every order's price asks it for the loyalty tier: the
//! orders carry their shipping address). The killed service runs on
//! a tokio runtime of its own, and "kill" drops that runtime without cancelling anything:
//! no graceful shutdown, no outbox flush, in-flight deliveries unacked, sockets closed as the
//! kernel closes them after a SIGKILL — the nearest an in-process test gets to one.
//!
//! Issue 22's drills have a file each: [`redis`] (a private Redis killed under load),
//! [`poison`] (poison messages in every queue, dead-lettered and replayed) and [`replica`]
//! (one of two replicas of order- and product-service killed, not restarted).
mod poison;
mod private_redis;
mod redis;
mod replica;
mod rig;

use std::time::Duration;

use loadgen::drill::{
    self, Setup, Timing,
    api::{Account, Api},
    load::Plan,
};
use shared::auth::Role;

use rig::{MAIN_STOCK, ORDERS_PER_WORKER, Options, Rig, SCARCE_STOCK, WAIT, WORKERS};

/// The fault a drill injects while the load runs.
enum Fault {
    /// order-service's broker connection severed for a while.
    Network,
    /// order-service killed and started again.
    Kill,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_severed_broker_link_under_load_loses_and_duplicates_nothing() {
    run(Fault::Network).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_service_killed_under_load_loses_and_duplicates_nothing() {
    run(Fault::Kill).await;
}

/// Each customer's orders: a fixed number, one every 60 ms, every third on the scarce
/// product, every fourth cancelled at once; a key is retried while order-service is away.
const PLAN: Plan = Plan {
    tick: Duration::from_millis(60),
    orders: Some(ORDERS_PER_WORKER as u64),
    scarce_every: 3,
    cancel_every: 4,
    tries: 60,
    conflicts: 20,
};

/// The drill's customers (tokens signed by the test's key) and products, calling `rig`.
async fn prepare(rig: &Rig) -> Setup {
    let api = Api::new(rig.routes()).expect("a client");
    let admin = Account::token(&rig.admin);
    let customers = (0..WORKERS)
        .map(|i| {
            let id = format!("00000000000000000000010{i}");
            Account::token(&rig.names.bearer(&id, Role::Customer))
        })
        .collect();
    Setup::new(api, admin, customers, "Drill", (MAIN_STOCK, SCARCE_STOCK))
        .await
        .expect("the drill's products")
}

async fn run(fault: Fault) {
    let mut rig = Rig::start(Options::default()).await;
    let setup = prepare(&rig).await;
    let timing = Timing {
        before: Duration::from_millis(300),
        fault: Duration::from_secs(10),
        after: Duration::ZERO,
        settle: WAIT,
        subscribers: WORKERS,
    };
    let row = drill::run(&setup, PLAN, timing, "drill", async {
        Ok(match fault {
            Fault::Network => {
                rig.proxy.sever();
                tokio::time::sleep(Duration::from_secs(3)).await;
                rig.proxy.restore();
                "broker link severed for 3 s"
            }
            Fault::Kill => {
                rig.restart_orders().await;
                "order-service killed and started again"
            }
        }
        .to_owned())
    })
    .await
    .expect("the drill ran to its end");
    assert_eq!(
        row.orders_attempted,
        WORKERS * ORDERS_PER_WORKER,
        "one order per key"
    );
    assert!(row.subscribers > 0, "orders were followed live");
    assert!(row.passed, "{:#?}", row.findings());
    rig.stop().await;
}
