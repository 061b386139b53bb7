//! Consuming: manual acks after the handler succeeds, bounded prefetch, retries with growing
//! delay through retry queues (see `retry`), dead-lettering after the last attempt, and
//! resubscription after every reconnect.

use std::{future::Future, panic::AssertUnwindSafe, sync::Arc, time::Duration};

use futures::{FutureExt, StreamExt};
use lapin::{
    Channel,
    message::Delivery,
    options::{BasicConsumeOptions, BasicQosOptions, QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable, ShortString},
};
use tokio::{sync::watch, task::JoinHandle};

mod spec;

pub use spec::{ConsumerSpec, HandlerError};

use super::{
    Bus, Envelope,
    bus::{BusError, ConnectionState},
    retry::{Counts, Outcome},
};

/// A running consumer.
pub struct Consuming {
    /// The consumer's task; it ends when the bus is cancelled.
    pub task: JoinHandle<()>,
    subscribed: watch::Receiver<bool>,
}

impl Consuming {
    /// Whether the consumer is subscribed to its queue right now.
    pub fn is_subscribed(&self) -> bool {
        *self.subscribed.borrow()
    }

    /// Waits until the queue is declared, bound and consumed from, or `timeout` passes.
    pub async fn wait_subscribed(&self, timeout: Duration) -> bool {
        let mut rx = self.subscribed.clone();
        tokio::time::timeout(timeout, rx.wait_for(|s| *s))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

impl Bus {
    /// Consumes `spec` with `handler` until the bus is cancelled, surviving reconnects.
    ///
    /// A delivery is acked only after `handler` returns `Ok`. On `Retry` (or a panic) the
    /// message is republished to the retry queue with a growing delay and the original acked
    /// only once the broker confirmed the copy; after `max_deliveries` attempts, or on `Reject`,
    /// it is nacked without requeue and the broker moves it to the dead-letter exchange.
    /// `Unavailable` is retried the same way, but its attempts are not counted. A delivery the
    /// broker repeats unanswered (the consumer died holding it) is counted too, and
    /// dead-lettered after a few, so a message that crashes its consumer cannot loop forever.
    pub fn consume<F, Fut>(&self, spec: ConsumerSpec, handler: F) -> Consuming
    where
        F: Fn(Envelope) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        let bus = self.clone();
        let handler = Arc::new(handler);
        let queue = if spec.per_replica {
            let unique = uuid::Uuid::new_v4().simple().to_string();
            self.queue_name(&format!("{}.{}", spec.queue, &unique[..12]))
        } else {
            self.queue_name(&spec.queue)
        };
        // Registered at zero, so dashboards see the series before the first failure.
        for name in [
            "events_consumed_total",
            "events_consumer_retries_total",
            "events_dead_lettered_total",
        ] {
            metrics::counter!(name, "queue" => queue.clone()).increment(0);
        }
        let (subscribed_tx, subscribed) = watch::channel(false);
        let subscribed_tx = Arc::new(subscribed_tx);
        let spec = Arc::new(spec);
        let queue: Arc<str> = Arc::from(queue);
        // Under a supervisor: a consumer loop that died would leave its queue unread while the
        // service looked healthy.
        let cancel = self.inner.cancel.clone();
        let task = crate::supervise::spawn("consumer", cancel, move || {
            let (bus, handler, spec) = (bus.clone(), handler.clone(), spec.clone());
            let (queue, subscribed_tx) = (queue.clone(), subscribed_tx.clone());
            async move {
                bus.consume_until_cancelled(&queue, &spec, handler.as_ref(), &subscribed_tx)
                    .await;
            }
        });
        Consuming { task, subscribed }
    }

    /// The consumer's loop: subscribes whenever connected, consumes until the channel or the
    /// connection fails, and again, until the bus is cancelled.
    async fn consume_until_cancelled<F, Fut>(
        &self,
        queue: &str,
        spec: &ConsumerSpec,
        handler: &F,
        subscribed_tx: &watch::Sender<bool>,
    ) where
        F: Fn(Envelope) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        let mut state = self.inner.state.subscribe();
        let cancel = self.inner.cancel.clone();
        // Woken at once by a (re)connection; otherwise tries again after a backoff that
        // grows while subscribing fails on a connection that looks up.
        let mut backoff = crate::retry::RECONNECT.backoff();
        loop {
            let connection = match &*state.borrow_and_update() {
                ConnectionState::Connected { connection, .. } => Some(connection.clone()),
                ConnectionState::Disconnected => None,
            };
            if let Some(connection) = connection {
                match self.subscribe(&connection, queue, spec).await {
                    Ok((channel, consumer)) => {
                        backoff.reset();
                        tracing::info!(%queue, "consuming");
                        subscribed_tx.send_replace(true);
                        self.run_consumer(queue, consumer, handler, !spec.per_replica)
                            .await;
                        subscribed_tx.send_replace(false);
                        let _ = channel.close(200, "consumer stopped".into()).await;
                    }
                    Err(e) => tracing::warn!(%queue, error = %e, "cannot subscribe"),
                }
            }
            if cancel.is_cancelled() {
                return;
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                changed = state.changed() => if changed.is_err() { return },
                () = tokio::time::sleep(backoff.next_delay()) => {}
            }
        }
    }

    async fn subscribe(
        &self,
        connection: &lapin::Connection,
        queue: &str,
        spec: &ConsumerSpec,
    ) -> Result<(Channel, lapin::Consumer), BusError> {
        let channel = connection.create_channel().await?;
        channel
            .basic_qos(self.inner.config.prefetch, BasicQosOptions::default())
            .await?;
        let bindings: Vec<&str> = spec.bindings.iter().map(String::as_str).collect();
        if spec.per_replica {
            self.declare_private_queue(&channel, queue, &bindings)
                .await?;
        } else {
            self.declare_queue(&channel, queue, &bindings).await?;
        }
        let consumer = channel
            .basic_consume(
                queue.into(),
                ShortString::from(format!("{}-{}", self.inner.source, uuid::Uuid::now_v7())),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        Ok((channel, consumer))
    }

    async fn run_consumer<F, Fut>(
        &self,
        queue: &str,
        mut consumer: lapin::Consumer,
        handler: &F,
        retries: bool,
    ) where
        F: Fn(Envelope) -> Fut,
        Fut: Future<Output = Result<(), HandlerError>>,
    {
        let cancel = self.inner.cancel.clone();
        loop {
            let delivery = tokio::select! {
                () = cancel.cancelled() => return,
                next = consumer.next() => match next {
                    Some(Ok(delivery)) => delivery,
                    Some(Err(e)) => {
                        tracing::warn!(%queue, error = %e, "consumer stream failed");
                        return;
                    }
                    None => return,
                },
            };
            let outcome = if retries && delivery.redelivered {
                // Handed out before and never answered: counted before the handler runs
                // again, so a message that kills its consumer cannot loop forever.
                Outcome::redelivered(Counts::of(&delivery))
            } else {
                self.process(&delivery, handler).await
            };
            let outcome = match outcome {
                // A private fan-out queue has no retries: what fails there is dropped.
                Outcome::Retry { reason, .. } if !retries => Outcome::DeadLetter(reason),
                outcome => outcome,
            };
            if let Err(e) = self.settle(queue, &delivery, outcome).await {
                tracing::warn!(%queue, error = %e, "cannot settle a delivery; it will be redelivered");
                return;
            }
        }
    }

    async fn process<F, Fut>(&self, delivery: &Delivery, handler: &F) -> Outcome
    where
        F: Fn(Envelope) -> Fut,
        Fut: Future<Output = Result<(), HandlerError>>,
    {
        let counts = Counts::of(delivery);
        let attempt = counts.attempt;
        let max = self.inner.config.max_deliveries;
        let event: Envelope = match serde_json::from_slice(&delivery.data) {
            Ok(event) => event,
            Err(e) => return Outcome::DeadLetter(format!("not an event envelope: {e}")),
        };
        let span = self.consume_span(delivery, &event, attempt);
        let result =
            tracing::Instrument::instrument(AssertUnwindSafe(handler(event)).catch_unwind(), span)
                .await;
        match result {
            Ok(Ok(())) => Outcome::Done,
            Ok(Err(HandlerError::Reject(reason))) => Outcome::DeadLetter(reason),
            Ok(Err(HandlerError::Retry(reason))) => Outcome::failed(counts, max, reason),
            Ok(Err(HandlerError::Unavailable(reason))) => Outcome::unavailable(counts, reason),
            Err(_) => Outcome::failed(counts, max, "handler panicked".to_owned()),
        }
    }

    /// The span a delivery is handled in: a child of the span that published it (the
    /// `traceparent` header; the envelope's own context for a message published without one).
    fn consume_span(&self, delivery: &Delivery, event: &Envelope, attempt: u32) -> tracing::Span {
        let span = tracing::info_span!(
            "consume",
            service = %self.inner.source,
            event.id = %event.id,
            event.type = %event.kind,
            correlation_id = %event.correlation_id,
            attempt,
            otel.name = tracing::field::Empty,
            otel.kind = "consumer",
        );
        if !crate::telemetry::trace::is_on() {
            return span;
        }
        span.record("otel.name", format!("consume {}", event.kind));
        let text = |name: &str| {
            let headers = delivery.properties.headers().as_ref()?;
            match headers.inner().get(name)? {
                AMQPValue::LongString(text) => std::str::from_utf8(text.as_bytes()).ok(),
                _ => None,
            }
        };
        let traceparent = text("traceparent").or(event.traceparent.as_deref());
        if let Some(traceparent) = traceparent {
            let tracestate = text("tracestate").or(event.tracestate.as_deref());
            crate::telemetry::trace::continue_from_parts(&span, traceparent, tracestate);
        }
        span
    }

    /// Declares an exclusive, auto-deleted queue and its bindings.
    async fn declare_private_queue(
        &self,
        channel: &Channel,
        queue: &str,
        bindings: &[&str],
    ) -> Result<(), BusError> {
        let options = QueueDeclareOptions {
            exclusive: true,
            auto_delete: true,
            ..Default::default()
        };
        channel
            .queue_declare(queue.into(), options, FieldTable::default())
            .await?;
        self.bind(channel, queue, bindings).await
    }

    async fn bind(
        &self,
        channel: &Channel,
        queue: &str,
        bindings: &[&str],
    ) -> Result<(), BusError> {
        for key in bindings {
            channel
                .queue_bind(
                    queue.into(),
                    self.inner.config.exchange.as_str().into(),
                    (*key).into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        Ok(())
    }

    pub(super) async fn declare_queue(
        &self,
        channel: &Channel,
        queue: &str,
        bindings: &[&str],
    ) -> Result<(), BusError> {
        if let Ok(mut queues) = self.inner.queues.lock()
            && !queues.iter().any(|q| q == queue)
        {
            queues.push(queue.to_owned());
        }
        let durable = QueueDeclareOptions {
            durable: true,
            ..Default::default()
        };
        let dlx = self.dead_letter_exchange();
        channel
            .queue_declare(
                queue.into(),
                durable,
                self.queue_args(&[("x-dead-letter-exchange", &dlx)]),
            )
            .await?;
        self.bind(channel, queue, bindings).await
    }
}
