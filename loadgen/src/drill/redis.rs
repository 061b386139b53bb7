//! The `redis` drill's probes, beside the order load while Redis is away and after it is back.
//! What may degrade and what may not (README, "Drills"):
//!
//! - `POST /orders` needs Redis for its `Idempotency-Key` claim: while Redis is down it answers
//!   a clear 503 (the load counts those), never a 500 or a hang; a key answered before the
//!   outage, retried during it, is 503 too, never a second order; retried after Redis came
//!   back empty (it keeps nothing on disk), it answers the same order, which the order's
//!   unique `<customer>:<key>` index guarantees without Redis.
//! - A revoked token stays refused throughout: 401 from the revocations each process knows,
//!   or 503 where a process cannot ask Redis; never a 2xx (fail closed).
//! - Product reads keep answering 200 from MongoDB (the cache is an optimisation).
//! - Afterwards everything recovers by itself: orders are accepted again (the row's
//!   `backAfterSeconds`), and the revoked token is 401 again.

use std::{collections::BTreeMap, future::Future, time::Duration};

use anyhow::{Result, anyhow};
use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{
    api::{self, Account, Answer, Api},
    check::{Finding, Kind},
};

/// Orders placed with a key before the outage and retried during and after it.
const KEPT: usize = 2;

/// A probe's answer slower than this while Redis is down counts as a hang.
const SLOW_MS: u64 = 5000;

/// What the probes hold on to across the outage.
pub struct Probe {
    api: Api,
    /// Places the kept orders (not one of the load's customers: its orders are not the load's).
    customer: Account,
    /// A token revoked before the outage.
    revoked: Account,
    /// The product the kept orders buy and the probes read.
    product: String,
    /// `(key, order id)` answered before the outage.
    kept: Vec<(String, String)>,
}

/// What the probes saw while Redis was down: answers by status.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Observed {
    /// `GET /products/:id`.
    pub product_reads: BTreeMap<u16, usize>,
    /// `GET /orders` with the revoked token.
    pub revoked_token: BTreeMap<u16, usize>,
    /// A kept key retried.
    pub kept_key_retries: BTreeMap<u16, usize>,
    /// Requests that got no answer at all.
    pub unanswered: usize,
    /// The slowest answer of each probe, in milliseconds (a hang would show here first).
    pub slowest_ms: BTreeMap<&'static str, u64>,
}

impl Observed {
    fn timed(&mut self, probe: &'static str, started: Instant) {
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let slowest = self.slowest_ms.entry(probe).or_default();
        *slowest = (*slowest).max(ms);
    }
}

fn order_body(product: &str) -> Value {
    json!({ "items": [{ "productId": product, "quantity": 1 }],
            "shippingAddress": api::address() })
}

impl Probe {
    /// Places the kept orders as `customer` and checks that `revoked` is refused already
    /// (waiting, within `patience`, for every process to have heard of the revocation).
    pub async fn new(
        api: Api,
        customer: Account,
        revoked: Account,
        product: String,
        prefix: &str,
        patience: Duration,
    ) -> Result<Self> {
        let mut probe = Self {
            api,
            customer,
            revoked,
            product,
            kept: Vec::new(),
        };
        for i in 0..KEPT {
            let key = format!("{prefix}-kept-{i}");
            let answer = probe.retry_key(&key).await?;
            let id = answer.json["data"]["id"].as_str().filter(|_| answer.ok());
            let id = id.ok_or_else(|| anyhow!("a kept order: {}", answer.describe()))?;
            probe.kept.push((key, id.to_owned()));
        }
        let deadline = Instant::now() + patience;
        while probe.revoked_status().await? != 401 {
            if Instant::now() > deadline {
                return Err(anyhow!(
                    "the revoked token is still accepted before the outage"
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(probe)
    }

    /// The ids of the kept orders.
    pub fn kept_orders(&self) -> Vec<String> {
        self.kept.iter().map(|(_, id)| id.clone()).collect()
    }

    async fn retry_key(&self, key: &str) -> reqwest::Result<Answer> {
        let body = order_body(&self.product);
        let headers = [("idempotency-key", key)];
        self.api
            .call(
                Method::POST,
                "/orders",
                Some(&self.customer),
                Some(&body),
                &headers,
            )
            .await
    }

    async fn revoked_status(&self) -> reqwest::Result<u16> {
        let answer = self
            .api
            .call(Method::GET, "/orders", Some(&self.revoked), None, &[])
            .await?;
        Ok(answer.status)
    }

    /// Through the gateway (`cargo xtask drill redis`): a customer who places the kept
    /// orders, one whose token is revoked by logging out, and a product of their own; waits
    /// until analytics has counted the kept orders, so the drill's own count starts after them.
    pub async fn enlist(api: &Api, admin: &Account, run: &str, patience: Duration) -> Result<Self> {
        let customer = api
            .register(&format!("drill-{run}-redis-kept@example.com"), "Drill Kept")
            .await?;
        let revoked = api
            .register(
                &format!("drill-{run}-redis-revoked@example.com"),
                "Drill Revoked",
            )
            .await?;
        let revoked = Account::token(&revoked.bearer());
        let logout = api
            .call(
                Method::POST,
                "/auth/logout",
                Some(&revoked),
                Some(&json!({})),
                &[],
            )
            .await?;
        if !logout.ok() {
            return Err(anyhow!("POST /auth/logout: {}", logout.describe()));
        }
        let name = format!("Drill redis {run} probe");
        let product = api.product(admin, &name, 500, 1000).await?;
        let total = |counts: super::check::ByStatus| counts.values().sum::<i64>();
        let before = total(super::check::analytics_orders(api, admin).await?);
        let prefix = format!("drill-{run}-redis");
        let probe = Self::new(api.clone(), customer, revoked, product, &prefix, patience).await?;
        let deadline = Instant::now() + patience;
        while total(super::check::analytics_orders(api, admin).await?) < before + KEPT as i64 {
            if Instant::now() > deadline {
                return Err(anyhow!("analytics did not count the kept orders"));
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        Ok(probe)
    }

    /// Probes until `end` completes (the fault is over): every round reads the product, calls
    /// with the revoked token and retries a kept key.
    pub async fn during(&self, end: impl Future<Output = ()>) -> (Observed, Vec<Finding>) {
        let mut seen = Observed::default();
        let mut findings = Vec::new();
        let mut round = 0;
        let mut end = std::pin::pin!(end);
        loop {
            let path = format!("/products/{}", self.product);
            let started = Instant::now();
            match self.api.call(Method::GET, &path, None, None, &[]).await {
                Ok(a) => *seen.product_reads.entry(a.status).or_default() += 1,
                Err(_) => seen.unanswered += 1,
            }
            seen.timed("productRead", started);
            let started = Instant::now();
            match self.revoked_status().await {
                Ok(status) => *seen.revoked_token.entry(status).or_default() += 1,
                Err(_) => seen.unanswered += 1,
            }
            seen.timed("revokedToken", started);
            let (key, id) = &self.kept[round % self.kept.len()];
            let started = Instant::now();
            let answer = self.retry_key(key).await;
            seen.timed("keptKey", started);
            match answer {
                Ok(a) => {
                    *seen.kept_key_retries.entry(a.status).or_default() += 1;
                    findings.extend(same_order(key, id, &a));
                }
                Err(_) => seen.unanswered += 1,
            }
            round += 1;
            tokio::select! {
                () = &mut end => break,
                () = tokio::time::sleep(Duration::from_millis(250)) => {}
            }
        }
        findings.extend(judge(&seen));
        (seen, findings)
    }

    /// After the outage: each kept key answers its own order again, and the revoked token is
    /// 401 again (never a 2xx on the way), both within `patience`.
    pub async fn after(&self, patience: Duration) -> Vec<Finding> {
        let mut findings = Vec::new();
        let deadline = Instant::now() + patience;
        for (key, id) in &self.kept {
            loop {
                let answer = self.retry_key(key).await;
                if let Ok(a) = &answer {
                    findings.extend(same_order(key, id, a));
                    if a.ok() || !matches!(a.status, 409 | 503) {
                        if !a.ok() {
                            findings.push(wrong(format!(
                                "kept key {key} retried after Redis came back: {}",
                                a.describe()
                            )));
                        }
                        break;
                    }
                }
                if Instant::now() > deadline {
                    findings.push(wrong(format!(
                        "kept key {key} still not answered {} s after Redis came back",
                        patience.as_secs()
                    )));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
        loop {
            match self.revoked_status().await {
                Ok(401) => break,
                Ok(status) if (200..300).contains(&status) => {
                    findings.push(wrong(
                        "the revoked token was accepted after Redis came back".into(),
                    ));
                    break;
                }
                _ if Instant::now() > deadline => {
                    findings.push(wrong("the revoked token is not 401 again".into()));
                    break;
                }
                _ => tokio::time::sleep(Duration::from_millis(300)).await,
            }
        }
        findings
    }
}

fn wrong(what: String) -> Finding {
    Finding {
        kind: Kind::Wrong,
        what,
    }
}

/// A 2xx for a kept key must be its first order.
fn same_order(key: &str, id: &str, answer: &Answer) -> Option<Finding> {
    let got = answer.json["data"]["id"].as_str().unwrap_or("?");
    (answer.ok() && got != id).then(|| Finding {
        kind: Kind::Duplicated,
        what: format!("kept key {key} answered order {got}, first answered {id}"),
    })
}

/// What the outage's answers may not be.
fn judge(seen: &Observed) -> Vec<Finding> {
    let mut findings = Vec::new();
    let not = |map: &BTreeMap<u16, usize>, allowed: &dyn Fn(u16) -> bool| -> Vec<String> {
        map.iter()
            .filter(|(status, _)| !allowed(**status))
            .map(|(status, n)| format!("{n}×{status}"))
            .collect()
    };
    let reads = not(&seen.product_reads, &|s| s == 200);
    if !reads.is_empty() {
        findings.push(wrong(format!(
            "product reads while Redis was down answered {} (they should fall through to MongoDB)",
            reads.join(", ")
        )));
    }
    let revoked = not(&seen.revoked_token, &|s| matches!(s, 401 | 503));
    if !revoked.is_empty() {
        findings.push(wrong(format!(
            "the revoked token while Redis was down got {} (only 401 or 503 fail closed)",
            revoked.join(", ")
        )));
    }
    let kept = not(&seen.kept_key_retries, &|s| {
        (200..300).contains(&s) || s == 503
    });
    if !kept.is_empty() {
        findings.push(wrong(format!(
            "kept keys retried while Redis was down got {} (a replay or 503)",
            kept.join(", ")
        )));
    }
    let slow: Vec<String> = seen
        .slowest_ms
        .iter()
        .filter(|(_, ms)| **ms > SLOW_MS)
        .map(|(probe, ms)| format!("{probe} {ms} ms"))
        .collect();
    if !slow.is_empty() {
        findings.push(wrong(format!(
            "answers while Redis was down took {} (more than {SLOW_MS} ms is a hang, not a 503)",
            slow.join(", ")
        )));
    }
    if seen.product_reads.values().sum::<usize>() == 0 {
        findings.push(wrong("no probe ran while Redis was down".into()));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_500_a_refused_read_or_an_accepted_revoked_token_are_findings() {
        let mut seen = Observed::default();
        seen.product_reads.insert(200, 3);
        seen.revoked_token.extend([(401, 2), (503, 1)]);
        seen.kept_key_retries.extend([(503, 2), (201, 1)]);
        assert!(judge(&seen).is_empty());
        seen.revoked_token.insert(200, 1);
        seen.kept_key_retries.insert(500, 1);
        seen.product_reads.insert(503, 1);
        assert_eq!(judge(&seen).len(), 3);
        seen.slowest_ms.insert("keptKey", 10_000);
        assert_eq!(judge(&seen).len(), 4, "a 10 s answer is a hang");
    }

    #[test]
    fn a_kept_key_answering_another_order_is_a_duplicate() {
        let answer = |status, id: &str| Answer {
            status,
            json: json!({ "data": { "id": id } }),
            retry_after: None,
        };
        assert!(same_order("k", "a", &answer(201, "a")).is_none());
        assert!(same_order("k", "a", &answer(503, "b")).is_none());
        let found = same_order("k", "a", &answer(201, "b")).expect("a finding");
        assert_eq!(found.kind, Kind::Duplicated);
    }
}
