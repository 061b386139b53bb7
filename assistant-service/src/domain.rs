//! What the assistant knows and decides, without I/O: text features, intents and their
//! classifier (with the rules of `rules` and `loyalty`), the knowledge base with its retrieval
//! and citation checks, and the persona with its output filter.

pub mod citations;
pub mod classifier;
pub mod intent;
pub mod knowledge;
pub mod lexicon;
pub mod loyalty;
pub mod persona;
pub mod rules;
pub mod text;

pub use classifier::{Classification, Classifier};
pub use intent::Intent;
pub use knowledge::{KnowledgeBase, Policy};
pub use persona::Persona;
