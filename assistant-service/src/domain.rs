//! What the assistant knows and decides, without I/O: text features, intents and their
//! classifier (with the rules of `rules`, `wrongdoing`, `situations` and `loyalty`, and the
//! nearest labelled examples of `neighbours`), the labelled examples, the knowledge base with
//! its retrieval and citation checks, and the persona with its output filter.

pub mod citations;
pub mod classifier;
pub mod examples;
pub mod intent;
pub mod knowledge;
pub mod lexicon;
pub mod loyalty;
pub mod neighbours;
pub mod persona;
pub mod rules;
pub mod situations;
pub mod text;
pub mod wrongdoing;

pub use classifier::{Classification, Classifier};
pub use intent::Intent;
pub use knowledge::{KnowledgeBase, Policy};
pub use neighbours::Neighbours;
pub use persona::Persona;
pub use wrongdoing::Wrongdoing;
