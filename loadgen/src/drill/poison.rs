//! The `poison` drill's fault: two poison messages published straight into every consumer
//! queue while the order load runs — a body that is not JSON, and a well-formed envelope of a
//! type the queue is bound to whose data no handler can apply — then the dead-letter queue
//! read and replayed through the admin API (`GET /analytics/dead-letters`,
//! `POST /analytics/dead-letters/replay`, the way operators reach
//! `shared::events`' `replay_dead_letters`).
//!
//! What must hold: each poison ends in the dead-letter queue exactly once, listed with the
//! queue it died in, within the bounded retries (a payload that can never be read is
//! dead-lettered at once); the consumers keep processing the load's orders around it (the
//! drill's usual invariants); and a replay sends each chosen letter through its consumer once
//! more — still unappliable, it is dead-lettered again, once, and nothing else changes.
//! The one queue whose consumer reads no data (`order.catalog`, acknowledged only) takes the
//! well-formed poison as a no-op, and it must not reach the dead-letter queue.

use std::{
    collections::BTreeMap,
    hash::{BuildHasher as _, RandomState},
    time::Duration,
};

use anyhow::{Context as _, Result, bail};
use lapin::{
    BasicProperties, Connection, options::BasicPublishOptions, options::ConfirmSelectOptions,
};
use reqwest::Method;
use serde_json::{Value, json};
use shared::events::{
    keys,
    topology::{self, QueueDef},
};
use tokio::time::Instant;

use super::{
    api::{Account, Api},
    check::{Finding, Kind},
};

/// Queues whose consumer reads no data: a well-formed envelope is acknowledged there.
const READS_NOTHING: [&str; 1] = [topology::ORDER_CATALOG.suffix];

/// One poison message.
#[derive(Debug, Clone)]
pub struct Poison {
    /// `<exchange>.<suffix>`.
    pub queue: String,
    /// The envelope's id; `None` for the body that is not JSON.
    pub id: Option<String>,
    /// Whether its consumer applies nothing (then it must not be dead-lettered).
    pub ignored: bool,
}

/// A random version-4 UUID, from std's randomly keyed hasher (no dependency for one id).
fn uuid() -> String {
    let state = RandomState::new();
    let a = state.hash_one(1_u8);
    let b = state.hash_one(2_u8);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

/// The envelope no handler can apply: the right type, every field it might read of the wrong
/// kind.
fn unappliable(id: &str, key: &str, marker: &str) -> Value {
    let wrong = json!(42);
    // Made by staff, so that the audit log's consumer reads it too.
    json!({ "id": id, "type": key, "occurredAt": "2026-01-01T00:00:00Z", "source": "drill",
            "correlationId": marker, "version": 1,
            "actor": { "id": "drill", "role": "admin" },
            "data": { "orderId": wrong, "productId": wrong, "customerId": wrong, "items": wrong,
                      "newStatus": wrong, "oldStatus": wrong, "order": wrong, "total": wrong,
                      "amount": wrong, "reason": wrong, "name": wrong, "price": wrong } })
}

/// The queues of `defs` under `exchange`, and a routing key each is bound to and its consumer
/// reads: `order.created` where the queue takes it (analytics' `#` too; the assistant's queue
/// takes product events first, which it only acknowledges, so an unappliable envelope of that
/// type would never be dead-lettered), else its first key.
pub fn queues(exchange: &str, defs: &[QueueDef]) -> Vec<(String, &'static str)> {
    defs.iter()
        .map(|d| {
            let key = if d.keys.contains(&keys::ORDER_CREATED) {
                Some(keys::ORDER_CREATED)
            } else {
                d.keys.iter().find(|k| **k != "#").copied()
            };
            (
                format!("{exchange}.{}", d.suffix),
                key.unwrap_or("order.created"),
            )
        })
        .collect()
}

/// Publishes the two poison messages into each queue (default exchange, persistent, with
/// publisher confirms); what was published.
pub async fn publish(amqp: &str, queues: &[(String, &str)], marker: &str) -> Result<Vec<Poison>> {
    let connection = Connection::connect(amqp, Default::default())
        .await
        .context("cannot reach the broker")?;
    let channel = connection.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    let mut published = Vec::new();
    for (queue, key) in queues {
        let id = uuid();
        let ignored = READS_NOTHING
            .iter()
            .any(|s| queue.ends_with(&format!(".{s}")));
        let bodies = [
            (None, format!("{{not json: poison {marker}").into_bytes()),
            (
                Some(id.clone()),
                unappliable(&id, key, marker).to_string().into_bytes(),
            ),
        ];
        for (id, body) in bodies {
            let properties = BasicProperties::default()
                .with_delivery_mode(2)
                .with_content_type("application/json".into());
            let confirm = channel
                .basic_publish(
                    "".into(),
                    queue.as_str().into(),
                    BasicPublishOptions::default(),
                    &body,
                    properties,
                )
                .await?
                .await?;
            if !confirm.is_ack() {
                bail!("the broker refused a poison message for {queue}");
            }
            published.push(Poison {
                queue: queue.clone(),
                ignored: ignored && id.is_some(),
                id,
            });
        }
    }
    let _ = connection.close(200, "poison published".into()).await;
    Ok(published)
}

/// Whether a dead letter is one of this drill's (by `marker`), and which.
fn matches(letter: &Value, poison: &Poison, marker: &str) -> bool {
    if letter["queue"].as_str() != Some(poison.queue.as_str()) {
        return false;
    }
    match &poison.id {
        Some(id) => letter["id"].as_str() == Some(id.as_str()),
        None => letter["body"].as_str().is_some_and(|b| b.contains(marker)),
    }
}

/// How many times each poison is in the dead-letter queue now.
async fn census(
    api: &Api,
    admin: &Account,
    poisons: &[Poison],
    marker: &str,
) -> Result<Vec<usize>> {
    let letters = api
        .data(
            Method::GET,
            "/analytics/dead-letters?limit=1000",
            Some(admin),
            None,
        )
        .await?;
    let letters = letters.as_array().cloned().unwrap_or_default();
    Ok(poisons
        .iter()
        .map(|p| letters.iter().filter(|l| matches(l, p, marker)).count())
        .collect())
}

/// What the census must show: once for each dead-lettered poison, never for an ignored one.
fn findings_of(poisons: &[Poison], counts: &[usize], when: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (poison, n) in poisons.iter().zip(counts) {
        let what = if poison.id.is_some() {
            "unappliable envelope"
        } else {
            "unparseable body"
        };
        let expected = usize::from(!poison.ignored);
        if *n != expected {
            findings.push(Finding {
                kind: if *n > expected { Kind::Duplicated } else { Kind::Lost },
                what: format!("{when}: the {what} in {} is {n}× in the dead-letter queue, expected {expected}×", poison.queue),
            });
        }
    }
    findings
}

/// Polls the dead-letter queue until every poison is there once (or `deadline`); the findings
/// left and how long it took.
pub async fn dead_lettered(
    api: &Api,
    admin: &Account,
    poisons: &[Poison],
    marker: &str,
    when: &str,
    deadline: Instant,
) -> Result<(Vec<Finding>, Duration)> {
    let started = Instant::now();
    loop {
        let counts = census(api, admin, poisons, marker).await?;
        let findings = findings_of(poisons, &counts, when);
        if findings.is_empty() || Instant::now() >= deadline {
            return Ok((findings, started.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Replays the well-formed poison letters by id; how many the API says it sent back.
pub async fn replay(api: &Api, admin: &Account, poisons: &[Poison]) -> Result<u64> {
    let ids: Vec<&str> = poisons
        .iter()
        .filter(|p| !p.ignored)
        .filter_map(|p| p.id.as_deref())
        .collect();
    let body = json!({ "ids": ids });
    let data = api
        .data(
            Method::POST,
            "/analytics/dead-letters/replay",
            Some(admin),
            Some(&body),
        )
        .await?;
    Ok(data["replayed"].as_u64().unwrap_or(0))
}

/// Poison messages by queue, for the fault's sentence.
pub fn by_queue(poisons: &[Poison]) -> BTreeMap<&str, usize> {
    let mut counts = BTreeMap::new();
    for p in poisons {
        *counts.entry(p.queue.as_str()).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_queue_gets_a_key_it_is_bound_to() {
        let queues = queues("shop", &topology::QUEUES);
        assert_eq!(queues.len(), topology::QUEUES.len());
        assert!(queues.contains(&("shop.analytics.events".to_owned(), "order.created")));
        assert!(queues.contains(&("shop.order.stock".to_owned(), "stock.reserved")));
        assert!(queues.contains(&("shop.assistant.events".to_owned(), "order.created")));
    }

    #[test]
    fn a_poison_missing_twice_or_an_ignored_one_dead_lettered_are_findings() {
        let poison = |id: Option<&str>, ignored| Poison {
            queue: "x.q".to_owned(),
            id: id.map(str::to_owned),
            ignored,
        };
        let poisons = [
            poison(None, false),
            poison(Some("a"), false),
            poison(Some("b"), true),
        ];
        assert!(findings_of(&poisons, &[1, 1, 0], "now").is_empty());
        let found = findings_of(&poisons, &[0, 2, 1], "now");
        let kinds: Vec<Kind> = found.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, [Kind::Lost, Kind::Duplicated, Kind::Duplicated]);
        let letter = json!({ "queue": "x.q", "id": null, "body": "{not json: poison m1" });
        assert!(matches(&letter, &poisons[0], "m1"));
        assert!(!matches(&letter, &poisons[1], "m1"));
        assert_ne!(uuid(), uuid());
    }
}
