//! What a consumer listens to, and what its handler answers when it does not apply an event.

/// What a consumer listens to.
#[derive(Debug, Clone)]
pub struct ConsumerSpec {
    /// Queue suffix; the queue is `<exchange>.<suffix>`.
    pub queue: String,
    /// Routing keys (topic patterns) bound to the queue.
    pub bindings: Vec<String>,
    /// A private queue for this process alone (`<exchange>.<suffix>.<unique>`, exclusive,
    /// deleted with its connection), for fanning events out to every replica; nothing is
    /// retried there: a failed delivery is dropped.
    pub per_replica: bool,
}

impl From<crate::events::QueueDef> for ConsumerSpec {
    fn from(def: crate::events::QueueDef) -> Self {
        Self::new(def.suffix, def.keys)
    }
}

impl ConsumerSpec {
    /// A queue `<exchange>.<suffix>` bound to `keys`.
    pub fn new(suffix: &str, keys: &[&str]) -> Self {
        Self {
            queue: suffix.to_owned(),
            bindings: keys.iter().map(|k| (*k).to_owned()).collect(),
            per_replica: false,
        }
    }

    /// A private per-process queue bound to `keys`, so that every replica gets every event
    /// (live fan-out). It lives as long as the connection; events that arrive while this
    /// process is disconnected are not kept for it.
    pub fn per_replica(suffix: &str, keys: &[&str]) -> Self {
        Self {
            per_replica: true,
            ..Self::new(suffix, keys)
        }
    }
}

/// Why a handler did not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Might work later: retried with backoff, then dead-lettered.
    #[error("transient: {0}")]
    Retry(String),
    /// A dependency is unreachable (the service's database, another service): retried with
    /// backoff for as long as the outage lasts, without counting towards `max_deliveries`,
    /// since the message is not what fails — an outage delays an event, it never
    /// dead-letters it.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Will never work (the payload is wrong): dead-lettered at once.
    #[error("permanent: {0}")]
    Reject(String),
}

impl From<crate::ApiError> for HandlerError {
    /// `UpstreamUnavailable` (503) is [`HandlerError::Unavailable`]; anything else is retried
    /// a bounded number of times.
    fn from(error: crate::ApiError) -> Self {
        match error {
            crate::ApiError::UpstreamUnavailable(_) => Self::Unavailable(error.to_string()),
            other => Self::Retry(other.to_string()),
        }
    }
}

impl From<mongodb::error::Error> for HandlerError {
    /// An unreachable server is [`HandlerError::Unavailable`] (as it is a 503 to clients).
    fn from(error: mongodb::error::Error) -> Self {
        crate::ApiError::from(error).into()
    }
}
