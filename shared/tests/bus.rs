//! The event bus against the real RabbitMQ: confirms, acks after processing, retries with
//! backoff, dead-lettering, and failing fast when the broker cannot be reached.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use serde_json::json;
use shared::{
    events::{Bus, BusError, ConsumerSpec, Envelope, HandlerError},
    testing::{TestNames, bus_config, delete_topology, eventually, queue_depth, take_one},
};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(30);

struct TestBus {
    bus: Bus,
    cancel: CancellationToken,
}

async fn connected_bus(names: &TestNames, source: &str) -> TestBus {
    let cancel = CancellationToken::new();
    let bus = Bus::start(bus_config(names), source, cancel.clone());
    assert!(
        bus.wait_connected(WAIT).await,
        "the bus connected to RabbitMQ"
    );
    TestBus { bus, cancel }
}

fn event(kind: &str) -> Envelope {
    Envelope::new(kind, "test-publisher", "corr-1", json!({ "n": 1 }))
}

async fn subscribed(consuming: shared::events::Consuming) -> shared::events::Consuming {
    assert!(
        consuming.wait_subscribed(WAIT).await,
        "the consumer subscribed"
    );
    consuming
}

fn counting_handler(
    attempts: Arc<AtomicU32>,
    fail_first: u32,
    failure: fn() -> HandlerError,
) -> impl Fn(Envelope) -> std::future::Ready<Result<(), HandlerError>> + Send + Sync + 'static {
    move |_event| {
        let n = attempts.fetch_add(1, Ordering::SeqCst) + 1;
        std::future::ready(if n <= fail_first {
            Err(failure())
        } else {
            Ok(())
        })
    }
}

#[tokio::test]
async fn a_transient_failure_is_retried_and_then_applied() {
    let names = TestNames::new();
    let t = connected_bus(&names, "test-consumer").await;
    let attempts = Arc::new(AtomicU32::new(0));
    let _consuming = subscribed(t.bus.consume(
        ConsumerSpec::new("retry-then-ok", &["thing.happened"]),
        counting_handler(attempts.clone(), 1, || {
            HandlerError::Retry("database down".into())
        }),
    ))
    .await;

    t.bus
        .publish(&event("thing.happened"))
        .await
        .expect("published");

    eventually("the second attempt", WAIT, || async {
        (attempts.load(Ordering::SeqCst) == 2).then_some(())
    })
    .await;
    let queue = t.bus.queue_name("retry-then-ok");
    eventually("the queue to drain", WAIT, || async {
        (queue_depth(&t.bus, &queue).await == Some(0)).then_some(())
    })
    .await;
    assert_eq!(
        queue_depth(&t.bus, &t.bus.dead_letter_queue()).await,
        Some(0)
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
    t.cancel.cancel();
    delete_topology(&t.bus).await;
}

#[tokio::test]
async fn a_message_that_keeps_failing_is_retried_then_dead_lettered() {
    let names = TestNames::new();
    let t = connected_bus(&names, "test-consumer").await;
    let attempts = Arc::new(AtomicU32::new(0));
    let _consuming = subscribed(t.bus.consume(
        ConsumerSpec::new("always-fails", &["thing.#"]),
        counting_handler(attempts.clone(), u32::MAX, || {
            HandlerError::Retry("still down".into())
        }),
    ))
    .await;
    let sent = event("thing.failed");

    t.bus.publish(&sent).await.expect("published");

    let dead = eventually("the message in the dead-letter queue", WAIT, || async {
        take_one(&t.bus, &t.bus.dead_letter_queue()).await
    })
    .await;
    assert_eq!(dead.id, sent.id);
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        bus_config(&names).max_deliveries
    );
    t.cancel.cancel();
    delete_topology(&t.bus).await;
}

#[tokio::test]
async fn a_dependency_outage_longer_than_the_retry_budget_delays_the_event_but_never_dead_letters_it()
 {
    // Found by `cargo xtask drill database`: a 20 s MongoDB outage used up alert-service's five
    // deliveries of an `order.status_changed` and dead-lettered it, so its alert was lost.
    let names = TestNames::new();
    let t = connected_bus(&names, "test-consumer").await;
    let attempts = Arc::new(AtomicU32::new(0));
    let outage = bus_config(&names).max_deliveries * 2;
    let _consuming = subscribed(t.bus.consume(
        ConsumerSpec::new("outage-then-ok", &["thing.happened"]),
        counting_handler(attempts.clone(), outage, || {
            HandlerError::from(shared::ApiError::UpstreamUnavailable("database".into()))
        }),
    ))
    .await;

    t.bus
        .publish(&event("thing.happened"))
        .await
        .expect("published");

    eventually("the attempt after the outage", WAIT, || async {
        (attempts.load(Ordering::SeqCst) == outage + 1).then_some(())
    })
    .await;
    let queue = t.bus.queue_name("outage-then-ok");
    eventually("the queue to drain", WAIT, || async {
        (queue_depth(&t.bus, &queue).await == Some(0)).then_some(())
    })
    .await;
    assert_eq!(
        queue_depth(&t.bus, &t.bus.dead_letter_queue()).await,
        Some(0),
        "nothing dead-lettered"
    );
    assert_eq!(attempts.load(Ordering::SeqCst), outage + 1);
    t.cancel.cancel();
    delete_topology(&t.bus).await;
}

#[tokio::test]
async fn a_rejected_message_is_dead_lettered_without_retries() {
    let names = TestNames::new();
    let t = connected_bus(&names, "test-consumer").await;
    let attempts = Arc::new(AtomicU32::new(0));
    let _consuming = subscribed(t.bus.consume(
        ConsumerSpec::new("rejects", &["thing.bad"]),
        counting_handler(attempts.clone(), u32::MAX, || {
            HandlerError::Reject("bad payload".into())
        }),
    ))
    .await;
    let sent = event("thing.bad");

    t.bus.publish(&sent).await.expect("published");

    let dead = eventually("the dead letter", WAIT, || async {
        take_one(&t.bus, &t.bus.dead_letter_queue()).await
    })
    .await;
    assert_eq!(dead.id, sent.id);
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    t.cancel.cancel();
    delete_topology(&t.bus).await;
}

#[tokio::test]
async fn a_message_is_not_acked_until_its_handler_finishes() {
    let names = TestNames::new();
    let first = connected_bus(&names, "first-consumer").await;
    let started = Arc::new(tokio::sync::Notify::new());
    let notify = started.clone();
    let _consuming = subscribed(first.bus.consume(
        ConsumerSpec::new("slow", &["thing.slow"]),
        move |_event| {
            let notify = notify.clone();
            async move {
                notify.notify_one();
                std::future::pending::<Result<(), HandlerError>>().await
            }
        },
    ))
    .await;
    let sent = event("thing.slow");
    first.bus.publish(&sent).await.expect("published");
    tokio::time::timeout(WAIT, started.notified())
        .await
        .expect("the handler started");
    let queue = first.bus.queue_name("slow");
    assert_eq!(
        queue_depth(&first.bus, &queue).await,
        Some(0),
        "the message is out, unacked"
    );

    // The consumer dies mid-handler: the broker must hand the message to the next one.
    first.cancel.cancel();
    let second = connected_bus(&names, "second-consumer").await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _consuming = subscribed(second.bus.consume(
        ConsumerSpec::new("slow", &["thing.slow"]),
        move |event| {
            let _ = tx.send(event.id);
            std::future::ready(Ok(()))
        },
    ))
    .await;

    let redelivered = tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("redelivered")
        .expect("an id");
    assert_eq!(redelivered, sent.id);
    second.cancel.cancel();
    delete_topology(&second.bus).await;
}

#[tokio::test]
async fn an_event_nobody_listens_to_comes_back_as_unroutable() {
    let names = TestNames::new();
    let t = connected_bus(&names, "lonely-publisher").await;
    // The suite's topology binds analytics to every key; without that queue nothing listens.
    let connection = lapin::Connection::connect(&t.bus.config().url, Default::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    let analytics = t.bus.queue_name(shared::events::topology::ANALYTICS.suffix);
    channel
        .queue_delete(analytics.as_str().into(), Default::default())
        .await
        .unwrap();
    connection.close(200, "done".into()).await.unwrap();

    let result = t.bus.publish(&event("nobody.listens")).await;

    assert!(
        matches!(result, Err(BusError::Unroutable(ref key)) if key == "nobody.listens"),
        "{result:?}"
    );
    t.cancel.cancel();
    delete_topology(&t.bus).await;
}

#[tokio::test]
async fn publishing_without_a_broker_fails_fast_instead_of_hanging() {
    let names = TestNames::new();
    let mut config = bus_config(&names);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    config.url = format!("amqp://guest:guest@{}/%2f", closed.local_addr().unwrap());
    drop(closed);
    let cancel = CancellationToken::new();
    let bus = Bus::start(config, "orphan", cancel.clone());

    let started = std::time::Instant::now();
    let result = bus.publish(&event("thing.happened")).await;

    assert!(matches!(result, Err(BusError::Unavailable)), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(!bus.is_connected());
    cancel.cancel();
}

#[tokio::test]
async fn a_consumer_holds_no_more_unacked_messages_than_its_prefetch() {
    let names = TestNames::new();
    let mut config = bus_config(&names);
    config.prefetch = 2;
    let cancel = CancellationToken::new();
    let bus = Bus::start(config, "slow-consumer", cancel.clone());
    assert!(bus.wait_connected(WAIT).await);
    let _consuming = subscribed(
        bus.consume(ConsumerSpec::new("bounded", &["thing.queued"]), |_event| {
            std::future::pending::<Result<(), HandlerError>>()
        }),
    )
    .await;

    for _ in 0..5 {
        bus.publish(&event("thing.queued"))
            .await
            .expect("published");
    }

    // One message is in the (stuck) handler and one more is prefetched: three stay ready.
    let queue = bus.queue_name("bounded");
    eventually("three messages left ready", WAIT, || async {
        (queue_depth(&bus, &queue).await == Some(3)).then_some(())
    })
    .await;
    cancel.cancel();
    delete_topology(&bus).await;
}

#[tokio::test]
async fn a_publisher_fails_fast_while_the_broker_is_away_and_publishes_again_when_it_returns() {
    let names = TestNames::new();
    let proxy = shared::testing::TcpProxy::start(shared::testing::socket_addr_of(
        &shared::testing::amqp_url(),
        5672,
    ))
    .await
    .unwrap();
    let mut config = bus_config(&names);
    config.url = proxy.rewrite(&config.url);
    let cancel = CancellationToken::new();
    let publisher = Bus::start(config, "cut-off-publisher", cancel.clone());
    assert!(publisher.wait_connected(WAIT).await);
    let consumer = connected_bus(&names, "consumer").await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _consuming = subscribed(consumer.bus.consume(
        ConsumerSpec::new("outage", &["thing.#"]),
        move |event| {
            let _ = tx.send(event.id);
            std::future::ready(Ok(()))
        },
    ))
    .await;
    publisher
        .publish(&event("thing.warmup"))
        .await
        .expect("published");
    tokio::time::timeout(WAIT, rx.recv()).await.unwrap();

    proxy.sever();
    eventually("the publisher to notice", WAIT, || async {
        (!publisher.is_connected()).then_some(())
    })
    .await;
    let started = std::time::Instant::now();
    let during = publisher.publish(&event("thing.during")).await;
    assert!(matches!(during, Err(BusError::Unavailable)), "{during:?}");
    assert!(started.elapsed() < Duration::from_secs(1));

    proxy.restore();
    assert!(
        publisher.wait_connected(WAIT).await,
        "the publisher reconnected by itself"
    );
    let after = event("thing.after");
    publisher
        .publish(&after)
        .await
        .expect("published after the outage");
    let received = tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(received, after.id);

    cancel.cancel();
    consumer.cancel.cancel();
    delete_topology(&consumer.bus).await;
}

#[tokio::test]
async fn every_replica_gets_every_event_on_its_own_private_queue() {
    let names = TestNames::new();
    let publisher = connected_bus(&names, "order-service").await;
    let mut receivers = Vec::new();
    let mut replicas = Vec::new();
    for replica in ["replica-a", "replica-b"] {
        let t = connected_bus(&names, replica).await;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let consuming = t.bus.consume(
            ConsumerSpec::per_replica("order.live", &["order.status_changed"]),
            move |event| {
                let _ = tx.send(event.id);
                std::future::ready(Ok(()))
            },
        );
        assert!(consuming.wait_subscribed(WAIT).await);
        receivers.push(rx);
        replicas.push((t, consuming));
    }
    let sent = event("order.status_changed");

    publisher.bus.publish(&sent).await.expect("published");

    for rx in &mut receivers {
        assert_eq!(
            tokio::time::timeout(WAIT, rx.recv()).await.unwrap(),
            Some(sent.id)
        );
    }
    for (t, _) in &replicas {
        t.cancel.cancel();
    }
    publisher.cancel.cancel();
    delete_topology(&publisher.bus).await;
}

#[tokio::test]
async fn an_event_larger_than_a_frame_arrives_whole() {
    let names = TestNames::new();
    let t = connected_bus(&names, "test-consumer").await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _consuming = subscribed(t.bus.consume(
        ConsumerSpec::new("large", &["thing.large"]),
        move |event: Envelope| {
            let _ = tx.send(event);
            std::future::ready(Ok(()))
        },
    ))
    .await;
    // Ten times the frame size the bus asks the broker for (16 KiB).
    let text: String = (0..160_000)
        .map(|i| char::from(b'a' + u8::try_from(i % 26).unwrap()))
        .collect();
    let sent = Envelope::new(
        "thing.large",
        "test-publisher",
        "corr-1",
        json!({ "text": text }),
    );

    t.bus.publish(&sent).await.expect("published");

    let received = tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("the event in time")
        .expect("an event");
    assert_eq!(received, sent);
    t.cancel.cancel();
    delete_topology(&t.bus).await;
}
