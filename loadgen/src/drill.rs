//! The fault drills' client, one implementation for `cargo xtask drill` (through the
//! gateway, as `loadgen drill`) and the gateway's tests (each service directly): an order load,
//! live subscribers, a fault in the middle, then the delivery guarantees checked.
//!
//! - [`api`]: the calls, routed to the gateway or the services; [`load`]: the order load;
//!   [`follow`]: live subscribers reconnecting with `Last-Event-ID`; [`check`]: the invariants,
//!   polled until they hold; [`cli`]: `loadgen drill`, which takes its fault from xtask.
//! - The faults that need more than a signal: [`redis`] (probes while Redis is away),
//!   [`poison`] (poison messages into every queue, the dead letters read and replayed) and
//!   [`replica`] (calls spread over two replicas, one of them killed).

pub mod api;
pub mod check;
pub mod cli;
pub mod follow;
pub mod load;
pub mod poison;
pub mod redis;
pub mod replica;

use std::{collections::BTreeMap, future::Future, time::Duration};

use anyhow::Result;
use serde::Serialize;
use tokio::{task::JoinHandle, time::Instant};

use api::{Account, Api};
use check::{Finding, Kind};
use follow::Follow;
use load::{Attempt, Load, Outcome, Plan, Products};

/// The people and products of a drill, and analytics before it.
pub struct Setup {
    /// Where the calls go.
    pub api: Api,
    /// Reads every list.
    pub admin: Account,
    /// Place the orders.
    pub customers: Vec<Account>,
    /// What they order.
    pub products: Products,
    /// `(main, scarce)` stock at the start.
    pub initial: (i64, i64),
    /// Orders analytics knew of before.
    pub analytics_before: check::ByStatus,
}

impl Setup {
    /// Creates the two products (`name` in their names) as the admin and reads analytics.
    pub async fn new(
        api: Api,
        admin: Account,
        customers: Vec<Account>,
        name: &str,
        initial: (i64, i64),
    ) -> Result<Self> {
        let products = Products {
            main: api
                .product(&admin, &format!("{name} staple"), 999, initial.0)
                .await?,
            scarce: api
                .product(&admin, &format!("{name} rarity"), 1999, initial.1)
                .await?,
        };
        let analytics_before = check::analytics_orders(&api, &admin).await?;
        Ok(Self {
            api,
            admin,
            customers,
            products,
            initial,
            analytics_before,
        })
    }
}

/// How long each part takes.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Load before the fault.
    pub before: Duration,
    /// About how long the fault lasts (subscribers follow their orders until the load, the
    /// fault and the settling are all over).
    pub fault: Duration,
    /// Load after it (a planned number of orders runs to its end anyway).
    pub after: Duration,
    /// How long the invariants get to hold once the load stopped.
    pub settle: Duration,
    /// Orders followed live (the first ones accepted).
    pub subscribers: usize,
}

/// What one drill found: a row of `bench/results/drill.json`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    /// `broker`, `database`, `service`, `network`, `redis`, `poison`, `replica`.
    pub drill: String,
    /// What was done to the suite.
    pub fault: String,
    /// Orders attempted.
    pub orders_attempted: usize,
    /// 2xx answers.
    pub accepted: usize,
    /// Refusals by status.
    pub refused: BTreeMap<u16, usize>,
    /// Answers lost even after retrying the key.
    pub unanswered: usize,
    /// Findings by kind.
    pub lost: Vec<String>,
    /// Something happened twice.
    pub duplicated: Vec<String>,
    /// Neither, but wrong.
    pub wrong: Vec<String>,
    /// Live subscribers that caught up.
    pub subscribers_caught_up: usize,
    /// Live subscribers.
    pub subscribers: usize,
    /// From the end of the fault to the first order accepted after it.
    pub back_after_seconds: Option<f64>,
    /// From the end of the fault until every invariant held.
    pub settled_after_seconds: Option<f64>,
    /// Why the drill could not run to its end.
    pub error: Option<String>,
    /// Nothing lost, duplicated or wrong, and the drill ran to its end.
    pub passed: bool,
}

impl Row {
    fn add(&mut self, finding: Finding) {
        match finding.kind {
            Kind::Lost => self.lost.push(finding.what),
            Kind::Duplicated => self.duplicated.push(finding.what),
            Kind::Wrong => self.wrong.push(finding.what),
        }
    }

    /// Counts the attempts into the row; refusals other than 503 are findings.
    pub fn tally(&mut self, attempts: &[Attempt], restored_at: Instant) {
        self.orders_attempted = attempts.len();
        let mut examples = BTreeMap::new();
        for attempt in attempts {
            match &attempt.outcome {
                Outcome::Accepted(_) => self.accepted += 1,
                Outcome::Refused(status, message) => {
                    *self.refused.entry(*status).or_default() += 1;
                    examples.entry(*status).or_insert_with(|| message.clone());
                }
                Outcome::Unknown(_) => self.unanswered += 1,
            }
        }
        for (status, n) in self.refused.clone() {
            if status != 503 {
                let example = examples.get(&status).cloned().unwrap_or_default();
                self.wrong.push(format!(
                    "{n} orders refused with {status} (a refusal should be 503), e.g. `{example}`"
                ));
            }
        }
        self.back_after_seconds = attempts
            .iter()
            .filter(|a| matches!(a.outcome, Outcome::Accepted(_)) && a.at > restored_at)
            .map(|a| tenths(a.at.duration_since(restored_at)))
            .reduce(f64::min);
    }

    /// Adds a fault's own findings (the probes of `redis`, the dead letters of `poison`);
    /// the row passes only if it did before and none came.
    pub fn extend(&mut self, findings: impl IntoIterator<Item = Finding>) {
        findings.into_iter().for_each(|f| self.add(f));
        self.passed = self.findings().is_empty();
    }

    /// Every finding, one a line.
    pub fn findings(&self) -> Vec<String> {
        let kinds = [
            ("lost", &self.lost),
            ("duplicated", &self.duplicated),
            ("wrong", &self.wrong),
        ];
        kinds
            .into_iter()
            .flat_map(|(kind, list)| list.iter().map(move |what| format!("{kind}: {what}")))
            .chain(
                self.error
                    .iter()
                    .map(|e| format!("did not run to its end: {e}")),
            )
            .collect()
    }
}

/// Seconds, to a tenth.
fn tenths(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

/// Runs one drill: the load for `timing.before` (subscribers on the first accepted orders),
/// then `fault` (which returns when the suite has everything back, and says what it did), the
/// load for `timing.after` more, then the checks until they hold or `timing.settle` passes.
pub async fn run<F>(
    setup: &Setup,
    plan: Plan,
    timing: Timing,
    prefix: &str,
    fault: F,
) -> Result<Row>
where
    F: Future<Output = Result<String>>,
{
    let mut load = Load::start(&setup.api, &setup.customers, &setup.products, prefix, plan);
    let mut follows = Vec::new();
    let follow_until = Instant::now() + timing.before + timing.fault + timing.after + timing.settle;
    follow_new(
        setup,
        &mut load,
        Instant::now() + timing.before,
        &mut follows,
        timing,
        follow_until,
        None,
    )
    .await;
    if follows.is_empty() && timing.subscribers > 0 {
        // On a loaded machine the first order can take longer than `before` to be accepted;
        // the drill is about live streams across the fault, so it waits for one (up to
        // `settle`) rather than faulting with nobody following.
        follow_new(
            setup,
            &mut load,
            Instant::now() + timing.settle,
            &mut follows,
            timing,
            follow_until,
            Some(1),
        )
        .await;
    }
    eprintln!(
        "{prefix}: load running, {} orders followed live; fault now",
        follows.len()
    );
    let fault = match fault.await {
        Ok(fault) => fault,
        Err(error) => {
            let _ = load.stop().await;
            return Err(error);
        }
    };
    let restored_at = Instant::now();
    eprintln!("{prefix}: fault over: {fault}");
    follow_new(
        setup,
        &mut load,
        Instant::now() + timing.after,
        &mut follows,
        timing,
        follow_until,
        None,
    )
    .await;
    let attempts = load.stop().await;
    let mut row = Row {
        fault,
        ..Row::default()
    };
    row.tally(&attempts, restored_at);
    eprintln!(
        "{prefix}: load stopped: {} orders, {} accepted; checking the invariants (up to {} s)",
        row.orders_attempted,
        row.accepted,
        timing.settle.as_secs()
    );
    judge(setup, &attempts, follows, row, restored_at, timing.settle).await
}

/// The checks after the load: the invariants until they hold or `settle` passes, then what
/// each live follower saw against the order as stored.
async fn judge(
    setup: &Setup,
    attempts: &[Attempt],
    follows: Vec<JoinHandle<Follow>>,
    mut row: Row,
    restored_at: Instant,
    settle: Duration,
) -> Result<Row> {
    let subject = check::Subject {
        api: &setup.api,
        admin: &setup.admin,
        customers: &setup.customers,
        products: &setup.products,
        initial: setup.initial,
        attempts,
        analytics_before: setup.analytics_before.clone(),
    };
    let (orders, findings, settled) = check::settle(&subject, Instant::now() + settle).await?;
    row.settled_after_seconds = settled.map(|at| tenths(at.duration_since(restored_at)));
    findings.into_iter().for_each(|f| row.add(f));
    row.subscribers = follows.len();
    for follow in follows {
        let follow = follow.await.unwrap_or_default();
        let version = orders.get(&follow.order).map_or(-1, |o| check::facts(o).1);
        match follow.problem(version) {
            None => row.subscribers_caught_up += 1,
            Some(what) => row.lost.push(what),
        }
    }
    row.passed = row.findings().is_empty();
    Ok(row)
}

/// Subscribers on newly accepted orders until `until`, up to `timing.subscribers` in all, or
/// until `enough` are followed. A planned load that finished early ends the wait.
async fn follow_new(
    setup: &Setup,
    load: &mut Load,
    until: Instant,
    follows: &mut Vec<JoinHandle<Follow>>,
    timing: Timing,
    follow_until: Instant,
    enough: Option<usize>,
) {
    while let Ok(Some((order, customer))) =
        tokio::time::timeout_at(until, load.accepted.recv()).await
    {
        if follows.len() < timing.subscribers {
            let customer = setup.customers[customer].clone();
            follows.push(follow::follow(
                setup.api.clone(),
                customer,
                order,
                follow_until,
            ));
        }
        if enough.is_some_and(|enough| follows.len() >= enough) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_other_than_503_are_findings() {
        let now = Instant::now();
        let attempt = |outcome| Attempt { at: now, outcome };
        let mut row = Row::default();
        row.tally(
            &[
                attempt(Outcome::Accepted("a".into())),
                attempt(Outcome::Refused(503, "503 database".into())),
                attempt(Outcome::Refused(500, "500 oops".into())),
            ],
            now,
        );
        assert_eq!((row.orders_attempted, row.accepted), (3, 1));
        assert_eq!(row.wrong.len(), 1);
        assert!(row.wrong[0].contains("500"));
        assert_eq!(row.findings().len(), 1);
    }
}
