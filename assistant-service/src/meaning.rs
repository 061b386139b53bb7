//! The embedding model in the assistant (issue 21): loaded at start from
//! `EMBEDDING_MODEL_DIR`, it embeds the labelled examples of `data/intents.tsv` and the
//! policies once, then each message as it comes, so intents and policies are found by meaning
//! as well as by words.
//!
//! The examples' and policies' vectors are computed once per process and model folder and
//! kept ([`load`] caches them): a second instance in the same process (a test's replica, a
//! restart in place) reuses them instead of embedding some 500 texts again. Without a folder,
//! or when the model cannot be loaded, there is no [`Meaning`]: the classifier and the
//! retrieval work by words and rules alone, and `/health` says `features.embeddings: "off"`.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::Instant,
};

use shared::embed::{EmbedError, Embedder};

use crate::domain::{
    KnowledgeBase, Neighbours,
    classifier::{TRAINING_SET, parse_examples},
};

/// The loaded model and what it computed at start.
#[derive(Clone)]
pub struct Meaning {
    /// The model, to embed each message.
    pub embedder: Embedder,
    /// The labelled examples and their embeddings.
    pub neighbours: Neighbours,
    /// The shipped policies' embeddings, in the knowledge base's order.
    pub policies: Vec<Vec<f32>>,
}

impl std::fmt::Debug for Meaning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meaning")
            .field("examples", &self.neighbours.len())
            .field("policies", &self.policies.len())
            .finish()
    }
}

impl Meaning {
    /// Loads the model from `dir` and embeds the shipped examples and policies.
    pub async fn compute(dir: &Path) -> Result<Self, EmbedError> {
        let embedder = Embedder::load_async(dir).await?;
        let examples = parse_examples(TRAINING_SET).expect("data/intents.tsv is well-formed");
        let texts: Vec<String> = examples.iter().map(|e| e.text.clone()).collect();
        let vectors = embedder.embed(texts).await?;
        let neighbours = Neighbours::new(
            examples
                .into_iter()
                .zip(vectors)
                .map(|(e, v)| (e.label(), e.text, v))
                .collect(),
        );
        let policies = embedder
            .embed(KnowledgeBase::shipped().texts_to_embed())
            .await?;
        Ok(Self {
            embedder,
            neighbours,
            policies,
        })
    }

    /// The embedding of one message.
    pub async fn embed(&self, message: &str) -> Result<Vec<f32>, EmbedError> {
        self.embedder.embed_one(message.to_owned()).await
    }
}

/// What each model folder gave in this process. Held while a folder is loaded, so instances
/// starting together wait for the first one's vectors instead of computing their own.
static LOADED: tokio::sync::Mutex<Option<HashMap<PathBuf, Meaning>>> =
    tokio::sync::Mutex::const_new(None);

/// The model of `dir` with the shipped examples and policies embedded, computed once per
/// process and folder; `None` (said in the log) without a folder or when it cannot be loaded.
pub async fn load(dir: Option<&Path>) -> Option<Meaning> {
    let Some(dir) = dir else {
        tracing::info!("no EMBEDDING_MODEL_DIR: intents and policies by words and rules only");
        return None;
    };
    let mut loaded = LOADED.lock().await;
    if let Some(meaning) = loaded.as_ref().and_then(|all| all.get(dir)) {
        return Some(meaning.clone());
    }
    let started = Instant::now();
    match Meaning::compute(dir).await {
        Ok(meaning) => {
            tracing::info!(
                dir = %dir.display(),
                examples = meaning.neighbours.len(),
                policies = meaning.policies.len(),
                ms = started.elapsed().as_millis(),
                "embedding model loaded: intents and policies by meaning too"
            );
            loaded
                .get_or_insert_with(HashMap::new)
                .insert(dir.to_path_buf(), meaning.clone());
            Some(meaning)
        }
        Err(error) => {
            tracing::warn!(
                dir = %dir.display(),
                %error,
                "cannot load the embedding model: intents and policies by words and rules only"
            );
            None
        }
    }
}
