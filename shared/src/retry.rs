//! Retrying after failures: exponential backoff with a cap and jitter, the one way the suite
//! waits before trying again (issue 20).
//!
//! Why jitter: replicas and tasks that lost a dependency at the same moment used to retry at
//! the same moments too (one doubling sequence each, with three different caps), so when the
//! dependency came back it met every one of them at once, again and again. Here each wait is
//! drawn at random between the policy's first delay and the current ceiling (which doubles per
//! failure up to the cap): "full jitter", above a floor. The floor keeps a failure from
//! turning into a hot loop (a draw of zero) and keeps the first retry where it was.
//!
//! Two shapes:
//! - [`Policy::until_ok`] retries an operation until it succeeds or a [`CancellationToken`]
//!   fires (index creation, connecting), and [`Policy::at_most`] gives up after a number of
//!   attempts; both are driven by [`backon`].
//! - [`Backoff`], for loops that keep their own structure (a relay or a subscriber that backs
//!   off after failures and [`Backoff::reset`]s after a success): it only says how long to
//!   wait next.
//!
//! Fixed-interval pollers (heartbeats, poll intervals, pacing) do not back off and do not use
//! this. Neither do the consumers' retry queues (`events::retry`): one queue per delay step,
//! so their steps stay fixed.

use std::{future::Future, time::Duration};

use backon::Retryable;
use rand::Rng;
use tokio_util::sync::CancellationToken;

/// Connections, subscriptions and restarts of background tasks: 100 ms first, then up to 5 s.
pub const RECONNECT: Policy = Policy::new(Duration::from_millis(100), Duration::from_secs(5));

/// One-off work a service does at start against its database (indexes, the admin account):
/// 200 ms first, then up to 10 s.
pub const STARTUP: Policy = Policy::new(Duration::from_millis(200), Duration::from_secs(10));

/// How long to wait between attempts: the first delay, doubled per failure up to a cap, each
/// wait drawn at random between the first delay and that ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    first: Duration,
    cap: Duration,
}

impl Policy {
    /// Waits from `first` growing to `cap`. `first` is at least a millisecond and at most
    /// `cap`.
    pub const fn new(first: Duration, cap: Duration) -> Self {
        let first = if first.as_nanos() < 1_000_000 {
            Duration::from_millis(1)
        } else {
            first
        };
        let cap = if cap.as_nanos() < first.as_nanos() {
            first
        } else {
            cap
        };
        Self { first, cap }
    }

    /// The first delay, which is also the shortest.
    pub const fn first(&self) -> Duration {
        self.first
    }

    /// The longest delay.
    pub const fn cap(&self) -> Duration {
        self.cap
    }

    /// A fresh backoff under this policy.
    pub const fn backoff(self) -> Backoff {
        Backoff {
            policy: self,
            failures: 0,
        }
    }

    /// The wait after `failures` failures in a row (at least one), jittered like
    /// [`Backoff::next_delay`]: for retries scheduled outside this process, where the count
    /// is kept with the record (a webhook delivery's attempts).
    pub fn delay_after(self, failures: u32) -> Duration {
        Backoff {
            policy: self,
            failures: failures.saturating_sub(1),
        }
        .next_delay()
    }

    /// Runs `operation` until it succeeds, waiting after each failure; `None` once `cancel`
    /// fires (at once, whether it was waiting or running `operation`, which is dropped).
    /// `notify` sees each error and the wait before the next attempt, for the log.
    pub async fn until_ok<T, E, Fut>(
        self,
        cancel: &CancellationToken,
        operation: impl FnMut() -> Fut,
        notify: impl FnMut(&E, Duration),
    ) -> Option<T>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        let retrying = operation.retry(self.backoff()).notify(notify);
        tokio::select! {
            biased;
            () = cancel.cancelled() => None,
            // The backoff never runs out, so this is only ever Ok.
            outcome = retrying => outcome.ok(),
        }
    }

    /// Runs `operation` at most `attempts` times (at least once), waiting after each failure
    /// that `retryable` accepts; returns the first success, the first error `retryable`
    /// refuses, or the last error. `notify` sees each retried error and the wait.
    pub async fn at_most<T, E, Fut>(
        self,
        attempts: usize,
        operation: impl FnMut() -> Fut,
        retryable: impl FnMut(&E) -> bool,
        notify: impl FnMut(&E, Duration),
    ) -> Result<T, E>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        let waits = self.backoff().take(attempts.saturating_sub(1));
        operation.retry(waits).when(retryable).notify(notify).await
    }
}

/// The waits of one run of failures under a [`Policy`]. An endless [`Iterator`] of delays, so
/// it is also a [`backon::Backoff`].
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: Policy,
    /// Failures since the start or the last reset.
    failures: u32,
}

impl Backoff {
    /// The wait after one more failure: drawn between the policy's first delay and the
    /// current ceiling, which doubles per failure up to the cap.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.failures = self.failures.saturating_add(1);
        if ceiling <= self.policy.first {
            return self.policy.first;
        }
        rand::rng().random_range(self.policy.first..=ceiling)
    }

    /// Starts over after a success: the next wait is the first delay again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The longest the next wait can be.
    pub fn ceiling(&self) -> Duration {
        let Policy { first, cap } = self.policy;
        first.saturating_mul(1u32 << self.failures.min(31)).min(cap)
    }
}

impl Iterator for Backoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        Some(self.next_delay())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    };

    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_ceiling_doubles_per_failure_up_to_the_cap() {
        let mut backoff = Policy::new(100 * MS, 1000 * MS).backoff();
        let mut ceilings = Vec::new();
        for _ in 0..6 {
            ceilings.push(backoff.ceiling().as_millis());
            backoff.next_delay();
        }
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000]);
        for _ in 0..100 {
            backoff.next_delay();
        }
        assert_eq!(
            backoff.ceiling(),
            1000 * MS,
            "no overflow after many failures"
        );
    }

    #[test]
    fn every_wait_lies_between_the_first_delay_and_the_ceiling() {
        let policy = Policy::new(100 * MS, 5000 * MS);
        let mut backoff = policy.backoff();
        for _ in 0..1000 {
            let ceiling = backoff.ceiling();
            let wait = backoff.next_delay();
            assert!(
                (policy.first()..=ceiling).contains(&wait),
                "{wait:?} outside {:?}..={ceiling:?}",
                policy.first()
            );
        }
    }

    #[test]
    fn the_first_wait_is_the_first_delay_and_later_ones_are_spread() {
        let policy = Policy::new(100 * MS, 5000 * MS);
        let waits: Vec<(Duration, Duration)> = (0..50)
            .map(|_| {
                let mut backoff = policy.backoff();
                let first = backoff.next_delay();
                for _ in 0..4 {
                    backoff.next_delay();
                }
                (first, backoff.next_delay())
            })
            .collect();

        assert!(waits.iter().all(|(first, _)| *first == 100 * MS));
        let mut sixth: Vec<Duration> = waits.iter().map(|(_, sixth)| *sixth).collect();
        sixth.sort();
        sixth.dedup();
        assert!(
            sixth.len() > 10,
            "50 tasks failing together wait apart: {sixth:?}"
        );
    }

    #[test]
    fn a_reset_starts_over_at_the_first_delay() {
        let mut backoff = Policy::new(100 * MS, 5000 * MS).backoff();
        for _ in 0..10 {
            backoff.next_delay();
        }
        assert_eq!(backoff.ceiling(), 5000 * MS);

        backoff.reset();

        assert_eq!(backoff.ceiling(), 100 * MS);
        assert_eq!(backoff.next_delay(), 100 * MS);
    }

    #[test]
    fn a_counted_delay_is_the_wait_of_that_failure_in_a_run() {
        let policy = Policy::new(100 * MS, 1000 * MS);
        assert_eq!(policy.delay_after(0), 100 * MS);
        assert_eq!(policy.delay_after(1), 100 * MS);
        for _ in 0..100 {
            assert!((100 * MS..=400 * MS).contains(&policy.delay_after(3)));
            assert!((100 * MS..=1000 * MS).contains(&policy.delay_after(u32::MAX)));
        }
    }

    #[test]
    fn a_policy_waits_at_least_a_millisecond_and_never_beyond_its_cap() {
        assert_eq!(Policy::new(Duration::ZERO, MS * 10).first(), MS);
        let inverted = Policy::new(MS * 50, MS * 10);
        assert_eq!((inverted.first(), inverted.cap()), (MS * 50, MS * 50));
        assert_eq!(inverted.backoff().take(5).max(), Some(MS * 50));
    }

    #[tokio::test]
    async fn an_operation_is_retried_until_it_succeeds() {
        let calls = AtomicU32::new(0);
        let mut waits = Vec::new();

        let found = Policy::new(MS, 4 * MS)
            .until_ok(
                &CancellationToken::new(),
                || async {
                    let n = calls.fetch_add(1, Ordering::SeqCst);
                    if n < 3 { Err("not yet") } else { Ok(n) }
                },
                |_, wait| waits.push(wait),
            )
            .await;

        assert_eq!(found, Some(3));
        assert_eq!(waits.len(), 3, "one wait per failure");
    }

    #[tokio::test]
    async fn cancellation_ends_a_retry_during_its_wait() {
        let cancel = CancellationToken::new();
        let attempts = Arc::new(tokio::sync::Notify::new());
        let (canceller, seen) = (cancel.clone(), attempts.clone());
        tokio::spawn(async move {
            seen.notified().await;
            canceller.cancel();
        });

        // An hour's wait after the first failure: only the cancellation can end it in time.
        let retrying = Policy::new(Duration::from_secs(3600), Duration::from_secs(3600)).until_ok(
            &cancel,
            || async {
                attempts.notify_one();
                Err::<(), _>("down")
            },
            |_, _| {},
        );
        let outcome = tokio::time::timeout(Duration::from_secs(5), retrying).await;

        assert_eq!(outcome, Ok(None), "ended by the cancellation, promptly");
    }

    #[tokio::test]
    async fn cancellation_ends_a_retry_whose_attempt_hangs() {
        let cancel = CancellationToken::new();
        let started = Arc::new(tokio::sync::Notify::new());
        let (canceller, seen) = (cancel.clone(), started.clone());
        tokio::spawn(async move {
            seen.notified().await;
            canceller.cancel();
        });

        let retrying = RECONNECT.until_ok(
            &cancel,
            || async {
                started.notify_one();
                std::future::pending::<Result<(), ()>>().await
            },
            |_, _| {},
        );
        let outcome = tokio::time::timeout(Duration::from_secs(5), retrying).await;

        assert_eq!(outcome, Ok(None));
    }

    #[tokio::test]
    async fn at_most_gives_up_with_the_last_error_after_its_attempts() {
        let calls = AtomicU32::new(0);

        let outcome: Result<(), u32> = Policy::new(MS, 2 * MS)
            .at_most(
                4,
                || async { Err(calls.fetch_add(1, Ordering::SeqCst)) },
                |_| true,
                |_, _| {},
            )
            .await;

        assert_eq!(outcome, Err(3));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn at_most_stops_at_an_error_it_may_not_retry() {
        let calls = AtomicU32::new(0);

        let outcome: Result<(), &str> = Policy::new(MS, 2 * MS)
            .at_most(
                4,
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err("refused")
                },
                |e| *e != "refused",
                |_, _| {},
            )
            .await;

        assert_eq!(outcome, Err("refused"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
