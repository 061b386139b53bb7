//! `loadgen relay`: the outbox relay's events/s against the broker's ceiling, both measured
//! here, one after the other, on the same broker, exchange, routing and message size.
//!
//! 1. The ceiling: a plain lapin publisher with confirms sends `events` messages with every
//!    confirm in flight together (the most one channel gets out of this broker), before and
//!    after the relay; the higher of the two counts.
//! 2. The relay: `documents` documents holding `events` pending events between them (written
//!    as the services write them, [`shared::outbox::initial`]) in a database of this run's;
//!    a [`Relay`] started over them and timed until no document has an event pending.
//!
//! Both publish to the same test exchange with the suite's queues declared on it (as a
//! service's bus declares them), so every message is routed to the same queues.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use bson::{Document, doc};
use futures::{StreamExt, stream::FuturesUnordered};
use lapin::{
    BasicProperties, Confirmation, Connection,
    options::{BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions, QueuePurgeOptions},
    types::FieldTable,
};
use serde_json::{Value, json};
use shared::{
    events::{Bus, BusConfig, Envelope, topology},
    outbox::{self, Relay},
};
use tokio_util::sync::CancellationToken;

/// What `loadgen relay` is told.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// `MONGODB_URI`.
    pub mongodb: String,
    /// `AMQP_URL`.
    pub amqp: String,
    /// This run's part of the database and exchange names.
    pub run: String,
    /// Pending events in all.
    pub events: u32,
    /// Documents holding them.
    pub documents: u32,
}

/// The routing key of every message: one the suite's analytics queue (bound to `#`) takes.
const KIND: &str = "product.updated";
/// The longest a drain may take before the run counts as failed.
const DRAIN_DEADLINE: Duration = Duration::from_secs(600);

/// Measures and answers with the figures as JSON.
pub async fn run(params: &Params) -> Result<Value> {
    if params.documents == 0 || params.events < params.documents {
        bail!("`--events` must be at least `--documents`, which must be positive");
    }
    let cancel = CancellationToken::new();
    let exchange = format!("bench.relay.{}", params.run);
    let config = BusConfig {
        url: params.amqp.clone(),
        exchange: exchange.clone(),
        prefetch: 100,
        max_deliveries: 3,
        retry_base: Duration::from_millis(500),
        // Not the tests' expiring queues: nobody consumes them, and a queue unused for a
        // minute would vanish mid-run on a slow machine. Deleted at the end instead.
        ephemeral: false,
        queue_type: shared::events::QueueType::default(),
    };
    let bus = Bus::start(config, "bench-relay", cancel.clone());
    if !bus.wait_connected(Duration::from_secs(30)).await {
        bail!("cannot reach the broker at {}", params.amqp);
    }
    let result = measure(params, &bus, &exchange).await;
    cancel.cancel();
    remove_queues(&params.amqp, &bus).await;
    result
}

async fn measure(params: &Params, bus: &Bus, exchange: &str) -> Result<Value> {
    let sample = event(0);
    let size = serde_json::to_vec(&sample)?.len();
    eprintln!("relay: ceiling, {} messages of {size} bytes", params.events);
    let before = ceiling(&params.amqp, exchange, params.events).await?;
    purge(&params.amqp, bus).await;

    let db = shared::store::mongo(
        &shared::config::MongoConfig {
            uri: params.mongodb.clone(),
            database: format!("bench_relay_{}", params.run),
        },
        "bench-relay",
    )
    .await
    .context("cannot reach MongoDB")?;
    let result = drain(params, bus, &db).await;
    let _ = db.drop().await;
    let relay = result?;
    purge(&params.amqp, bus).await;

    eprintln!("relay: ceiling again");
    let after = ceiling(&params.amqp, exchange, params.events).await?;
    let ceiling = before.max(after);
    let relay_per_sec = f64::from(params.events) / relay;
    Ok(json!({
        "events": params.events,
        "documents": params.documents,
        "messageBytes": size,
        "ceilingPerSec": { "before": before, "after": after },
        "relay": { "seconds": relay, "perSec": relay_per_sec },
        "ratio": relay_per_sec / ceiling,
    }))
}

/// One pending event, of the size and shape the services stage.
fn event(n: u32) -> Envelope {
    Envelope::new(
        KIND,
        "product-service",
        "bench-relay",
        json!({ "productId": format!("p-{n:08}"), "name": "Bench product", "priceCents": 1999, "stock": n }),
    )
}

/// Messages/s a plain publisher gets confirmed with all of `n` confirms in flight together.
async fn ceiling(url: &str, exchange: &str, n: u32) -> Result<f64> {
    let connection = Connection::connect(url, Default::default()).await?;
    let channel = connection.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    let payloads: Vec<Vec<u8>> = (0..n)
        .map(|i| serde_json::to_vec(&event(i)))
        .collect::<Result<_, _>>()?;
    let started = Instant::now();
    let mut confirms = FuturesUnordered::new();
    for payload in &payloads {
        let properties = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_delivery_mode(2);
        let confirm = channel
            .basic_publish(
                exchange.into(),
                KIND.into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                payload,
                properties,
            )
            .await?;
        confirms.push(confirm);
    }
    let mut acked = 0u32;
    while let Some(answer) = confirms.next().await {
        if matches!(answer?, Confirmation::Ack(None)) {
            acked += 1;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = connection.close(200, "measured".into()).await;
    if acked != n {
        bail!("the broker confirmed {acked} of {n} messages");
    }
    let per_sec = f64::from(n) / seconds;
    eprintln!("relay: ceiling {per_sec:.0} messages/s ({seconds:.2} s)");
    Ok(per_sec)
}

/// Writes the backlog, runs a relay over it and answers the seconds it took to drain.
async fn drain(params: &Params, bus: &Bus, db: &mongodb::Database) -> Result<f64> {
    let things = db.collection::<Document>("bench");
    let per_document = params.events / params.documents;
    let mut extra = params.events % params.documents;
    let mut documents = Vec::with_capacity(params.documents as usize);
    let mut n = 0;
    for id in 0..params.documents {
        let count = per_document + u32::from(extra > 0);
        extra = extra.saturating_sub(1);
        let events: Vec<Envelope> = (n..n + count).map(event).collect();
        n += count;
        let mut document = doc! { "_id": i64::from(id), "name": "Bench product", "stock": 5 };
        document.extend(outbox::initial(&events)?);
        documents.push(document);
    }
    for chunk in documents.chunks(500) {
        things.insert_many(chunk.to_vec()).await?;
    }
    eprintln!(
        "relay: {} events pending in {} documents; draining",
        params.events, params.documents
    );
    let cancel = CancellationToken::new();
    let started = Instant::now();
    let relay = Relay::new(
        db.clone(),
        &["bench"],
        bus.clone(),
        Duration::from_millis(50),
    );
    relay.spawn(cancel.clone());
    // Watched at the broker until every event arrived (a passive declare costs the database
    // nothing), then at the database until every one is marked sent.
    let queue = bus.queue_name(topology::ANALYTICS.suffix);
    let connection = Connection::connect(&params.amqp, Default::default()).await?;
    let channel = connection.create_channel().await?;
    let passive = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    let pending = doc! { outbox::COUNT: { "$gt": 0 } };
    let mut arrived = false;
    let drained = loop {
        if !arrived {
            let declared = channel
                .queue_declare(queue.as_str().into(), passive, FieldTable::default())
                .await?;
            arrived = declared.message_count() >= params.events;
        }
        if arrived && things.count_documents(pending.clone()).await? == 0 {
            break started.elapsed().as_secs_f64();
        }
        if started.elapsed() > DRAIN_DEADLINE {
            cancel.cancel();
            bail!("the relay did not drain the backlog within {DRAIN_DEADLINE:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    cancel.cancel();
    let _ = connection.close(200, "drained".into()).await;
    eprintln!(
        "relay: drained in {drained:.2} s ({:.0} events/s)",
        f64::from(params.events) / drained
    );
    Ok(drained)
}

/// Empties the suite's queues on the bench exchange between measurements.
async fn purge(url: &str, bus: &Bus) {
    let Ok(connection) = Connection::connect(url, Default::default()).await else {
        return;
    };
    if let Ok(channel) = connection.create_channel().await {
        for def in topology::QUEUES {
            let _ = channel
                .queue_purge(
                    bus.queue_name(def.suffix).into(),
                    QueuePurgeOptions::default(),
                )
                .await;
        }
    }
    let _ = connection.close(200, "purged".into()).await;
}

/// Deletes the suite's queues the bench's bus declared, then the rest of its topology.
async fn remove_queues(url: &str, bus: &Bus) {
    let queues: Vec<String> = topology::QUEUES
        .iter()
        .map(|def| bus.queue_name(def.suffix))
        .collect();
    let _ = shared::testing::delete_named(url, &queues, &[]).await;
    shared::testing::delete_topology(bus).await;
}
