//! The outbox against the real MongoDB (or its stand-in) and RabbitMQ.

use std::time::Duration;

use bson::{Document, doc};
use serde_json::json;
use shared::{
    config::MongoConfig,
    events::{Bus, ConsumerSpec, Envelope},
    outbox::{self, Relay},
    testing::{
        TcpProxy, TestNames, amqp_url, bus_config, delete_topology, eventually, mongodb_uri,
        socket_addr_of,
    },
};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(30);

async fn database(names: &TestNames) -> mongodb::Database {
    let cfg = MongoConfig {
        uri: mongodb_uri(),
        database: names.database.clone(),
    };
    shared::store::mongo(&cfg, "outbox-test").await.unwrap()
}

fn event(kind: &str, n: i32) -> Envelope {
    Envelope::new(kind, "product-service", "req-1", json!({ "n": n }))
}

async fn document(db: &mongodb::Database, id: i32) -> Document {
    db.collection::<Document>("things")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn outbox_uses_a_keyed_map_because_the_stand_in_mangles_pushed_subdocuments_and_pull() {
    let names = TestNames::new();
    let db = database(&names).await;
    let things = db.collection::<Document>("things");
    let (first, second) = (event("thing.made", 1), event("thing.changed", 2));
    let mut new = doc! { "_id": 1, "stock": 5 };
    new.extend(outbox::initial(std::slice::from_ref(&first)).unwrap());
    things.insert_one(new).await.unwrap();

    let mut update = doc! { "$inc": { "stock": -2 } };
    outbox::stage(&mut update, std::slice::from_ref(&second)).unwrap();
    let changed = things
        .update_one(doc! { "_id": 1, "stock": { "$gte": 2 } }, update)
        .await
        .unwrap();
    assert_eq!(changed.modified_count, 1);

    let stored = document(&db, 1).await;
    assert_eq!(stored.get_i32("stock").unwrap(), 3);
    assert_eq!(outbox::pending_count(&stored), 2);
    let pending = stored.get_document(outbox::FIELD).unwrap();
    assert_eq!(pending.len(), 2);
    let kept: Envelope =
        serde_json::from_str(pending.get_str(second.id.simple().to_string()).unwrap()).unwrap();
    assert_eq!(kept, second);

    // Removing one event by key leaves the other, on the stand-in and on MongoDB alike.
    let path = format!("{}.{}", outbox::FIELD, first.id.simple());
    let removed = things
        .update_one(
            doc! { "_id": 1, &path: { "$exists": true } },
            doc! { "$unset": { &path: "" }, "$inc": { outbox::COUNT: -1 } },
        )
        .await
        .unwrap();
    assert_eq!(removed.modified_count, 1);
    let again = things
        .update_one(
            doc! { "_id": 1, &path: { "$exists": true } },
            doc! { "$unset": { &path: "" }, "$inc": { outbox::COUNT: -1 } },
        )
        .await
        .unwrap();
    assert_eq!(again.modified_count, 0, "removing twice is a no-op");
    let stored = document(&db, 1).await;
    assert_eq!(outbox::pending_count(&stored), 1);
    assert_eq!(stored.get_document(outbox::FIELD).unwrap().len(), 1);
    db.drop().await.unwrap();
}

#[tokio::test]
async fn pending_events_survive_a_broker_outage_and_go_out_in_order() {
    let names = TestNames::new();
    let db = database(&names).await;
    let cancel = CancellationToken::new();
    let consumer_bus = Bus::start(bus_config(&names), "consumer", cancel.clone());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let consuming = consumer_bus.consume(ConsumerSpec::new("things", &["thing.*"]), move |event| {
        let _ = tx.send((event.id, event.kind));
        std::future::ready(Ok(()))
    });
    assert!(consuming.wait_subscribed(WAIT).await);
    let proxy = TcpProxy::start(socket_addr_of(&amqp_url(), 5672))
        .await
        .unwrap();
    let mut relay_config = bus_config(&names);
    relay_config.url = proxy.rewrite(&relay_config.url);
    let relay_bus = Bus::start(relay_config, "product-service", cancel.clone());
    assert!(relay_bus.wait_connected(WAIT).await);
    proxy.sever();
    eventually("the relay's bus to notice", WAIT, || async {
        (!relay_bus.is_connected()).then_some(())
    })
    .await;
    let relay = Relay::new(
        db.clone(),
        &["things"],
        relay_bus,
        Duration::from_millis(50),
    );
    let nudge = relay.nudge();
    relay.spawn(cancel.clone());

    let events: Vec<Envelope> = (1..=3).map(|n| event("thing.changed", n)).collect();
    let mut new = doc! { "_id": 7 };
    new.extend(outbox::initial(&events).unwrap());
    db.collection::<Document>("things")
        .insert_one(new)
        .await
        .unwrap();
    nudge.nudge();
    // Several relay passes fail while the broker is away; nothing is lost or marked sent.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(outbox::pending_count(&document(&db, 7).await), 3);
    assert!(rx.try_recv().is_err());

    proxy.restore();
    let mut received = Vec::new();
    for _ in 0..3 {
        received.push(
            tokio::time::timeout(WAIT, rx.recv())
                .await
                .expect("an event")
                .unwrap()
                .0,
        );
    }
    assert_eq!(received, events.iter().map(|e| e.id).collect::<Vec<_>>());
    eventually("the outbox to empty", WAIT, || async {
        let stored = document(&db, 7).await;
        (outbox::pending_count(&stored) == 0
            && stored.get_document(outbox::FIELD).unwrap().is_empty())
        .then_some(())
    })
    .await;

    cancel.cancel();
    delete_topology(&consumer_bus).await;
    db.drop().await.unwrap();
}

#[tokio::test]
async fn dates_and_booleans_written_by_set_read_back_through_compat_on_the_stand_in_and_mongodb() {
    #[derive(serde::Deserialize)]
    struct Row {
        #[serde(deserialize_with = "shared::store::compat::date")]
        at: chrono::DateTime<chrono::Utc>,
        #[serde(deserialize_with = "shared::store::compat::boolean")]
        flag: bool,
    }
    let names = TestNames::new();
    let db = database(&names).await;
    let rows = db.collection::<Document>("rows");
    let written = chrono::DateTime::parse_from_rfc3339("2026-11-25T12:16:51.485Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    rows.insert_one(doc! { "_id": 1, "flag": false })
        .await
        .unwrap();

    // The stand-in returns these two as a string and an integer; MongoDB as a date and a bool.
    rows.update_one(
        doc! { "_id": 1 },
        doc! { "$set": { "at": bson::DateTime::from_chrono(written), "flag": true } },
    )
    .await
    .unwrap();

    let row: Row =
        bson::from_document(rows.find_one(doc! { "_id": 1 }).await.unwrap().unwrap()).unwrap();
    assert_eq!(row.at, written);
    assert!(row.flag);
    db.drop().await.unwrap();
}

/// `count_documents` is an aggregate with a constant `$group` key, which the stand-in runs in
/// Python over every document of the collection: counts repeated in the background read the
/// matching ids instead (`shared::store::count_up_to`). They must give the same figure, and
/// stop at their cap. (How slow the aggregate is belongs to a benchmark, not to this test.)
#[tokio::test]
async fn background_counts_read_ids_because_the_stand_in_aggregates_count_documents_over_every_document()
 {
    let names = TestNames::new();
    let db = database(&names).await;
    let rows = db.collection::<Document>("rows");
    let docs: Vec<Document> = (0..40)
        .map(|n| doc! { "_id": n, "outboxCount": i32::from(n % 3 == 0) })
        .collect();
    rows.insert_many(docs).await.unwrap();
    let pending = doc! { "outboxCount": { "$gt": 0 } };

    let counted = shared::store::count_up_to(&rows, pending.clone(), 1000)
        .await
        .unwrap();
    let by_driver = rows.count_documents(pending.clone()).await.unwrap();
    let capped = shared::store::count_up_to(&rows, pending.clone(), 5)
        .await
        .unwrap();
    let none = shared::store::count_up_to(&rows, doc! { "outboxCount": 7 }, 1000)
        .await
        .unwrap();

    assert_eq!((counted, by_driver), (14, 14));
    assert_eq!(capped, 5);
    assert_eq!(none, 0);
    db.drop().await.unwrap();
}

#[tokio::test]
async fn removing_published_events_counts_off_only_what_another_relay_left() {
    let names = TestNames::new();
    let db = database(&names).await;
    let things = db.collection::<Document>("things");
    let events: Vec<Envelope> = (1..=3).map(|n| event("thing.changed", n)).collect();
    let mut new = doc! { "_id": 9 };
    new.extend(outbox::initial(&events).unwrap());
    things.insert_one(new).await.unwrap();
    let paths: Vec<String> = document(&db, 9)
        .await
        .get_document(outbox::FIELD)
        .unwrap()
        .keys()
        .map(|key| format!("{}.{key}", outbox::FIELD))
        .collect();
    assert_eq!(paths.len(), 3);
    // Another relay published the second event and removed it first.
    things
        .update_one(
            doc! { "_id": 9 },
            doc! { "$unset": { &paths[1]: "" }, "$inc": { outbox::COUNT: -1 } },
        )
        .await
        .unwrap();

    outbox::remove_published(&things, &bson::Bson::Int32(9), &paths)
        .await
        .unwrap();

    let stored = document(&db, 9).await;
    assert_eq!(outbox::pending_count(&stored), 0);
    assert!(stored.get_document(outbox::FIELD).unwrap().is_empty());
    // All at once when nothing was taken before: one write, the same end state.
    let mut again = doc! { "_id": 10 };
    again.extend(outbox::initial(&events).unwrap());
    things.insert_one(again).await.unwrap();
    outbox::remove_published(&things, &bson::Bson::Int32(10), &paths)
        .await
        .unwrap();
    let stored = document(&db, 10).await;
    assert_eq!(outbox::pending_count(&stored), 0);
    assert!(stored.get_document(outbox::FIELD).unwrap().is_empty());
    db.drop().await.unwrap();
}

/// A writer that hands its staged events over has them published and marked sent by a pass
/// that reads no collection: another document's events, staged without a nudge, stay where
/// they are until a read (here the poll, an hour away).
#[tokio::test]
async fn handed_events_go_out_and_are_marked_sent_by_a_pass_that_reads_nothing() {
    let names = TestNames::new();
    let db = database(&names).await;
    let cancel = CancellationToken::new();
    let consumer_bus = Bus::start(bus_config(&names), "consumer", cancel.clone());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let consuming = consumer_bus.consume(ConsumerSpec::new("things", &["thing.*"]), move |event| {
        let _ = tx.send(event.id);
        std::future::ready(Ok(()))
    });
    assert!(consuming.wait_subscribed(WAIT).await);
    let relay_bus = Bus::start(bus_config(&names), "product-service", cancel.clone());
    assert!(relay_bus.wait_connected(WAIT).await);
    let relay = Relay::new(
        db.clone(),
        &["things"],
        relay_bus,
        Duration::from_secs(3600),
    );
    let (nudge, heartbeat) = (relay.nudge(), relay.heartbeat());
    relay.spawn(cancel.clone());
    eventually("the relay's first pass", WAIT, || async {
        heartbeat.backlog().contains_key("things").then_some(())
    })
    .await;

    let things = db.collection::<Document>("things");
    let left: Vec<Envelope> = vec![event("thing.left", 0)];
    let mut quiet = doc! { "_id": 1 };
    quiet.extend(outbox::initial_at(&left, 1).unwrap());
    things.insert_one(quiet).await.unwrap();
    let events: Vec<Envelope> = (1..=3).map(|n| event("thing.changed", n)).collect();
    let mut handed = doc! { "_id": 2 };
    handed.extend(outbox::initial_at(&events, 1).unwrap());
    things.insert_one(handed).await.unwrap();
    nudge.hand("things", 2, outbox::keyed_at(&events, 1).unwrap());

    let mut received = Vec::new();
    for _ in 0..3 {
        received.push(
            tokio::time::timeout(WAIT, rx.recv())
                .await
                .expect("an event")
                .unwrap(),
        );
    }
    assert_eq!(received, events.iter().map(|e| e.id).collect::<Vec<_>>());
    eventually("the handed events marked sent", WAIT, || async {
        let stored = document(&db, 2).await;
        (outbox::pending_count(&stored) == 0
            && stored.get_document(outbox::FIELD).unwrap().is_empty())
        .then_some(())
    })
    .await;
    assert_eq!(
        outbox::pending_count(&document(&db, 1).await),
        1,
        "no read: the event staged without a nudge waits for one"
    );
    assert!(rx.try_recv().is_err());

    cancel.cancel();
    delete_topology(&consumer_bus).await;
    db.drop().await.unwrap();
}
