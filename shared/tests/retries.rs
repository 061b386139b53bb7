//! Retries against the real RabbitMQ: each waits out its own delay, and a message that kills
//! its consumer ends in the dead-letter queue instead of looping.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::json;
use shared::{
    events::{Bus, ConsumerSpec, Envelope, HandlerError, Selection},
    testing::{TestNames, bus_config, delete_topology, eventually, take_one},
};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(30);

fn event(kind: &str) -> Envelope {
    Envelope::new(kind, "test-publisher", "corr-1", json!({ "n": 1 }))
}

async fn connected(names: &TestNames, retry_base: Duration) -> (Bus, CancellationToken) {
    let cancel = CancellationToken::new();
    let mut config = bus_config(names);
    config.retry_base = retry_base;
    let bus = Bus::start(config, "test-consumer", cancel.clone());
    assert!(bus.wait_connected(WAIT).await, "connected to RabbitMQ");
    (bus, cancel)
}

#[tokio::test]
async fn a_long_retry_does_not_hold_a_shorter_one_behind_it() {
    let names = TestNames::new();
    // Delays of 1 s, then 2 s: `slow` waits 2 s for its third attempt, `quick` 1 s for its
    // second, and `quick` starts waiting after `slow`. One retry queue with per-message
    // expiry releases only its head, so `quick` came after `slow`.
    let (bus, cancel) = connected(&names, Duration::from_secs(1)).await;
    let attempts: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = attempts.clone();
    let consuming = bus.consume(ConsumerSpec::new("steps", &["thing.*"]), move |event| {
        let mut seen = seen.lock().unwrap();
        let n = seen.iter().filter(|a| a.starts_with(&event.kind)).count() + 1;
        seen.push(format!("{}#{n}", event.kind));
        let failures = if event.kind == "thing.slow" { 2 } else { 1 };
        std::future::ready(if n <= failures {
            Err(HandlerError::Retry("not yet".into()))
        } else {
            Ok(())
        })
    });
    assert!(consuming.wait_subscribed(WAIT).await);

    bus.publish(&event("thing.slow")).await.unwrap();
    eventually("the slow one's second attempt", WAIT, || async {
        attempts
            .lock()
            .unwrap()
            .contains(&"thing.slow#2".to_owned())
            .then_some(())
    })
    .await;
    bus.publish(&event("thing.quick")).await.unwrap();
    eventually("both to succeed", WAIT, || async {
        let seen = attempts.lock().unwrap();
        (seen.contains(&"thing.slow#3".to_owned()) && seen.contains(&"thing.quick#2".to_owned()))
            .then_some(())
    })
    .await;

    let seen = attempts.lock().unwrap().clone();
    let at = |name: &str| seen.iter().position(|a| a == name).unwrap();
    assert!(at("thing.quick#2") < at("thing.slow#3"), "{seen:?}");
    cancel.cancel();
    delete_topology(&bus).await;
}

#[tokio::test]
async fn a_message_that_kills_its_consumer_every_time_ends_dead_lettered() {
    let names = TestNames::new();
    let (admin, admin_cancel) = connected(&names, Duration::from_millis(50)).await;
    let poison = event("thing.poison");
    let mut consumers = Vec::new();
    let mut handled = 0;

    let dead = loop {
        assert!(handled <= 10, "the poison was handled {handled} times");
        // A consumer that dies holding the message: its handler never answers, and its
        // connection goes away (as when the process is killed).
        let (bus, cancel) = connected(&names, Duration::from_millis(50)).await;
        let (took_tx, mut took) = tokio::sync::mpsc::unbounded_channel();
        let consuming = bus.consume(ConsumerSpec::new("poisoned", &["thing.*"]), move |_| {
            let _ = took_tx.send(());
            std::future::pending::<Result<(), HandlerError>>()
        });
        assert!(consuming.wait_subscribed(WAIT).await);
        if consumers.is_empty() {
            admin.publish(&poison).await.unwrap();
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        let outcome = loop {
            assert!(tokio::time::Instant::now() < deadline, "nothing happened");
            if took.try_recv().is_ok() {
                break None;
            }
            if let Some(dead) = take_one(&admin, &admin.dead_letter_queue()).await {
                break Some(dead);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        cancel.cancel();
        consumers.push(bus);
        match outcome {
            Some(dead) => break dead,
            None => handled += 1,
        }
    };

    assert_eq!(dead.id, poison.id);
    assert!(handled >= 2, "redelivered before it was given up on");
    admin_cancel.cancel();
    for bus in consumers {
        delete_topology(&bus).await;
    }
    delete_topology(&admin).await;
}

#[tokio::test]
async fn dead_letters_are_listed_with_their_queue_and_replayed_once_the_cause_is_fixed() {
    let names = TestNames::new();
    let (bus, cancel) = connected(&names, Duration::from_millis(50)).await;
    let fixed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let applied: Arc<Mutex<Vec<uuid::Uuid>>> = Arc::default();
    let (is_fixed, seen) = (fixed.clone(), applied.clone());
    let consuming = bus.consume(ConsumerSpec::new("fixable", &["thing.*"]), move |event| {
        let result = if is_fixed.load(std::sync::atomic::Ordering::SeqCst) {
            seen.lock().unwrap().push(event.id);
            Ok(())
        } else {
            Err(HandlerError::Reject("a bug, fixed later".into()))
        };
        std::future::ready(result)
    });
    assert!(consuming.wait_subscribed(WAIT).await);
    let (first, second) = (event("thing.one"), event("thing.two"));
    bus.publish(&first).await.unwrap();
    bus.publish(&second).await.unwrap();

    let letters = eventually("both dead-lettered", WAIT, || async {
        let letters = bus.dead_letters(10).await.ok()?;
        (letters.len() == 2).then_some(letters)
    })
    .await;
    assert_eq!(letters[0].id, Some(first.id));
    assert_eq!(letters[0].kind, "thing.one");
    assert_eq!(letters[0].queue, Some(bus.queue_name("fixable")));
    assert_eq!(letters[0].reason.as_deref(), Some("rejected"));
    assert_eq!(
        bus.dead_letters(10).await.unwrap().len(),
        2,
        "listing leaves them"
    );

    fixed.store(true, std::sync::atomic::Ordering::SeqCst);
    let only_second = Selection {
        ids: vec![second.id],
        ..Selection::default()
    };
    assert_eq!(bus.replay_dead_letters(&only_second).await.unwrap(), 1);
    eventually("the second applied", WAIT, || async {
        applied.lock().unwrap().contains(&second.id).then_some(())
    })
    .await;
    let left = bus.dead_letters(10).await.unwrap();
    assert_eq!(
        left.iter().map(|l| l.id).collect::<Vec<_>>(),
        [Some(first.id)]
    );
    assert_eq!(bus.replay_dead_letters(&only_second).await.unwrap(), 0);
    assert_eq!(
        bus.replay_dead_letters(&Selection::default())
            .await
            .unwrap(),
        1
    );
    eventually("the first applied", WAIT, || async {
        applied.lock().unwrap().contains(&first.id).then_some(())
    })
    .await;
    assert!(bus.dead_letters(10).await.unwrap().is_empty());
    cancel.cancel();
    delete_topology(&bus).await;
}

#[tokio::test]
async fn quorum_queues_retry_and_dead_letter_like_classic_ones() {
    // Arrange: every durable queue of this bus is a quorum queue (EVENTS_QUEUE_TYPE=quorum).
    let names = TestNames::new();
    let cancel = CancellationToken::new();
    let mut config = bus_config(&names);
    config.queue_type = shared::events::QueueType::Quorum;
    let bus = Bus::start(config, "test-consumer", cancel.clone());
    assert!(bus.wait_connected(WAIT).await, "connected to RabbitMQ");
    let attempts: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = attempts.clone();
    let consuming = bus.consume(
        ConsumerSpec::new("replicated", &["thing.*"]),
        move |event| {
            let mut seen = seen.lock().unwrap();
            seen.push(event.kind.clone());
            let tries = seen.iter().filter(|k| **k == event.kind).count();
            std::future::ready(match event.kind.as_str() {
                "thing.bad" => Err(HandlerError::Reject("never applies".into())),
                _ if tries == 1 => Err(HandlerError::Retry("not yet".into())),
                _ => Ok(()),
            })
        },
    );
    assert!(consuming.wait_subscribed(WAIT).await);

    // Act
    let bad = event("thing.bad");
    bus.publish(&bad).await.unwrap();
    bus.publish(&event("thing.late")).await.unwrap();

    // Assert: the retried one came back through its (quorum) retry queue, the bad one sits
    // in the (quorum) dead-letter queue, and the queue really is a quorum queue: declaring it
    // as a classic one is refused by the broker.
    eventually("the retried one's second attempt", WAIT, || async {
        let seen = attempts.lock().unwrap();
        (seen.iter().filter(|k| *k == "thing.late").count() == 2).then_some(())
    })
    .await;
    let letters = eventually("the bad one dead-lettered", WAIT, || async {
        let letters = bus.dead_letters(10).await.ok()?;
        (letters.len() == 1).then_some(letters)
    })
    .await;
    assert_eq!(letters[0].id, Some(bad.id));
    assert_eq!(letters[0].queue, Some(bus.queue_name("replicated")));
    let connection = lapin::Connection::connect(
        &shared::testing::amqp_url(),
        lapin::ConnectionProperties::default(),
    )
    .await
    .unwrap();
    let channel = connection.create_channel().await.unwrap();
    // The same arguments as the bus gives it, but for the queue type.
    let mut arguments = lapin::types::FieldTable::default();
    let text = |v: &str| lapin::types::AMQPValue::LongString(v.into());
    arguments.insert(
        "x-dead-letter-exchange".into(),
        text(&format!("{}.dlx", names.exchange)),
    );
    arguments.insert("x-dead-letter-strategy".into(), text("at-least-once"));
    arguments.insert("x-overflow".into(), text("reject-publish"));
    arguments.insert("x-expires".into(), lapin::types::AMQPValue::LongInt(60_000));
    let classic = channel
        .queue_declare(
            bus.queue_name("replicated").as_str().into(),
            lapin::options::QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            arguments,
        )
        .await;
    let refused = classic.expect_err("a classic declaration of a quorum queue is refused");
    assert!(refused.to_string().contains("x-queue-type"), "{refused}");
    let _ = connection.close(0, "done".into()).await;
    cancel.cancel();
    delete_topology(&bus).await;
}
