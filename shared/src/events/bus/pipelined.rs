//! Publishing a batch of events with their confirms in flight together: every message is
//! written to the channel first, then the confirms are awaited, so a batch costs about one
//! round trip to the broker instead of one per event (issue 22: the relay's ceiling was a
//! confirm's round trip per event).
//!
//! The messages of one batch may reach their queues in any order relative to each other when
//! some are refused, so a caller that needs order (the outbox, per document) puts at most one
//! message of each ordered stream into a batch.

use futures::{StreamExt, stream::FuturesUnordered};
use lapin::{
    BasicProperties, Channel, Confirmation, options::BasicPublishOptions, types::ShortString,
};
use tokio::time::Instant;

use super::{BROKER_CALL_DEADLINE, Bus, BusError, name};
use crate::events::Envelope;

impl Bus {
    /// Publishes `events` to the exchange under their types, with `mandatory`, all confirms in
    /// flight together; the answer for each event, in the order given. `Ok` means the broker
    /// took that event. The whole batch gets [`BROKER_CALL_DEADLINE`]; an event without an
    /// answer by then is [`BusError::Timeout`].
    pub async fn publish_all<T: serde::Serialize>(
        &self,
        events: &[&Envelope<T>],
    ) -> Vec<Result<(), BusError>> {
        let mut results: Vec<Option<Result<(), BusError>>> =
            std::iter::repeat_with(|| None).take(events.len()).collect();
        if events.is_empty() {
            return Vec::new();
        }
        let deadline = Instant::now() + BROKER_CALL_DEADLINE;
        let exchange = name("exchange", &self.inner.config.exchange);
        let channel = self.publish_channel_by(deadline).await;
        let mut broken = channel.is_none();
        let mut confirms = FuturesUnordered::new();
        let mut spans = Vec::with_capacity(events.len());
        for (n, event) in events.iter().enumerate() {
            let (exchange, routing, payload, properties) = match self.prepare(&exchange, event) {
                Ok((exchange, routing, payload, properties, span)) => {
                    // Each event's publish span lasts until the batch is confirmed.
                    spans.push(span);
                    (exchange, routing, payload, properties)
                }
                Err(e) => {
                    results[n] = Some(Err(e));
                    continue;
                }
            };
            let Some(channel) = channel.as_ref().filter(|_| !broken) else {
                results[n] = Some(Err(BusError::Unavailable));
                continue;
            };
            let options = BasicPublishOptions {
                mandatory: true,
                ..Default::default()
            };
            let sent = tokio::time::timeout_at(
                deadline,
                channel.basic_publish(exchange, routing, options, &payload, properties),
            )
            .await;
            match sent {
                Ok(Ok(confirm)) => confirms.push(async move { (n, confirm.await) }),
                Ok(Err(e)) => {
                    broken = true;
                    results[n] = Some(Err(e.into()));
                }
                Err(_) => {
                    broken = true;
                    results[n] = Some(Err(BusError::Timeout));
                }
            }
        }
        loop {
            match tokio::time::timeout_at(deadline, confirms.next()).await {
                Ok(Some((n, answer))) => {
                    let (result, lost) = confirmed(answer, &events[n].kind);
                    broken |= lost;
                    results[n] = Some(result);
                }
                Ok(None) => break,
                Err(_) => {
                    broken = true;
                    break;
                }
            }
        }
        if broken {
            self.drop_publish_channel().await;
        }
        events
            .iter()
            .zip(results)
            .map(|(event, result)| counted(&event.kind, result.unwrap_or(Err(BusError::Timeout))))
            .collect()
    }

    /// The publish channel, if it can be had by `deadline` (one that takes longer is dropped).
    async fn publish_channel_by(&self, deadline: Instant) -> Option<Channel> {
        match tokio::time::timeout_at(deadline, self.publish_channel()).await {
            Ok(Ok(channel)) => Some(channel),
            Ok(Err(_)) => None,
            Err(_) => {
                self.drop_publish_channel().await;
                None
            }
        }
    }

    /// What publishing `event` takes: the exchange's and routing key's names, the payload,
    /// its properties and its publish span.
    fn prepare<T: serde::Serialize>(
        &self,
        exchange: &Result<ShortString, BusError>,
        event: &Envelope<T>,
    ) -> Result<
        (
            ShortString,
            ShortString,
            Vec<u8>,
            BasicProperties,
            tracing::Span,
        ),
        BusError,
    > {
        let exchange = match exchange {
            Ok(exchange) => exchange.clone(),
            Err(e) => return Err(BusError::Invalid(e.to_string())),
        };
        let routing = name("routing key", &event.kind)?;
        let (payload, properties, span) = self.message(event)?;
        Ok((exchange, routing, payload, properties, span))
    }
}

/// The result of one event's confirm, and whether the channel is lost with it.
fn confirmed(
    answer: Result<Confirmation, lapin::Error>,
    kind: &str,
) -> (Result<(), BusError>, bool) {
    match answer {
        Ok(Confirmation::Ack(None)) => (Ok(()), false),
        Ok(Confirmation::Ack(Some(_))) => (Err(BusError::Unroutable(kind.to_owned())), false),
        Ok(Confirmation::Nack(_) | Confirmation::NotRequested) => (Err(BusError::Nacked), false),
        Err(e) => (Err(e.into()), true),
    }
}

/// `result`, counted in `events_published_total` under `kind`.
fn counted(kind: &str, result: Result<(), BusError>) -> Result<(), BusError> {
    let outcome = if result.is_ok() { "ok" } else { "failed" };
    metrics::counter!("events_published_total", "type" => kind.to_owned(), "outcome" => outcome)
        .increment(1);
    result
}
