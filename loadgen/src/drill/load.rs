//! The order load: one task per customer, every order with its own `Idempotency-Key`
//! (retried with the same key when the answer was lost), some cancelled at once and some on
//! the scarce product, so that releases and rejections happen during the fault too.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use reqwest::Method;
use serde_json::json;
use tokio::{sync::mpsc, task::JoinHandle, time::Instant};

use super::api::{self, Account, Api};

/// What came of one order attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: the order's id.
    Accepted(String),
    /// An answer refusing it: the status and the envelope's message.
    Refused(u16, String),
    /// No answer, or only 502/504 (or a key still in flight), even after retrying the key.
    Unknown(String),
}

/// One order attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// When the final answer came.
    pub at: Instant,
    /// What came of it.
    pub outcome: Outcome,
}

/// The products a load orders.
#[derive(Debug, Clone)]
pub struct Products {
    /// Plenty of stock: orders are confirmed.
    pub main: String,
    /// Little stock: it runs out, later orders are rejected.
    pub scarce: String,
}

/// How a customer orders.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// One order per tick (a customer waits out the rest of the tick after an answer).
    pub tick: Duration,
    /// Orders per customer; `None`: until stopped.
    pub orders: Option<u64>,
    /// Every n-th order goes to the scarce product.
    pub scarce_every: u64,
    /// Every n-th accepted order is cancelled at once.
    pub cancel_every: u64,
    /// Tries of one key while the answer is lost (transport error, 502, 504).
    pub tries: u32,
    /// 409s (the key still in flight) waited out for one key: a claim whose request died
    /// with its service stays until it expires; past these, the answer counts as lost.
    pub conflicts: u32,
}

impl Plan {
    /// `cargo xtask drill`'s: an order a second until stopped, every sixth scarce, every
    /// fifth cancelled.
    pub const STEADY: Self = Self {
        tick: Duration::from_secs(1),
        orders: None,
        scarce_every: 6,
        cancel_every: 5,
        tries: 4,
        conflicts: 20,
    };
}

/// A running load.
pub struct Load {
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<Vec<Attempt>>>,
    /// Accepted orders as they come: (order id, the index of the customer who placed it).
    pub accepted: mpsc::UnboundedReceiver<(String, usize)>,
}

impl Load {
    /// Starts one worker per customer; keys start with `prefix` (unique per drill).
    pub fn start(
        api: &Api,
        customers: &[Account],
        products: &Products,
        prefix: &str,
        plan: Plan,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, accepted) = mpsc::unbounded_channel();
        let workers = customers
            .iter()
            .enumerate()
            .map(|(index, customer)| {
                let worker = Worker {
                    api: api.clone(),
                    customer: customer.clone(),
                    index,
                    products: products.clone(),
                    prefix: format!("{prefix}-c{index}"),
                    stop: stop.clone(),
                    accepted: tx.clone(),
                    plan,
                };
                tokio::spawn(worker.run())
            })
            .collect();
        Self {
            stop,
            workers,
            accepted,
        }
    }

    /// Stops placing orders (a planned count runs to its end) and returns every attempt.
    pub async fn stop(self) -> Vec<Attempt> {
        self.stop.store(true, Ordering::SeqCst);
        let mut attempts = Vec::new();
        for worker in self.workers {
            attempts.extend(worker.await.unwrap_or_default());
        }
        attempts
    }
}

struct Worker {
    api: Api,
    customer: Account,
    index: usize,
    products: Products,
    prefix: String,
    stop: Arc<AtomicBool>,
    accepted: mpsc::UnboundedSender<(String, usize)>,
    plan: Plan,
}

impl Worker {
    fn stopped(&self) -> bool {
        self.plan.orders.is_none() && self.stop.load(Ordering::SeqCst)
    }

    async fn run(self) -> Vec<Attempt> {
        let mut attempts = Vec::new();
        let mut n = 0_u64;
        while !self.stopped() && self.plan.orders.is_none_or(|count| n < count) {
            let tick = Instant::now();
            n += 1;
            let product = if n.is_multiple_of(self.plan.scarce_every) {
                &self.products.scarce
            } else {
                &self.products.main
            };
            let key = format!("{}-{n}", self.prefix);
            let outcome = self.place(&key, product, 1 + n % 3).await;
            if let Outcome::Accepted(id) = &outcome {
                let _ = self.accepted.send((id.clone(), self.index));
                if n.is_multiple_of(self.plan.cancel_every) {
                    self.cancel(id).await;
                }
            }
            attempts.push(Attempt {
                at: Instant::now(),
                outcome,
            });
            tokio::time::sleep_until(tick + self.plan.tick).await;
        }
        attempts
    }

    async fn place(&self, key: &str, product: &str, quantity: u64) -> Outcome {
        let body = json!({
            "items": [{ "productId": product, "quantity": quantity }],
            "shippingAddress": api::address(),
        });
        let headers = [("idempotency-key", key)];
        let (mut lost, mut tries, mut conflicts) = (String::new(), 0, 0);
        while tries < self.plan.tries {
            let answer = self
                .api
                .call(
                    Method::POST,
                    "/orders",
                    Some(&self.customer),
                    Some(&body),
                    &headers,
                )
                .await;
            let pause = match answer {
                Ok(a) if a.ok() => {
                    return match a.json["data"]["id"].as_str() {
                        Some(id) => Outcome::Accepted(id.to_owned()),
                        None => Outcome::Unknown(format!("{} without an id", a.status)),
                    };
                }
                // Not counted as a try: the gateway's quota, or the same key still in flight.
                Ok(a) if a.status == 429 => Duration::from_secs(a.retry_after.unwrap_or(1)),
                // The key's first request is still claimed: its answer was lost (its service
                // died with it), and the claim expires only after a while.
                Ok(a) if a.status == 409 => {
                    conflicts += 1;
                    if conflicts > self.plan.conflicts {
                        return Outcome::Unknown(a.describe());
                    }
                    lost = a.describe();
                    Duration::from_millis(500)
                }
                // After an answer was lost, a 503 does not say the lost try did nothing (its
                // claim may have been made before the dependency went): only the key, retried,
                // can tell.
                Ok(a) if matches!(a.status, 502 | 504) || (a.status == 503 && !lost.is_empty()) => {
                    tries += 1;
                    lost = a.describe();
                    Duration::from_secs(1)
                }
                Ok(a) => return Outcome::Refused(a.status, a.describe()),
                Err(error) => {
                    tries += 1;
                    lost = error.to_string();
                    Duration::from_secs(1)
                }
            };
            if self.stopped() && tries > 0 {
                break;
            }
            tokio::time::sleep(pause).await;
        }
        Outcome::Unknown(lost)
    }

    /// Cancels as the customer; whatever the answer, the order's final status says what
    /// happened, and the checks hold stock and analytics to it.
    async fn cancel(&self, id: &str) {
        let body = json!({ "reason": "drill" });
        let path = format!("/orders/{id}/cancel");
        let _ = self
            .api
            .call(Method::POST, &path, Some(&self.customer), Some(&body), &[])
            .await;
    }
}
