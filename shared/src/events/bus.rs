//! The connection to RabbitMQ: the [`Bus`] handle and publishing with publisher confirms and
//! `mandatory` (one at a time here, pipelined in `pipelined`); the supervisor that
//! (re)connects and re-declares the topology is in `connection`, the settings and errors in
//! `settings`.

use std::{sync::Arc, time::Duration};

use crate::telemetry::trace;
use lapin::{
    BasicProperties, Channel, Confirmation, Connection,
    options::{BasicPublishOptions, ConfirmSelectOptions},
    types::{AMQPValue, FieldTable, ShortString},
};
use tokio::sync::{Mutex, watch};
use tokio_util::sync::CancellationToken;

use super::Envelope;

mod connection;
mod pipelined;
mod settings;

pub use settings::{BusConfig, BusError, QueueType};

/// The longest time any one broker call may take (a channel opened, a publish confirmed).
pub const BROKER_CALL_DEADLINE: Duration = Duration::from_secs(10);

fn cancel_of(bus: &Bus) -> CancellationToken {
    bus.inner.cancel.clone()
}

/// `text` as an AMQP short string, cut to its 255-byte limit on a character boundary: for
/// message properties, which describe a message and must never stop it from being sent.
pub fn short_string(text: &str) -> ShortString {
    let mut end = text.len().min(lapin::types::MAX_SHORT_STRING_LENGTH);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    ShortString::try_new(&text[..end]).unwrap_or_default()
}

/// `name` as an AMQP short string, or [`BusError::Invalid`] when it is too long: for names the
/// broker routes by, which must not be cut.
fn name(kind: &str, name: &str) -> Result<ShortString, BusError> {
    ShortString::try_new(name).map_err(|e| BusError::Invalid(format!("{kind}: {e}")))
}

/// The supervisor's view of the connection.
#[derive(Clone, Default)]
pub enum ConnectionState {
    /// Not connected (yet, or any more); the supervisor keeps trying.
    #[default]
    Disconnected,
    /// Connected; `generation` grows with every new connection.
    Connected {
        /// The live connection.
        connection: Arc<Connection>,
        /// Counts connections made by this bus.
        generation: u64,
    },
}

pub(super) struct Inner {
    pub(super) config: BusConfig,
    pub(super) source: String,
    pub(super) state: watch::Sender<ConnectionState>,
    publish_channel: Mutex<Option<(u64, Channel)>>,
    pub(super) cancel: CancellationToken,
    pub(super) queues: std::sync::Mutex<Vec<String>>,
}

/// A handle on the event bus; cheap to clone. Dropping every handle does not stop the
/// supervisor: cancel the token given to [`Bus::start`].
#[derive(Clone)]
pub struct Bus {
    pub(super) inner: Arc<Inner>,
}

impl Bus {
    /// Starts the connection supervisor and returns at once; nothing here waits for the broker.
    pub fn start(config: BusConfig, source: &str, cancel: CancellationToken) -> Self {
        let (state, _) = watch::channel(ConnectionState::Disconnected);
        let bus = Self {
            inner: Arc::new(Inner {
                config,
                source: source.to_owned(),
                state,
                publish_channel: Mutex::new(None),
                cancel,
                queues: std::sync::Mutex::new(Vec::new()),
            }),
        };
        let supervised = bus.clone();
        crate::supervise::spawn("broker-connection", cancel_of(&bus), move || {
            supervised.clone().supervise()
        });
        bus
    }

    /// The configuration this bus runs with.
    pub fn config(&self) -> &BusConfig {
        &self.inner.config
    }

    /// Whether the broker connection is up now.
    pub fn is_connected(&self) -> bool {
        matches!(&*self.inner.state.borrow(), ConnectionState::Connected { connection, .. } if connection.status().connected())
    }

    /// Waits until connected, or `timeout` passes; tells which.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        let mut rx = self.inner.state.subscribe();
        tokio::time::timeout(timeout, async {
            loop {
                if self.is_connected() {
                    return;
                }
                if rx.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        })
        .await
        .is_ok()
    }

    /// The full name of a queue owned by this bus's exchange: `<exchange>.<suffix>`, so tests
    /// with their own exchange get their own queues.
    pub fn queue_name(&self, suffix: &str) -> String {
        format!("{}.{suffix}", self.inner.config.exchange)
    }

    /// The dead-letter exchange.
    pub fn dead_letter_exchange(&self) -> String {
        format!("{}.dlx", self.inner.config.exchange)
    }

    /// The queue that keeps every dead-lettered message.
    pub fn dead_letter_queue(&self) -> String {
        format!("{}.dead-letter", self.inner.config.exchange)
    }

    /// Publishes an event to the exchange under its type as routing key, and waits for the
    /// broker's confirm. `Ok` means the broker has taken responsibility for the message.
    #[tracing::instrument(skip_all, fields(event.id = %event.id, event.type = %event.kind))]
    pub async fn publish<T: serde::Serialize>(&self, event: &Envelope<T>) -> Result<(), BusError> {
        let (payload, properties, span) = self.message(event)?;
        let result = tracing::Instrument::instrument(
            self.publish_raw(
                &self.inner.config.exchange,
                &event.kind,
                &payload,
                properties,
            ),
            span,
        )
        .await;
        let outcome = if result.is_ok() { "ok" } else { "failed" };
        metrics::counter!("events_published_total", "type" => event.kind.clone(), "outcome" => outcome)
            .increment(1);
        result
    }

    /// The body and properties `event` is published with, and the span of its publishing: a
    /// child of the span that made the event (its stored trace context), whose own context
    /// travels in the `traceparent` and `tracestate` headers to every consumer.
    pub(super) fn message<T: serde::Serialize>(
        &self,
        event: &Envelope<T>,
    ) -> Result<(Vec<u8>, BasicProperties, tracing::Span), BusError> {
        let payload = serde_json::to_vec(event)?;
        // Stored events made before request ids were checked may carry any correlation id:
        // one that is not acceptable is replaced by the event's own id in the property (the
        // body keeps what was stored).
        let correlation =
            if crate::telemetry::is_acceptable_request_id(event.correlation_id.as_bytes()) {
                short_string(&event.correlation_id)
            } else {
                short_string(&event.id.to_string())
            };
        let properties = json_properties()
            .with_message_id(short_string(&event.id.to_string()))
            .with_type(short_string(&event.kind))
            .with_app_id(short_string(&self.inner.source))
            .with_correlation_id(correlation)
            .with_timestamp(event.occurred_at.timestamp().max(0).unsigned_abs());
        let span = self.publish_span(event);
        let properties = match trace::parts_of(&span) {
            Some((traceparent, tracestate)) => {
                let mut headers = FieldTable::default();
                headers.insert(
                    trace::TRACEPARENT.as_str().into(),
                    AMQPValue::LongString(traceparent.into()),
                );
                if let Some(state) = tracestate {
                    headers.insert(
                        trace::TRACESTATE.as_str().into(),
                        AMQPValue::LongString(state.into()),
                    );
                }
                properties.with_headers(headers)
            }
            None => properties,
        };
        Ok((payload, properties, span))
    }

    /// The span of publishing `event`, in the trace the event was made in.
    fn publish_span<T>(&self, event: &Envelope<T>) -> tracing::Span {
        if !trace::is_on() {
            return tracing::Span::none();
        }
        let span = tracing::info_span!(
            parent: None,
            "publish",
            service = %self.inner.source,
            event.id = %event.id,
            event.type = %event.kind,
            otel.name = %format_args!("publish {}", event.kind),
            otel.kind = "producer",
        );
        if let Some(traceparent) = &event.traceparent {
            trace::continue_from_parts(&span, traceparent, event.tracestate.as_deref());
        }
        span
    }

    /// Publishes bytes with `mandatory` set and waits for the confirm.
    pub(super) async fn publish_raw(
        &self,
        exchange: &str,
        routing_key: &str,
        payload: &[u8],
        properties: BasicProperties,
    ) -> Result<(), BusError> {
        let exchange = name("exchange", exchange)?;
        let routing = name("routing key", routing_key)?;
        let channel = match tokio::time::timeout(BROKER_CALL_DEADLINE, self.publish_channel()).await
        {
            Ok(channel) => channel?,
            Err(_) => {
                self.drop_publish_channel().await;
                return Err(BusError::Timeout);
            }
        };
        let publish = async {
            channel
                .basic_publish(
                    exchange,
                    routing,
                    BasicPublishOptions {
                        mandatory: true,
                        ..Default::default()
                    },
                    payload,
                    properties,
                )
                .await?
                .await
        };
        let confirmation = match tokio::time::timeout(BROKER_CALL_DEADLINE, publish).await {
            Err(_) => {
                self.drop_publish_channel().await;
                return Err(BusError::Timeout);
            }
            Ok(Err(e)) => {
                self.drop_publish_channel().await;
                return Err(e.into());
            }
            Ok(Ok(c)) => c,
        };
        match confirmation {
            Confirmation::Ack(None) => Ok(()),
            Confirmation::Ack(Some(_)) => Err(BusError::Unroutable(routing_key.to_owned())),
            Confirmation::Nack(_) | Confirmation::NotRequested => Err(BusError::Nacked),
        }
    }

    pub(super) async fn publish_channel(&self) -> Result<Channel, BusError> {
        let (connection, generation) = match &*self.inner.state.borrow() {
            ConnectionState::Connected {
                connection,
                generation,
            } => (connection.clone(), *generation),
            ConnectionState::Disconnected => return Err(BusError::Unavailable),
        };
        let mut slot = self.inner.publish_channel.lock().await;
        if let Some((g, channel)) = slot.as_ref()
            && *g == generation
            && channel.status().connected()
        {
            return Ok(channel.clone());
        }
        let channel = connection
            .create_channel()
            .await
            .map_err(|_| BusError::Unavailable)?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        *slot = Some((generation, channel.clone()));
        Ok(channel)
    }

    async fn drop_publish_channel(&self) {
        self.inner.publish_channel.lock().await.take();
    }
}

/// Persistent JSON message properties.
pub(super) fn json_properties() -> BasicProperties {
    BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2)
}

impl Bus {
    /// Queue arguments: the given string arguments, plus an expiry on ephemeral (test) buses.
    pub(super) fn queue_args(&self, pairs: &[(&str, &str)]) -> FieldTable {
        let mut table = FieldTable::default();
        for (k, v) in pairs {
            table.insert((*k).into(), AMQPValue::LongString((*v).into()));
        }
        if self.inner.config.ephemeral {
            table.insert("x-expires".into(), AMQPValue::LongInt(60_000));
        }
        self.type_args(&mut table);
        table
    }

    /// The arguments that make a durable queue of the configured [`QueueType`].
    pub(super) fn type_args(&self, table: &mut FieldTable) {
        if self.inner.config.queue_type == QueueType::Quorum {
            let dead_letters = table.contains_key("x-dead-letter-exchange");
            let mut set = |k: &str, v: &str| {
                table.insert(k.into(), AMQPValue::LongString(v.into()));
            };
            set("x-queue-type", "quorum");
            if dead_letters {
                set("x-dead-letter-strategy", "at-least-once");
                set("x-overflow", "reject-publish");
            }
        }
    }
}

impl Bus {
    /// The queues this bus's consumers declared.
    pub fn declared_queues(&self) -> Vec<String> {
        self.inner
            .queues
            .lock()
            .map(|q| q.clone())
            .unwrap_or_default()
    }
}
