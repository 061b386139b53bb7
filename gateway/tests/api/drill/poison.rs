//! `poison`: two poison messages (a body that is not JSON, an envelope no handler can apply)
//! published straight into every consumer queue whose consumer the rig runs, while the order
//! load runs. Each ends in the dead-letter queue once, listed with its queue; the load's
//! orders around them are all processed (the drill's invariants); a replay through the admin
//! API sends each chosen letter through its consumer once more and it is dead-lettered once
//! again, nothing applied twice.

use std::time::Duration;

use loadgen::drill::{self, Timing, poison};
use shared::events::topology;
use tokio::time::Instant;

use super::{
    PLAN, prepare,
    rig::{ORDERS_PER_WORKER, Options, Rig, WAIT, WORKERS},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_in_every_queue_is_dead_lettered_once_while_orders_flow_and_a_replay_dies_once_more()
{
    let rig = Rig::start(Options::default()).await;
    let setup = prepare(&rig).await;
    // assistant-service is not part of the rig: its queue has no consumer here.
    let defs: Vec<_> = topology::QUEUES
        .into_iter()
        .filter(|q| q.suffix != topology::ASSISTANT.suffix)
        .collect();
    let queues = poison::queues(&rig.names.exchange, &defs);
    let marker = format!("drill-{}", rig.names.id);
    let timing = Timing {
        before: Duration::from_millis(200),
        fault: Duration::from_secs(5),
        after: Duration::ZERO,
        settle: WAIT,
        subscribers: WORKERS,
    };
    let mut found = Vec::new();
    let mut row = drill::run(&setup, PLAN, timing, "poison", async {
        let (api, admin) = (&setup.api, &setup.admin);
        let amqp = shared::testing::amqp_url();
        let published = poison::publish(&amqp, &queues, &marker).await?;
        let deadline = Instant::now() + WAIT;
        let (first, took) =
            poison::dead_lettered(api, admin, &published, &marker, "published", deadline).await?;
        found.extend(first);
        let expected = published
            .iter()
            .filter(|p| p.id.is_some() && !p.ignored)
            .count();
        let replayed = poison::replay(api, admin, &published).await?;
        let deadline = Instant::now() + WAIT;
        let (again, _) =
            poison::dead_lettered(api, admin, &published, &marker, "replayed", deadline).await?;
        found.extend(again);
        assert_eq!(
            replayed, expected as u64,
            "every well-formed letter replayed"
        );
        Ok(format!(
            "{} poison messages into {} queues, dead-lettered within {:.1} s; {replayed} replayed",
            published.len(),
            poison::by_queue(&published).len(),
            took.as_secs_f64()
        ))
    })
    .await
    .expect("the drill ran to its end");
    row.extend(found);
    assert_eq!(
        row.orders_attempted,
        WORKERS * ORDERS_PER_WORKER,
        "one order per key"
    );
    eprintln!("{}", serde_json::to_string(&row).unwrap_or_default());
    assert!(row.passed, "{:#?}", row.findings());
    rig.stop().await;
}
