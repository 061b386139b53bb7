//! The steady order load: one thread per customer, an order a second each, every order with
//! its own `Idempotency-Key` (retried with the same key when the answer was lost), every
//! fifth accepted order cancelled at once and every sixth on the scarce product, so that
//! releases and rejections happen during the fault too.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use super::api::{Account, Api};
use crate::json::Json;

/// One order each customer places per tick.
const TICK: Duration = Duration::from_secs(1);
/// Tries of one key while the answer is lost (transport error, 502, 504).
const TRIES: u32 = 4;

/// What came of one order attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: the order's id.
    Accepted(String),
    /// An answer refusing it: the status and the envelope's message.
    Refused(u16, String),
    /// No answer, or only 502/504, even after retrying the key.
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

/// 409s (`Idempotency-Key` still in flight) waited out for one key: a claim whose request
/// died with its service stays until it expires.
const MAX_CONFLICTS: u32 = 20;

/// The products a load orders.
#[derive(Debug, Clone)]
pub struct Products {
    /// Plenty of stock: orders are confirmed.
    pub main: String,
    /// Little stock: it runs out, later orders are rejected.
    pub scarce: String,
}

/// A running load.
pub struct Load {
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<Vec<Attempt>>>,
    /// Accepted orders as they come: (order id, the index of the customer who placed it).
    pub accepted: mpsc::Receiver<(String, usize)>,
}

impl Load {
    /// Starts one worker per customer; keys start with `prefix` (unique per drill).
    pub fn start(api: &Api, customers: &[Account], products: &Products, prefix: &str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, accepted) = mpsc::channel();
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
                };
                std::thread::spawn(move || worker.run())
            })
            .collect();
        Self {
            stop,
            workers,
            accepted,
        }
    }

    /// Stops placing orders and returns every attempt.
    pub fn stop(self) -> Vec<Attempt> {
        self.stop.store(true, Ordering::SeqCst);
        self.workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    }
}

struct Worker {
    api: Api,
    customer: Account,
    index: usize,
    products: Products,
    prefix: String,
    stop: Arc<AtomicBool>,
    accepted: mpsc::Sender<(String, usize)>,
}

impl Worker {
    fn run(self) -> Vec<Attempt> {
        let mut attempts = Vec::new();
        let mut n = 0_u64;
        while !self.stop.load(Ordering::SeqCst) {
            let tick = Instant::now();
            n += 1;
            let product = if n.is_multiple_of(6) {
                &self.products.scarce
            } else {
                &self.products.main
            };
            let quantity = 1 + (n % 3) as i64;
            let key = format!("{}-{n}", self.prefix);
            let outcome = self.place(&key, product, quantity);
            if let Outcome::Accepted(id) = &outcome {
                let _ = self.accepted.send((id.clone(), self.index));
                if n.is_multiple_of(5) {
                    self.cancel(id);
                }
            }
            attempts.push(Attempt {
                at: Instant::now(),
                outcome,
            });
            if let Some(rest) = TICK.checked_sub(tick.elapsed()) {
                std::thread::sleep(rest);
            }
        }
        attempts
    }

    fn place(&self, key: &str, product: &str, quantity: i64) -> Outcome {
        let line = Json::Object(vec![
            ("productId".into(), Json::String(product.to_owned())),
            ("quantity".into(), Json::Number(quantity as f64)),
        ]);
        let body = Json::Object(vec![("items".into(), Json::Array(vec![line]))]);
        let headers = [("Idempotency-Key", key)];
        let mut lost = String::new();
        let mut tries = 0;
        let mut conflicts = 0;
        while tries < TRIES {
            let answer = self.api.call(
                "POST",
                "/orders",
                Some(&self.customer),
                Some(&body),
                &headers,
            );
            let pause = match answer {
                Ok(a) if a.ok() => {
                    let id = a.json.pointer(&["data", "id"]).and_then(Json::as_str);
                    return match id {
                        Some(id) => Outcome::Accepted(id.to_owned()),
                        None => Outcome::Unknown(format!("{} without an id", a.status)),
                    };
                }
                // Not counted as a try: the gateway's quota, or the same key still in flight.
                Ok(a) if a.status == 429 => Duration::from_secs(a.retry_after.unwrap_or(1)),
                Ok(a) if a.status == 409 && conflicts < MAX_CONFLICTS => {
                    conflicts += 1;
                    lost = a.describe();
                    Duration::from_millis(500)
                }
                Ok(a) if matches!(a.status, 502 | 504) => {
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
            if self.stop.load(Ordering::SeqCst) && tries > 0 {
                break;
            }
            std::thread::sleep(pause);
        }
        Outcome::Unknown(lost)
    }

    /// Cancels as the customer; whatever the answer, the order's final status says what
    /// happened, and the checks hold stock and analytics to it.
    fn cancel(&self, id: &str) {
        let body = Json::Object(vec![("reason".into(), Json::String("drill".into()))]);
        let _ = self.api.call(
            "POST",
            &format!("/orders/{id}/cancel"),
            Some(&self.customer),
            Some(&body),
            &[],
        );
    }
}
