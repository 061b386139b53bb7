//! What happens to a delivery after its handler ran: acked, retried later, or dead-lettered.
//!
//! - A retry waits in a queue of its own delay step, `<queue>.retry.<ms>` (a queue TTL, then
//!   dead-lettered back into `<queue>` through the default exchange). One retry queue per
//!   consumer with per-message expiry blocked at its head: RabbitMQ expires only the head, so a
//!   60 s retry held a 0.5 s one behind it. Step queues are declared when first used.
//! - Three counts travel in headers: `x-retry-count` (failures of the message itself; after
//!   `max_deliveries` it is dead-lettered), `x-outage-retries` (a dependency was unavailable:
//!   the delay grows, capped, but this never dead-letters) and `x-redeliveries` (the broker
//!   handed the message out again without an answer, as after a crash of the consumer: a
//!   message that keeps killing its consumer ends in the dead-letter queue instead of looping).

use std::time::Duration;

use lapin::{
    message::Delivery,
    options::{BasicAckOptions, BasicNackOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable},
};

use super::{Bus, bus::BusError};

/// Failures of the message itself.
const RETRY_HEADER: &str = "x-retry-count";
/// Retries because a dependency was unavailable.
const OUTAGE_HEADER: &str = "x-outage-retries";
/// Deliveries the broker repeated because the consumer never answered.
const REDELIVERY_HEADER: &str = "x-redeliveries";
/// Redeliveries after which a message counts as one that kills its consumer. A broker or
/// network outage redelivers too, so this is well above one lost connection.
pub(super) const REDELIVERY_LIMIT: u32 = 5;
/// The longest retry delay.
const MAX_DELAY: Duration = Duration::from_secs(60);

/// The counts a delivery carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counts {
    /// Failed attempts so far.
    pub attempt: u32,
    /// Retries for an unavailable dependency so far.
    pub outage: u32,
    /// Unanswered deliveries so far.
    pub redeliveries: u32,
}

impl Counts {
    /// The counts in `delivery`'s headers (0 where absent).
    pub fn of(delivery: &Delivery) -> Self {
        let headers = delivery.properties.headers().as_ref();
        let read = |name: &str| {
            headers
                .and_then(|h| h.inner().get(name))
                .and_then(|v| match v {
                    AMQPValue::LongLongInt(n) => u32::try_from(*n).ok(),
                    AMQPValue::LongInt(n) => u32::try_from(*n).ok(),
                    _ => None,
                })
                .unwrap_or(0)
        };
        Self {
            attempt: read(RETRY_HEADER),
            outage: read(OUTAGE_HEADER),
            redeliveries: read(REDELIVERY_HEADER),
        }
    }

    fn write(self, headers: &mut FieldTable) {
        for (name, value) in [
            (RETRY_HEADER, self.attempt),
            (OUTAGE_HEADER, self.outage),
            (REDELIVERY_HEADER, self.redeliveries),
        ] {
            headers.insert(name.into(), AMQPValue::LongLongInt(i64::from(value)));
        }
    }
}

/// How a delivery ends.
pub(super) enum Outcome {
    /// Applied: ack.
    Done,
    /// Try again after a delay, with these counts.
    Retry {
        /// The counts the copy carries (already advanced).
        next: Counts,
        /// How many steps of backoff to wait.
        step: u32,
        /// Whether the wait is jittered (an outage's retries, which come in herds); a failure
        /// of the message itself waits exactly its step.
        jitter: bool,
        /// Why, for the log.
        reason: String,
    },
    /// Give up: nack without requeue, so the broker dead-letters it.
    DeadLetter(String),
}

impl Outcome {
    /// A failure of the message itself: retried until `max` attempts, then dead-lettered.
    pub fn failed(counts: Counts, max: u32, reason: String) -> Self {
        if counts.attempt + 1 >= max.max(1) {
            return Self::DeadLetter(format!("gave up after {max} deliveries: {reason}"));
        }
        Self::Retry {
            next: Counts {
                attempt: counts.attempt + 1,
                ..counts
            },
            step: counts.attempt,
            jitter: false,
            reason,
        }
    }

    /// A dependency was unavailable: retried with a growing delay, never dead-lettered.
    pub fn unavailable(counts: Counts, reason: String) -> Self {
        Self::Retry {
            next: Counts {
                outage: counts.outage.saturating_add(1),
                ..counts
            },
            step: counts.outage,
            jitter: true,
            reason,
        }
    }

    /// The broker handed the message out again unanswered: counted, and retried at once
    /// until [`REDELIVERY_LIMIT`], then dead-lettered.
    pub fn redelivered(counts: Counts) -> Self {
        let redeliveries = counts.redeliveries + 1;
        if redeliveries >= REDELIVERY_LIMIT {
            return Self::DeadLetter(format!(
                "delivered {redeliveries} times without an answer: does it crash its consumer?"
            ));
        }
        Self::Retry {
            next: Counts {
                redeliveries,
                ..counts
            },
            step: 0,
            jitter: false,
            reason: "redelivered without an answer".to_owned(),
        }
    }
}

/// The delay of backoff step `step`: `base` doubled per step, capped at [`MAX_DELAY`].
pub(super) fn delay(base: Duration, step: u32) -> Duration {
    base.saturating_mul(1u32 << step.min(16)).min(MAX_DELAY)
}

/// The step an outage's retry actually waits: `step` or, by a coin toss, the one below it. Delays are a
/// few fixed queues (one per step), so jitter picks among them: messages that failed together
/// in an outage come back spread over two delays instead of as one herd, and the delay still
/// grows (its expectation is ¾ of the step's) and is capped.
pub(super) fn jittered(step: u32, coin: bool) -> u32 {
    if step > 0 && coin { step - 1 } else { step }
}

impl Bus {
    /// Acks, schedules a retry, or dead-letters `delivery` of `queue`.
    pub(super) async fn settle(
        &self,
        queue: &str,
        delivery: &Delivery,
        outcome: Outcome,
    ) -> Result<(), BusError> {
        match outcome {
            Outcome::Done => {
                metrics::counter!("events_consumed_total", "queue" => queue.to_owned())
                    .increment(1);
                delivery.acker.ack(BasicAckOptions::default()).await?;
            }
            Outcome::Retry {
                next,
                step,
                jitter,
                reason,
            } => {
                let step = if jitter {
                    jittered(step, rand::random::<bool>())
                } else {
                    step
                };
                let delay = delay(self.inner.config.retry_base, step);
                tracing::warn!(%queue, ?next, ?delay, %reason, "handler failed; retrying later");
                let mut headers = delivery.properties.headers().clone().unwrap_or_default();
                next.write(&mut headers);
                let properties = delivery.properties.clone().with_headers(headers);
                let scheduled = match self.retry_queue(queue, delay).await {
                    Ok(retry_queue) => {
                        self.publish_raw("", &retry_queue, &delivery.data, properties)
                            .await
                    }
                    Err(e) => Err(e),
                };
                match scheduled {
                    Ok(()) => {
                        metrics::counter!("events_consumer_retries_total", "queue" => queue.to_owned())
                            .increment(1);
                        delivery.acker.ack(BasicAckOptions::default()).await?;
                    }
                    Err(e) => {
                        tracing::warn!(%queue, error = %e, "cannot schedule a retry; requeueing");
                        tokio::time::sleep(delay.min(Duration::from_secs(5))).await;
                        delivery
                            .acker
                            .nack(BasicNackOptions {
                                requeue: true,
                                ..Default::default()
                            })
                            .await?;
                    }
                }
            }
            Outcome::DeadLetter(reason) => {
                tracing::error!(%queue, %reason, "dead-lettering a message");
                metrics::counter!("events_dead_lettered_total", "queue" => queue.to_owned())
                    .increment(1);
                delivery
                    .acker
                    .nack(BasicNackOptions {
                        requeue: false,
                        ..Default::default()
                    })
                    .await?;
            }
        }
        Ok(())
    }

    /// The retry queue of `queue` for `delay`, declared on first use by this bus: its messages
    /// expire after `delay` back into `queue`.
    async fn retry_queue(&self, queue: &str, delay: Duration) -> Result<String, BusError> {
        let millis = u32::try_from(delay.as_millis()).unwrap_or(u32::MAX).max(1);
        let name = format!("{queue}.retry.{millis}");
        let known = self.inner.queues.lock().is_ok_and(|q| q.contains(&name));
        if known {
            return Ok(name);
        }
        let mut arguments = FieldTable::default();
        arguments.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString("".into()),
        );
        arguments.insert(
            "x-dead-letter-routing-key".into(),
            AMQPValue::LongString(queue.into()),
        );
        arguments.insert(
            "x-message-ttl".into(),
            AMQPValue::LongInt(i32::try_from(millis).unwrap_or(i32::MAX)),
        );
        if self.inner.config.ephemeral {
            // A queue nobody consumes from counts as unused: it must outlive its messages.
            let expires = millis.saturating_add(60_000);
            arguments.insert(
                "x-expires".into(),
                AMQPValue::LongInt(i32::try_from(expires).unwrap_or(i32::MAX)),
            );
        }
        self.type_args(&mut arguments);
        let channel =
            match tokio::time::timeout(super::bus::BROKER_CALL_DEADLINE, self.publish_channel())
                .await
            {
                Ok(channel) => channel?,
                Err(_) => return Err(BusError::Timeout),
            };
        let declare = channel.queue_declare(
            name.as_str().into(),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            arguments,
        );
        match tokio::time::timeout(super::bus::BROKER_CALL_DEADLINE, declare).await {
            Ok(declared) => {
                declared?;
            }
            Err(_) => return Err(BusError::Timeout),
        }
        if let Ok(mut queues) = self.inner.queues.lock()
            && !queues.contains(&name)
        {
            queues.push(name.clone());
        }
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_per_step_up_to_a_minute() {
        let base = Duration::from_millis(500);
        assert_eq!(delay(base, 0), base);
        assert_eq!(delay(base, 3), Duration::from_secs(4));
        assert_eq!(delay(base, 40), MAX_DELAY);
    }

    #[test]
    fn a_retry_waits_its_step_or_the_one_below_never_less_for_the_first() {
        assert_eq!(jittered(0, true), 0);
        assert_eq!(jittered(0, false), 0);
        assert_eq!(jittered(5, false), 5);
        assert_eq!(jittered(5, true), 4);
        let base = Duration::from_millis(500);
        let seen: std::collections::BTreeSet<Duration> = (0..200)
            .map(|_| delay(base, jittered(3, rand::random::<bool>())))
            .collect();
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            [Duration::from_secs(2), Duration::from_secs(4)]
        );
    }

    #[test]
    fn a_failing_message_is_dead_lettered_after_its_last_delivery() {
        let mut counts = Counts::default();
        for _ in 0..2 {
            match Outcome::failed(counts, 3, "x".into()) {
                Outcome::Retry { next, .. } => counts = next,
                _ => panic!("retried"),
            }
        }
        assert!(matches!(
            Outcome::failed(counts, 3, "x".into()),
            Outcome::DeadLetter(_)
        ));
    }

    #[test]
    fn an_outage_grows_the_delay_but_never_counts_towards_dead_lettering() {
        let mut counts = Counts::default();
        for expected_step in 0..30 {
            match Outcome::unavailable(counts, "down".into()) {
                Outcome::Retry {
                    next, step, jitter, ..
                } => {
                    assert_eq!(step, expected_step);
                    assert!(jitter, "an outage's retries are jittered");
                    assert_eq!(next.attempt, 0);
                    counts = next;
                }
                _ => panic!("an outage never dead-letters"),
            }
        }
    }

    #[test]
    fn a_message_redelivered_unanswered_too_often_is_dead_lettered() {
        let mut counts = Counts::default();
        for _ in 1..REDELIVERY_LIMIT {
            match Outcome::redelivered(counts) {
                Outcome::Retry { next, .. } => counts = next,
                _ => panic!("retried"),
            }
        }
        assert!(matches!(
            Outcome::redelivered(counts),
            Outcome::DeadLetter(_)
        ));
    }
}
