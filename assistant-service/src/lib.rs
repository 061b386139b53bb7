//! assistant-service: the support assistant: intents, function calling, grounded answers.
//!
//! # Layout
//! - [`config`]: the settings, including where the other services and the optional LLM live.
//! - [`state`]: what handlers share.
//! - [`domain`]: no I/O: text features, the intent classifier and its rules, the knowledge
//!   base with BM25 retrieval and citation checks, the persona and its output filter.
//! - [`functions`]: the function registry and the shop's functions.
//! - [`upstream`]: product-, order- and customer-service over HTTP, as the caller.
//! - [`llm`]: the optional model (chat completions or `/generate`).
//! - [`meaning`]: the optional embedding model, with the examples and policies it embedded.
//! - [`session`]: conversations in Redis.
//! - [`engine`]: one turn, from message to checked answer.
//! - [`events`]: the payloads published and the consumer of `topology::ASSISTANT`.
//! - [`store`]: replies and escalations in MongoDB, with their events (the outbox).
//! - [`support`]: the hand-over to a person: the support queue, transcripts and the relay
//!   between the customer's and the agent's sockets.
//! - [`routes`]: `POST /assistant/chat`, `GET /assistant/functions`, `GET /ws/chat/{id}`, and
//!   the support queue and `GET /ws/support/{id}`.
//!
//! The data the assistant is built from ships in `data/`: `intents.tsv` (labelled examples),
//! `ground-truth.json` (policies) and `prompts.yaml` (identity and replies).
//!
//! [`app`] builds the router without I/O; [`run`] connects the real dependencies and serves.
//! `/health` and `/metrics` come from [`shared::server`].

pub mod config;
pub mod domain;
pub mod engine;
pub mod events;
pub mod functions;
pub mod llm;
pub mod meaning;
pub mod routes;
pub mod session;
pub mod state;
pub mod store;
pub mod support;
pub mod upstream;

use std::{sync::Arc, time::Duration};

use axum::Router;
use shared::{outbox::Relay, server::StartError};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::{Config, DEFAULTS};
pub use state::AppState;

/// The service's own routes.
pub fn app(state: AppState) -> Router {
    routes::router().with_state(state)
}

/// How often the outbox relay looks for pending events when no write nudged it.
const OUTBOX_POLL: Duration = Duration::from_millis(500);

/// The intent rules and the knowledge base, each with the model's vectors when it loaded.
fn recognition(meaning: Option<&meaning::Meaning>) -> (domain::Classifier, domain::KnowledgeBase) {
    match meaning {
        Some(m) => (
            domain::Classifier::shipped().with_neighbours(m.neighbours.clone()),
            domain::KnowledgeBase::shipped().with_vectors(m.policies.clone()),
        ),
        None => (
            domain::Classifier::shipped(),
            domain::KnowledgeBase::shipped(),
        ),
    }
}

/// Loads the embedding model when `EMBEDDING_MODEL_DIR` names one (embedding the labelled
/// examples and the policies), connects MongoDB, RabbitMQ and Redis (without waiting for
/// them), trains the classifier, starts the outbox relay and the event consumer, and serves on
/// `listener` until `cancel` fires.
pub async fn run(
    config: Config,
    listener: TcpListener,
    cancel: CancellationToken,
) -> Result<(), StartError> {
    let service = config.service.clone();
    let meaning = meaning::load(config.embedding_model_dir.as_deref()).await;
    shared::server::run_service(&service, listener, cancel.clone(), move |infra| {
        infra
            .health
            .feature("embeddings", if meaning.is_some() { "on" } else { "off" });
        let db = infra.db().clone();
        let redis = infra
            .redis
            .clone()
            .expect("assistant-service is configured with Redis");
        let board = support::Switchboard::start(redis.clone(), cancel.clone());
        let sessions = session::Sessions::new(redis, config.session_ttl);
        let desk = support::Desk::new(db.clone(), board, sessions.clone(), config.support_lease);
        desk.spawn_sweep(cancel.clone());
        let relay = Relay::new(
            db.clone(),
            &[
                store::REPLIES,
                store::ESCALATIONS,
                store::SECURITY_INCIDENTS,
            ],
            infra.bus().clone(),
            OUTBOX_POLL,
        );
        let upstream = upstream::Upstream::new(
            &config.services,
            config.upstream_timeout,
            &config.service.tls,
        );
        let (classifier, knowledge) = recognition(meaning.as_ref());
        let engine = engine::Engine {
            classifier,
            knowledge,
            meaning,
            persona: domain::Persona::shipped(),
            functions: functions::shop::registry(upstream.clone()),
            upstream,
            llm: config
                .llm
                .clone()
                .map(|llm| llm::Llm::new(llm, &config.service.tls)),
            sessions: sessions.clone(),
            support: desk,
            db: db.clone(),
            nudge: relay.nudge(),
            bus: infra.bus.clone(),
            recorder: engine::Recorder::spawn(
                db.clone(),
                relay.nudge(),
                infra.bus.clone(),
                cancel.clone(),
            ),
        };
        infra.health.watch(relay.heartbeat());
        relay.spawn(cancel.clone());
        infra.after_indexes(
            &cancel,
            |db| async move { store::create_indexes(&db).await },
            || {},
        );
        events::consumer::start(infra.bus(), sessions, db.clone());
        app(AppState {
            infra,
            engine: Arc::new(engine),
            heartbeat: config.heartbeat,
        })
    })
    .await
}
