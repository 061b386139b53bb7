//! The dead-letter queue, for operators: what is in it and why, and a replay that sends chosen
//! messages back to the queue they died in once the cause is fixed.
//!
//! A replayed message starts afresh (its retry, outage and redelivery counts and its `x-death`
//! history removed) and goes through the consumer's normal path, which records applied event
//! ids: replaying a message twice, or one that had in fact been applied, changes nothing.

use lapin::{
    BasicProperties,
    options::{BasicAckOptions, BasicGetOptions},
    types::{AMQPValue, FieldTable},
};
use serde::Serialize;
use uuid::Uuid;

use super::{
    Bus,
    bus::{BROKER_CALL_DEADLINE, BusError, ConnectionState},
};

/// One dead-lettered message, as `GET /analytics/dead-letters` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeadLetter {
    /// The event id, when the body is an event envelope.
    #[schema(value_type = Option<String>, format = "uuid")]
    pub id: Option<Uuid>,
    /// The event type (its routing key).
    #[serde(rename = "type")]
    pub kind: String,
    /// The consumer queue it was given up in.
    pub queue: Option<String>,
    /// Why, as the broker recorded it (`rejected`, `expired`, …).
    pub reason: Option<String>,
    /// The body as it was published.
    #[schema(value_type = Value)]
    pub body: serde_json::Value,
}

/// Which messages a replay sends back.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only messages that died in this queue.
    pub queue: Option<String>,
    /// Only these event ids (every one when empty).
    pub ids: Vec<Uuid>,
}

impl Selection {
    fn takes(&self, letter: &DeadLetter) -> bool {
        self.queue
            .as_ref()
            .is_none_or(|q| letter.queue.as_ref() == Some(q))
            && (self.ids.is_empty() || letter.id.is_some_and(|id| self.ids.contains(&id)))
    }
}

/// Headers a replayed message must not keep: it starts afresh.
const RESET: [&str; 7] = [
    "x-death",
    "x-first-death-queue",
    "x-first-death-reason",
    "x-first-death-exchange",
    "x-retry-count",
    "x-outage-retries",
    "x-redeliveries",
];

fn text(value: &AMQPValue) -> Option<String> {
    match value {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

/// The queue and reason of the death that sent a message here: the latest `rejected` entry of
/// `x-death` (retries expire through their own queues and leave `expired` entries too).
fn death(properties: &BasicProperties) -> (Option<String>, Option<String>) {
    let Some(AMQPValue::FieldArray(deaths)) = properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get("x-death"))
        .cloned()
    else {
        return (None, None);
    };
    let entries: Vec<FieldTable> = deaths
        .as_slice()
        .iter()
        .filter_map(|d| match d {
            AMQPValue::FieldTable(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    let pick = entries
        .iter()
        .find(|t| t.inner().get("reason").and_then(text).as_deref() == Some("rejected"))
        .or(entries.first());
    match pick {
        Some(t) => (
            t.inner().get("queue").and_then(text),
            t.inner().get("reason").and_then(text),
        ),
        None => (None, None),
    }
}

fn letter(data: &[u8], properties: &BasicProperties) -> DeadLetter {
    let body: serde_json::Value =
        serde_json::from_slice(data).unwrap_or_else(|_| String::from_utf8_lossy(data).into());
    let (queue, reason) = death(properties);
    DeadLetter {
        id: body
            .get("id")
            .and_then(|v| v.as_str())
            .and_then(|v| Uuid::parse_str(v).ok()),
        kind: body
            .get("type")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned(),
        queue,
        reason,
        body,
    }
}

impl Bus {
    /// Up to `limit` dead-lettered messages, oldest first, left where they are; also sets
    /// `dead_letter_queue_depth`.
    pub async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, BusError> {
        let channel = self.inspection_channel().await?;
        let listed = self.list_on(&channel, limit).await;
        // Closing the channel gives back every message taken, unacknowledged, in order.
        let _ = channel.close(200, "listed".into()).await;
        listed
    }

    async fn list_on(
        &self,
        channel: &lapin::Channel,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, BusError> {
        let mut letters = Vec::new();
        let mut depth = 0;
        while letters.len() < limit {
            let Some(message) = self.take_dead_letter(channel).await? else {
                break;
            };
            depth = depth.max(message.message_count + 1);
            let delivery = &message.delivery;
            letters.push(letter(&delivery.data, &delivery.properties));
        }
        metrics::gauge!("dead_letter_queue_depth").set(f64::from(depth));
        Ok(letters)
    }

    /// The next dead letter on `channel`, unacknowledged (given back when the channel closes).
    async fn take_dead_letter(
        &self,
        channel: &lapin::Channel,
    ) -> Result<Option<lapin::message::BasicGetMessage>, BusError> {
        let queue = self.dead_letter_queue();
        let get = channel.basic_get(queue.as_str().into(), BasicGetOptions { no_ack: false });
        Ok(tokio::time::timeout(BROKER_CALL_DEADLINE, get)
            .await
            .map_err(|_| BusError::Timeout)??)
    }

    /// Sends every dead-lettered message `selection` takes back to the queue it died in;
    /// returns how many. Each is removed from the dead-letter queue only after the broker
    /// confirmed its copy; the others stay.
    pub async fn replay_dead_letters(&self, selection: &Selection) -> Result<usize, BusError> {
        let channel = self.inspection_channel().await?;
        let result = self.replay_on(&channel, selection).await;
        // Closing the channel gives back every message taken and not replayed.
        let _ = channel.close(200, "replayed".into()).await;
        result
    }

    async fn replay_on(
        &self,
        channel: &lapin::Channel,
        selection: &Selection,
    ) -> Result<usize, BusError> {
        let mut replayed = 0;
        // Only what is there now: a replayed message that fails again comes back behind them,
        // and must wait for the next replay rather than loop in this one.
        let mut left: Option<u32> = None;
        while left != Some(0) {
            let Some(message) = self.take_dead_letter(channel).await? else {
                break;
            };
            left = Some(match left {
                None => message.message_count,
                Some(n) => n - 1,
            });
            let delivery = message.delivery;
            let letter = letter(&delivery.data, &delivery.properties);
            let Some(target) = letter.queue.clone().filter(|_| selection.takes(&letter)) else {
                continue;
            };
            let mut headers = delivery.properties.headers().clone().unwrap_or_default();
            let mut kept = FieldTable::default();
            for (key, value) in headers.inner() {
                if !RESET.contains(&key.as_str()) {
                    kept.insert(key.clone(), value.clone());
                }
            }
            headers = kept;
            let properties = delivery.properties.clone().with_headers(headers);
            self.publish_raw("", &target, &delivery.data, properties)
                .await?;
            delivery.acker.ack(BasicAckOptions::default()).await?;
            tracing::info!(queue = %target, event.id = ?letter.id, "dead letter replayed");
            metrics::counter!("dead_letters_replayed_total", "queue" => target).increment(1);
            replayed += 1;
        }
        Ok(replayed)
    }

    async fn inspection_channel(&self) -> Result<lapin::Channel, BusError> {
        let connection = match &*self.inner.state.borrow() {
            ConnectionState::Connected { connection, .. } => connection.clone(),
            ConnectionState::Disconnected => return Err(BusError::Unavailable),
        };
        tokio::time::timeout(BROKER_CALL_DEADLINE, connection.create_channel())
            .await
            .map_err(|_| BusError::Timeout)?
            .map_err(BusError::from)
    }
}
