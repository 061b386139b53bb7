//! `cargo xtask bench assistant`: replies per second and latency of `POST /assistant/chat`
//! without an LLM (issue 8's target: p95 under 20 ms), with the embedding model loaded (issue
//! 21), and the intent accuracy per intent with its confusion table on the held-out set
//! ([`accuracy`]; goal: at least 0.95 on every intent).
//!
//! A release build of assistant-service runs on a spare port with its own database
//! (`bench_<run>_assistant`), Redis prefix (`bench:<run>:`) and exchange
//! (`bench.assistant.<run>`), all removed at the end, no
//! `LLM_ENDPOINT` and `RUST_LOG=warn`. The messages need no other service (policy questions,
//! chitchat, off-topic, complaints, follow-ups in a session), so product-, order- and
//! customer-service are pointed at the discard port: a message taken for a product or order
//! question fails fast there and shows in the intent counts. Load comes from client threads
//! in this process (a second process from the service), anonymous, one connection a request.
//!
//! The load's conversations repeat two dozen texts, whose embeddings the service remembers
//! after their first time (`shared::embed`), as it would a shop's many "hi"s and "where is my
//! order?"s. So the held-out set goes first, each text once from the same number of threads:
//! its reply times are those of texts the service has never seen.

use serde_json::{Value, json};

use std::{
    collections::BTreeMap,
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Result, bail};

mod accuracy;
mod report;
#[cfg(test)]
mod tests;

use accuracy::Confusion;
use report::report;

use super::{
    machine::Machine,
    stack::{self, leftovers::Leftovers, percentile},
};
use crate::{ctx::Ctx, http};

/// Measured requests, over all threads.
const REQUESTS: usize = 2000;
/// Client threads.
const THREADS: usize = 4;
/// Requests before the measurement, not counted: the classifier, Redis and MongoDB warm.
const WARM_UP: usize = 200;
/// Longest wait for one answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// More than this share of failed answers makes the figures meaningless.
const MAX_ERROR_SHARE: f64 = 0.001;
/// Issue 8: p95 reply time without an LLM.
const TARGET_P95: Duration = Duration::from_millis(20);
/// The service's log level: per-request `info` lines would be measured too.
const LOG_LEVEL: &str = "warn";

/// What a message is meant to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Policy,
    Chitchat,
    OffTopic,
    Complaint,
}

/// Conversations, each in one session; later messages are follow-ups. One complaint in
/// about ten conversations, so escalations (a MongoDB write and an event) are in the mix.
const CONVERSATIONS: &[&[(Kind, &str)]] = &[
    &[
        (Kind::Chitchat, "Hi"),
        (Kind::Policy, "What is your return policy?"),
        (Kind::Policy, "How long does a refund take?"),
        (Kind::Chitchat, "Thanks, that helps!"),
    ],
    &[
        (Kind::Policy, "How long does shipping take?"),
        (Kind::Policy, "Do you ship internationally?"),
    ],
    &[
        (Kind::OffTopic, "What's the weather like today?"),
        (Kind::OffTopic, "Tell me a joke"),
        (Kind::Chitchat, "Good morning"),
    ],
    &[
        (Kind::Policy, "What payment methods do you accept?"),
        (Kind::Policy, "Is my card information stored securely?"),
    ],
    &[
        (
            Kind::Complaint,
            "My order arrived damaged and I'm very upset",
        ),
        (Kind::Policy, "Can I return a damaged item?"),
        (Kind::Chitchat, "Thank you"),
    ],
    &[
        (Kind::Chitchat, "Hello there"),
        (Kind::Policy, "What does the warranty cover?"),
        (Kind::Policy, "How do I make a warranty claim?"),
    ],
    &[
        (Kind::OffTopic, "Can you help me with my math homework?"),
        (Kind::Policy, "How do you use my personal data?"),
    ],
    &[
        (Kind::Policy, "Can I cancel my order after it is placed?"),
        (Kind::Chitchat, "Great, bye!"),
    ],
    &[
        (Kind::Chitchat, "Hey, how are you?"),
        (Kind::OffTopic, "Who won the football game last night?"),
    ],
    &[
        (Kind::Policy, "How do I contact customer support?"),
        (Kind::Complaint, "I'm really disappointed with the quality"),
    ],
];

/// One request of the schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Turn {
    session: String,
    kind: Kind,
    message: &'static str,
}

/// The `count` requests of client `thread`: whole conversations in turn (starting at a
/// different one per thread), each in a new session named after `run`, the thread and its
/// number; the last may be cut short.
fn schedule(run: &str, thread: usize, count: usize) -> Vec<Turn> {
    let mut turns = Vec::with_capacity(count);
    let mut n = 0;
    while turns.len() < count {
        let conversation = CONVERSATIONS[(thread + n) % CONVERSATIONS.len()];
        let session = format!("bench-{run}-{thread}-{n}");
        for &(kind, message) in conversation.iter().take(count - turns.len()) {
            turns.push(Turn {
                session: session.clone(),
                kind,
                message,
            });
        }
        n += 1;
    }
    turns
}

/// What one request gave.
struct Sample {
    elapsed: Duration,
    /// The intent answered, or why it failed.
    outcome: Result<String, String>,
}

/// Sends one chat message, anonymously.
fn chat(port: u16, turn: &Turn) -> Sample {
    chat_text(port, turn, turn.message)
}

/// Sends `message` in `turn`'s session, anonymously.
fn chat_text(port: u16, turn: &Turn, message: &str) -> Sample {
    let body = json!({ "message": message, "sessionId": turn.session });
    let url = format!("http://127.0.0.1:{port}/assistant/chat");
    let request = http::Request::new("POST", &url).json(body.to_string());
    let begun = Instant::now();
    let reply = request.send(TIMEOUT);
    let elapsed = begun.elapsed();
    let outcome = match reply {
        Ok(r) if r.status == 200 => serde_json::from_str::<Value>(&r.text)
            .ok()
            .and_then(|j| {
                j.pointer("/data/intent")
                    .and_then(|i| i.as_str().map(str::to_owned))
            })
            .ok_or_else(|| format!("200 without data.intent: {}", r.text)),
        Ok(r) => Err(format!("{}: {}", r.status, r.text)),
        Err(e) => Err(e.to_string()),
    };
    Sample { elapsed, outcome }
}

/// Runs `per_thread` requests on each of `threads` threads; all samples and the wall time.
fn load(port: u16, run: &str, threads: usize, per_thread: usize) -> (Vec<Sample>, Duration) {
    let run: Arc<str> = Arc::from(run);
    stack::on_threads(threads, move |thread| {
        schedule(&run, thread, per_thread)
            .iter()
            .map(|turn| chat(port, turn))
            .collect()
    })
}

/// The figures of one measurement.
#[derive(Debug, Clone, PartialEq)]
struct Figures {
    requests: usize,
    errors: usize,
    seconds: f64,
    per_sec: f64,
    p50: Duration,
    p95: Duration,
    p99: Duration,
    max: Duration,
    mean: Duration,
    /// Replies and their p95, by the intent answered.
    intents: BTreeMap<String, (usize, Duration)>,
    first_error: Option<String>,
}

impl Figures {
    fn from_samples(samples: &[Sample], wall: Duration) -> Self {
        let mut times: Vec<Duration> = samples.iter().map(|s| s.elapsed).collect();
        times.sort_unstable();
        let mut by_intent: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
        for sample in samples {
            if let Ok(intent) = &sample.outcome {
                by_intent
                    .entry(intent.clone())
                    .or_default()
                    .push(sample.elapsed);
            }
        }
        let intents = by_intent
            .into_iter()
            .map(|(intent, mut times)| {
                times.sort_unstable();
                (intent, (times.len(), percentile(&times, 95.0)))
            })
            .collect();
        let total: Duration = times.iter().sum();
        let seconds = wall.as_secs_f64();
        Self {
            requests: samples.len(),
            errors: samples.iter().filter(|s| s.outcome.is_err()).count(),
            seconds,
            per_sec: if seconds > 0.0 {
                samples.len() as f64 / seconds
            } else {
                0.0
            },
            p50: percentile(&times, 50.0),
            p95: percentile(&times, 95.0),
            p99: percentile(&times, 99.0),
            max: times.last().copied().unwrap_or_default(),
            mean: total / u32::try_from(times.len().max(1)).unwrap_or(u32::MAX),
            intents,
            first_error: samples.iter().find_map(|s| s.outcome.clone().err()),
        }
    }

    fn met(&self) -> bool {
        self.p95 < TARGET_P95
    }
}

/// Builds, starts, measures, writes `bench/results/assistant.{json,md}`; stops what it
/// started.
pub fn run(ctx: &Ctx) -> Result<()> {
    // loadgen: it removes the run's database and queues at the end.
    let (mut cleanup, urls) = stack::begin(ctx, &["assistant-service", "loadgen"])?;
    let run = stack::run_id();
    let leftovers = Leftovers::new("assistant", &run, &urls);
    let exchange = leftovers.exchange.clone();
    cleanup.started.leftovers.push(leftovers);
    let [port] = stack::spare_ports::<1>()?;
    let name = "assistant-service";
    let mut cmd = Command::new(ctx.paths.release_binary(name));
    cmd.current_dir(&ctx.paths.root)
        .envs(urls.env())
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("MONGODB_DB", format!("bench_{run}_assistant"))
        .env("REDIS_PREFIX", format!("bench:{run}:"))
        .env("EVENTS_EXCHANGE", &exchange)
        .env("RUST_LOG", LOG_LEVEL)
        .env_remove("LLM_ENDPOINT")
        .envs(crate::model::env(ctx));
    // Not needed by these messages; the discard port refuses at once.
    for var in [
        "PRODUCT_SERVICE_URL",
        "ORDER_SERVICE_URL",
        "CUSTOMER_SERVICE_URL",
    ] {
        cmd.env(var, "http://127.0.0.1:9");
    }
    cmd.env("JWKS_URL", "http://127.0.0.1:9/.well-known/jwks.json");
    stack::spawn(ctx, &mut cleanup.started, name, cmd)?;
    stack::wait_until(ctx, &mut cleanup.started, name, || stack::healthy(port))?;

    let model = embeddings_on(port);
    let set = accuracy::read(&ctx.paths.root)?;
    ctx.progress.step(
        "bench",
        format!(
            "intent accuracy: {} held-out messages (embedding model {})",
            set.len(),
            if model { "on" } else { "OFF" }
        ),
    );
    let (confusion, novel) = evaluate(port, &run, &set);
    ctx.progress
        .step("bench", format!("warming up: {WARM_UP} requests"));
    let (warm, _) = load(port, &format!("{run}w"), THREADS, WARM_UP / THREADS);
    if let Some(error) = warm.iter().find_map(|s| s.outcome.as_ref().err()) {
        bail!("warming up, POST /assistant/chat failed: {error}");
    }
    let before = super::machine::load_average();
    ctx.progress.step(
        "bench",
        format!("measuring: {REQUESTS} requests from {THREADS} threads"),
    );
    let (samples, wall) = load(port, &run, THREADS, REQUESTS / THREADS);
    let figures = Figures::from_samples(&samples, wall);
    drop(cleanup);

    if figures.errors as f64 > MAX_ERROR_SHARE * figures.requests as f64 {
        bail!(
            "{} of {} chat requests failed: the figures would be meaningless; first: {}",
            figures.errors,
            figures.requests,
            figures.first_error.as_deref().unwrap_or("?")
        );
    }
    let machine = Machine::describe(ctx, Vec::new(), before);
    report(
        ctx,
        &figures,
        &Accuracy {
            model,
            confusion,
            novel,
        },
        &machine,
    )
}

/// Whether the service's `/health` says the embedding model is loaded.
fn embeddings_on(port: u16) -> bool {
    http::get(port, "/health", TIMEOUT)
        .ok()
        .and_then(|r| serde_json::from_str::<Value>(&r.text).ok())
        .is_some_and(|h| {
            let features = h.get("data").unwrap_or(&h).get("features").cloned();
            features.and_then(|f| f.get("embeddings").cloned()) == Some(Value::from("on"))
        })
}

/// Sends each held-out message once, as the first of a new session, from [`THREADS`] threads
/// (before anything else, so no text has been seen and none is remembered): the answers'
/// intents, and the times of replies to texts the service meets for the first time.
fn evaluate(port: u16, run: &str, set: &[accuracy::Labelled]) -> (Confusion, Figures) {
    let texts: Arc<Vec<String>> = Arc::new(set.iter().map(|l| l.text.clone()).collect());
    let run: Arc<str> = Arc::from(run);
    let (mut samples, wall) = stack::on_threads(THREADS, move |thread| {
        (thread..texts.len())
            .step_by(THREADS)
            .map(|n| {
                let turn = Turn {
                    session: format!("bench-{run}-eval-{n}"),
                    kind: Kind::Policy,
                    message: "",
                };
                (n, chat_text(port, &turn, &texts[n]))
            })
            .collect()
    });
    samples.sort_by_key(|(n, _)| *n);
    let mut confusion = Confusion::default();
    for (n, sample) in &samples {
        confusion.add(&set[*n].intent, sample.outcome.as_deref().ok());
    }
    let samples: Vec<Sample> = samples.into_iter().map(|(_, sample)| sample).collect();
    (confusion, Figures::from_samples(&samples, wall))
}

/// The accuracy measurement, whether the model was on, and the reply times of those messages.
struct Accuracy {
    model: bool,
    confusion: Confusion,
    /// Replies to the held-out messages, each sent once: nothing the service had seen.
    novel: Figures,
}
