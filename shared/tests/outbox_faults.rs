//! The outbox relay against events that cannot, or cannot yet, be published, on the real
//! MongoDB (or its stand-in) and RabbitMQ: none of them may stall the relay or other events.

use std::time::Duration;

use bson::{Document, doc};
use lapin::{
    options::{QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable},
};
use serde_json::json;
use shared::{
    config::MongoConfig,
    events::{Bus, ConsumerSpec, Envelope},
    health::Health,
    outbox::{self, Relay},
    supervise::Heartbeat,
    testing::{TestNames, bus_config, delete_topology, eventually, mongodb_uri},
};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(30);

async fn database(names: &TestNames) -> mongodb::Database {
    let cfg = MongoConfig {
        uri: mongodb_uri(),
        database: names.database.clone(),
    };
    shared::store::mongo(&cfg, "outbox-faults-test")
        .await
        .unwrap()
}

fn event(kind: &str, n: i32) -> Envelope {
    Envelope::new(kind, "product-service", "req-1", json!({ "n": n }))
}

/// A consumer of `thing.*` on the test's exchange, and the ids it receives.
async fn listen(names: &TestNames, cancel: &CancellationToken) -> (Bus, UnboundedReceiver<Uuid>) {
    let (bus, mut events) = listen_to(names, cancel, "things", "thing.*").await;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            let _ = tx.send(event.id);
        }
    });
    (bus, rx)
}

/// A consumer of `pattern` on the test's exchange (queue `name`), and the events it receives.
async fn listen_to(
    names: &TestNames,
    cancel: &CancellationToken,
    name: &str,
    pattern: &str,
) -> (Bus, UnboundedReceiver<Envelope>) {
    let bus = Bus::start(bus_config(names), "consumer", cancel.clone());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let consuming = bus.consume(ConsumerSpec::new(name, &[pattern]), move |event| {
        let _ = tx.send(event);
        std::future::ready(Ok(()))
    });
    assert!(consuming.wait_subscribed(WAIT).await);
    (bus, rx)
}

/// A relay over `things`, polling every `poll`, already running.
async fn relay(
    names: &TestNames,
    db: &mongodb::Database,
    poll: Duration,
    cancel: &CancellationToken,
) -> Relay {
    let bus = Bus::start(bus_config(names), "product-service", cancel.clone());
    assert!(bus.wait_connected(WAIT).await);
    let relay = Relay::new(db.clone(), &["things"], bus, poll);
    relay.clone().spawn(cancel.clone());
    relay
}

/// Stops the test's relay and consumer and drops what it made.
async fn finish(cancel: CancellationToken, consumer: &Bus, db: mongodb::Database) {
    cancel.cancel();
    delete_topology(consumer).await;
    db.drop().await.unwrap();
}

async fn insert(db: &mongodb::Database, id: i32, pending: Document) {
    let count = i64::try_from(pending.len()).unwrap();
    db.collection::<Document>("things")
        .insert_one(doc! { "_id": id, outbox::FIELD: pending, outbox::COUNT: count })
        .await
        .unwrap();
}

fn entry(event: &Envelope) -> (String, String) {
    (
        event.id.simple().to_string(),
        serde_json::to_string(event).unwrap(),
    )
}

async fn receive(rx: &mut UnboundedReceiver<Uuid>, within: Duration) -> Uuid {
    tokio::time::timeout(within, rx.recv())
        .await
        .expect("an event in time")
        .expect("the consumer is running")
}

#[tokio::test]
async fn an_event_whose_correlation_id_is_too_long_for_amqp_goes_out_and_so_do_later_ones() {
    let names = TestNames::new();
    let db = database(&names).await;
    let cancel = CancellationToken::new();
    let (consumer, mut rx) = listen(&names, &cancel).await;
    // Stored before request ids were checked: Envelope::new would not make it any more.
    let mut oversized = event("thing.made", 1);
    oversized.correlation_id = "r".repeat(60_000);
    let (key, text) = entry(&oversized);
    insert(&db, 1, doc! { key: text }).await;
    let relay = relay(&names, &db, Duration::from_millis(50), &cancel).await;

    assert_eq!(receive(&mut rx, WAIT).await, oversized.id);
    let later = event("thing.made", 2);
    let (key, text) = entry(&later);
    insert(&db, 2, doc! { key: text }).await;
    relay.nudge().nudge();

    assert_eq!(receive(&mut rx, WAIT).await, later.id);
    finish(cancel, &consumer, db).await;
}

#[tokio::test]
async fn an_unreadable_entry_is_parked_and_the_events_after_it_go_out() {
    let names = TestNames::new();
    let db = database(&names).await;
    let cancel = CancellationToken::new();
    let (consumer, mut rx) = listen(&names, &cancel).await;
    let good = event("thing.made", 1);
    let (key, text) = entry(&good);
    // Keys sort by time: the broken entry comes first.
    insert(&db, 1, doc! { "0": "{not json", key: text }).await;
    relay(&names, &db, Duration::from_millis(50), &cancel).await;

    assert_eq!(receive(&mut rx, WAIT).await, good.id);
    let parked = eventually("the broken entry to be parked", WAIT, || async {
        db.collection::<Document>(outbox::PARKED)
            .find_one(doc! { "_id": "things:0" })
            .await
            .unwrap()
    })
    .await;
    assert_eq!(parked.get_str("event").unwrap(), "{not json");
    assert!(parked.get_str("reason").unwrap().starts_with("unreadable"));
    eventually("the document's outbox to empty", WAIT, || async {
        let stored = db
            .collection::<Document>("things")
            .find_one(doc! { "_id": 1 })
            .await
            .unwrap()?;
        (outbox::pending_count(&stored) == 0).then_some(())
    })
    .await;
    finish(cancel, &consumer, db).await;
}

#[tokio::test]
async fn a_parked_event_is_announced_as_outbox_parked_so_that_ops_hear_of_it() {
    let names = TestNames::new();
    let db = database(&names).await;
    let cancel = CancellationToken::new();
    let (listener, mut notices) =
        listen_to(&names, &cancel, "ops", shared::events::keys::OUTBOX_PARKED).await;
    let good = event("thing.made", 1);
    let (key, text) = entry(&good);
    insert(&db, 7, doc! { "0": "{not json", key: text }).await;
    relay(&names, &db, Duration::from_millis(50), &cancel).await;

    let notice = tokio::time::timeout(WAIT, notices.recv())
        .await
        .expect("a notice in time")
        .expect("the consumer is running");
    assert_eq!(notice.kind, shared::events::keys::OUTBOX_PARKED);
    assert_eq!(notice.data["collection"], "things");
    assert_eq!(notice.data["documentId"], "7");
    assert!(
        notice.data["reason"]
            .as_str()
            .unwrap()
            .starts_with("unreadable"),
        "{}",
        notice.data
    );
    // The notice went out through the parked record's own outbox, which is empty again.
    eventually("the notice to leave the parked record", WAIT, || async {
        let parked = db
            .collection::<Document>(outbox::PARKED)
            .find_one(doc! { "_id": "things:0" })
            .await
            .unwrap()?;
        (outbox::pending_count(&parked) == 0).then_some(())
    })
    .await;
    finish(cancel, &listener, db).await;
}

/// A queue that takes no message: the broker answers every publish routed to it with a nack.
async fn refuse(names: &TestNames, routing_key: &str) {
    let connection = lapin::Connection::connect(&shared::testing::amqp_url(), Default::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    let mut arguments = FieldTable::default();
    arguments.insert("x-max-length".into(), AMQPValue::LongInt(0));
    arguments.insert(
        "x-overflow".into(),
        AMQPValue::LongString("reject-publish".into()),
    );
    arguments.insert("x-expires".into(), AMQPValue::LongInt(60_000));
    let queue = format!("{}.refusing", names.exchange);
    channel
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions::default(),
            arguments,
        )
        .await
        .unwrap();
    channel
        .queue_bind(
            queue.as_str().into(),
            names.exchange.as_str().into(),
            routing_key.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let _ = connection.close(200, "declared".into()).await;
}

/// How many publishes of `refused.thing` the broker refused so far (this test's process).
fn refused_count() -> u64 {
    let text = shared::telemetry::metrics_handle().render();
    text.lines()
        .filter(|line| {
            line.starts_with("events_published_total")
                && line.contains("type=\"refused.thing\"")
                && line.contains("outcome=\"failed\"")
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

fn refused_publishes() -> bool {
    refused_count() > 0
}

#[tokio::test]
async fn an_event_the_broker_refuses_does_not_hold_up_documents_written_after_it() {
    let _ = shared::telemetry::metrics_handle();
    let names = TestNames::new();
    let db = database(&names).await;
    let cancel = CancellationToken::new();
    let (consumer, mut rx) = listen(&names, &cancel).await;
    refuse(&names, "refused.thing").await;
    let refused = event("refused.thing", 0);
    let (key, text) = entry(&refused);
    insert(&db, 100, doc! { key: text }).await;
    // A long poll: later documents can only go out at once if a nudge wakes the relay.
    let relay = relay(&names, &db, Duration::from_secs(5), &cancel).await;
    eventually("the broker to refuse the first event", WAIT, || async {
        refused_publishes().then_some(())
    })
    .await;

    for n in 1..=4 {
        let later = event("thing.made", n);
        let (key, text) = entry(&later);
        insert(&db, n, doc! { key: text }).await;
        relay.nudge().nudge();
        assert_eq!(receive(&mut rx, Duration::from_secs(3)).await, later.id);
    }

    let stored = db
        .collection::<Document>("things")
        .find_one(doc! { "_id": 100 })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(outbox::pending_count(&stored), 1, "kept, to be tried again");
    finish(cancel, &consumer, db).await;
}

#[tokio::test]
async fn documents_waiting_to_retry_a_refused_event_do_not_starve_the_others() {
    let _ = shared::telemetry::metrics_handle();
    let names = TestNames::new();
    let db = database(&names).await;
    let cancel = CancellationToken::new();
    let (consumer, mut rx) = listen(&names, &cancel).await;
    refuse(&names, "refused.thing").await;
    // More refused documents than one read takes: a read that kept returning them would never
    // reach the document written after them.
    for id in [100, 101, 102] {
        let (key, text) = entry(&event("refused.thing", id));
        insert(&db, id, doc! { key: text }).await;
    }
    let bus = Bus::start(bus_config(&names), "product-service", cancel.clone());
    assert!(bus.wait_connected(WAIT).await);
    let relay = Relay::new(db.clone(), &["things"], bus, Duration::from_secs(5)).with_batch(2);
    relay.clone().spawn(cancel.clone());
    eventually("the broker to refuse the first two", WAIT, || async {
        (refused_count() >= 2).then_some(())
    })
    .await;

    let later = event("thing.made", 1);
    let (key, text) = entry(&later);
    insert(&db, 1, doc! { key: text }).await;
    relay.nudge().nudge();

    assert_eq!(receive(&mut rx, Duration::from_secs(3)).await, later.id);
    finish(cancel, &consumer, db).await;
}

#[tokio::test]
async fn health_reports_a_running_relay_up_and_a_stalled_task_degraded() {
    let names = TestNames::new();
    let db = database(&names).await;
    let cancel = CancellationToken::new();
    let relay = relay(&names, &db, Duration::from_millis(50), &cancel).await;
    let health = Health::new("outbox-test", Vec::new());
    health.watch(relay.heartbeat());

    let report = health.report().await;
    assert_eq!(report.status, "ok");
    assert_eq!(report.dependencies["outbox-relay"], "up");

    health.watch(Heartbeat::new("never-beats", Duration::from_millis(1)));
    let report = eventually("the silent task to count as stalled", WAIT, || async {
        let report = health.report().await;
        (report.status == "degraded").then_some(report)
    })
    .await;
    assert_eq!(report.dependencies["never-beats"], "stalled");
    assert_eq!(report.dependencies["outbox-relay"], "up");
    cancel.cancel();
    db.drop().await.unwrap();
}
