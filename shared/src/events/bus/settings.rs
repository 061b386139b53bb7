//! The bus's settings (how to reach the broker, how consumers behave, how queues are kept) and
//! why a publish did not go through.

use std::time::Duration;

/// How to reach the broker and how consumers behave.
#[derive(Debug, Clone)]
pub struct BusConfig {
    /// `amqp://user:pass@host:port/vhost`.
    pub url: String,
    /// The topic exchange; tests use a unique one.
    pub exchange: String,
    /// Unacknowledged deliveries a consumer holds at most.
    pub prefetch: u16,
    /// Deliveries of one message before it is dead-lettered (the first one included).
    pub max_deliveries: u32,
    /// Delay before the first retry; each further retry doubles it (capped at a minute).
    pub retry_base: Duration,
    /// For tests: queues expire a minute after their last consumer left and exchanges are
    /// deleted with their last binding, so a test that dies leaves nothing behind for long.
    pub ephemeral: bool,
    /// How RabbitMQ keeps the durable queues (consumers', retries', dead letters').
    pub queue_type: QueueType,
}

/// How RabbitMQ keeps the suite's durable queues (`EVENTS_QUEUE_TYPE`). The private queues of
/// the live fan-out are always classic: they are exclusive to one connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QueueType {
    /// On one node: the default, and all a single broker needs.
    #[default]
    Classic,
    /// Replicated over a cluster's nodes, for production. Dead-lettering is at-least-once
    /// (RabbitMQ's default for quorum queues drops a message whose dead-lettering fails),
    /// which needs `x-overflow: reject-publish`.
    Quorum,
}

impl std::str::FromStr for QueueType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "classic" => Ok(Self::Classic),
            "quorum" => Ok(Self::Quorum),
            other => Err(format!("expected classic or quorum, got {other:?}")),
        }
    }
}

/// Why a publish did not go through; the caller keeps the event and tries again later.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// Not connected to the broker right now.
    #[error("broker unavailable")]
    Unavailable,
    /// The broker refused the message (negative confirm).
    #[error("broker refused the message")]
    Nacked,
    /// No queue is bound for this routing key (`mandatory` publish came back).
    #[error("no queue bound for routing key {0}")]
    Unroutable(String),
    /// The confirm did not arrive in time.
    #[error("publisher confirm timed out")]
    Timeout,
    /// The event could not be serialised.
    #[error("cannot serialise event: {0}")]
    Serialize(#[from] serde_json::Error),
    /// A protocol or channel error.
    #[error("broker error: {0}")]
    Amqp(#[from] lapin::Error),
    /// The broker URL does not parse.
    #[error("bad broker URL: {0}")]
    BadUrl(String),
    /// The message can never be published as it is (an exchange or routing key longer than
    /// AMQP's 255-byte short strings); retrying cannot help.
    #[error("cannot be published: {0}")]
    Invalid(String),
}

impl BusError {
    /// Whether retrying the same message can never succeed, so an outbox parks it.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Serialize(_) | Self::Invalid(_))
    }

    /// Whether the broker itself is unwell (down, slow, or the channel broke), as opposed to
    /// refusing this one message: an outbox stops its pass instead of trying every event.
    pub fn is_broker_trouble(&self) -> bool {
        matches!(self, Self::Unavailable | Self::Timeout | Self::Amqp(_))
    }
}
