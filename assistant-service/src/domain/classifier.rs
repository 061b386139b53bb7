//! Intent detection: rules first ([`super::rules`], [`super::wrongdoing`],
//! [`super::situations`], [`super::loyalty`]), then a model trained at start from the labelled
//! examples of `data/intents.tsv`: a multinomial naive Bayes model over word and bigram
//! features, joined, when the embedding model is loaded, by the nearest labelled examples by
//! meaning ([`super::neighbours`]). Deterministic and explainable: every answer says which
//! rule fired, or which words and which example weighed most.
//!
//! The two are mixed per label as `p = KNN_WEIGHT · p_knn + (1 − KNN_WEIGHT) · p_words`, where
//! `p_knn` is a softmax (temperature [`TEMPERATURE`]) of each label's mean similarity to its
//! nearest examples; the intent is the one with the highest summed probability of its
//! labels. Without the embedding model `p = p_words`: today's behaviour.

use std::collections::{HashMap, HashSet};

pub use super::examples::{EVALUATION_SET, Example, Label, TRAINING_SET, parse_examples};
use super::{
    intent::Intent,
    loyalty,
    neighbours::{Nearest, Neighbours},
    rules::{self, Rule},
    situations, text,
    wrongdoing::{self, Wrongdoing},
};

/// Additive smoothing of the word model.
const ALPHA: f64 = 0.5;
/// The share of the nearest examples in the decision when the embedding model is loaded.
pub const KNN_WEIGHT: f64 = 0.7;
/// Softmax temperature over the labels' similarities: 0.05 makes a label 0.1 closer about
/// seven times likelier.
pub const TEMPERATURE: f64 = 0.05;
/// A violation no rule saw must be at least this sure: ending someone's conversation on a
/// guess is worse than answering a request we should have refused.
pub const VIOLATION_FLOOR: f64 = 0.6;

/// How much a concept feature counts against one word.
const CONCEPT_WEIGHT: f64 = 2.0;

/// Words too common to say anything alone (they still count inside word pairs).
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "is", "are", "do", "doe", "did", "i", "me", "to", "of", "for", "in", "on",
    "it", "and", "or", "be", "this", "that", "with", "at", "from", "so", "im", "am", "was",
];

/// The features of a message: words, word pairs and concepts.
fn features(message: &str) -> Vec<String> {
    let tokens = text::tokens(message);
    let mut out: Vec<String> = text::features(&tokens)
        .into_iter()
        .filter(|f| !STOPWORDS.contains(&f.as_str()))
        .collect();
    out.extend(super::lexicon::concepts(&tokens));
    out
}

fn weight(feature: &str) -> f64 {
    if feature.starts_with('@') {
        CONCEPT_WEIGHT
    } else {
        1.0
    }
}

/// What the classifier decided, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    /// The intent.
    pub intent: Intent,
    /// For a request for wrongdoing, its kind (`None` with a violation is abuse).
    pub wrongdoing: Option<Wrongdoing>,
    /// How sure: the model's posterior probability, or a fixed high value for a rule.
    pub confidence: f64,
    /// The rule that decided, if one did.
    pub rule: Option<Rule>,
    /// The features that weighed most for the intent, and the nearest example when the
    /// embedding model is loaded (empty when a rule decided alone).
    pub evidence: Vec<String>,
}

struct ClassModel {
    label: Label,
    log_prior: f64,
    /// Log-probability of each feature given the class.
    log_likelihood: HashMap<String, f64>,
    /// Log-probability of a feature never seen with the class.
    log_unseen: f64,
}

/// The trained classifier. Cheap to share behind an `Arc`.
pub struct Classifier {
    classes: Vec<ClassModel>,
    vocabulary: HashSet<String>,
    neighbours: Option<Neighbours>,
}

impl Classifier {
    /// Trains the word model on `examples` (one class per label).
    pub fn train(examples: &[Example]) -> Self {
        let mut vocabulary = HashSet::new();
        let mut per_class: HashMap<Label, (usize, HashMap<String, f64>)> = HashMap::new();
        for example in examples {
            let features: HashSet<String> = features(&example.text).into_iter().collect();
            let (docs, counts) = per_class.entry(example.label()).or_default();
            *docs += 1;
            for f in features {
                *counts.entry(f.clone()).or_default() += weight(&f);
                vocabulary.insert(f);
            }
        }
        let v = vocabulary.len() as f64;
        let mut labels: Vec<Label> = per_class.keys().copied().collect();
        labels.sort();
        let classes = labels
            .into_iter()
            .map(|label| {
                let (docs, counts) = &per_class[&label];
                let total: f64 = counts.values().sum();
                let denominator = total + ALPHA * v;
                ClassModel {
                    label,
                    log_prior: (*docs as f64 / examples.len() as f64).ln(),
                    log_likelihood: counts
                        .iter()
                        .map(|(f, c)| (f.clone(), ((c + ALPHA) / denominator).ln()))
                        .collect(),
                    log_unseen: (ALPHA / denominator).ln(),
                }
            })
            .collect();
        Self {
            classes,
            vocabulary,
            neighbours: None,
        }
    }

    /// Trained on every shipped example.
    pub fn shipped() -> Self {
        Self::train(&parse_examples(TRAINING_SET).expect("data/intents.tsv is well-formed"))
    }

    /// The same classifier, also weighing the nearest labelled examples by meaning.
    pub fn with_neighbours(mut self, neighbours: Neighbours) -> Self {
        self.neighbours = Some(neighbours);
        self
    }

    /// Whether the nearest examples take part (the embedding model is loaded).
    pub fn by_meaning(&self) -> bool {
        self.neighbours.is_some()
    }

    /// Decides the intent of `message` by rules and words alone.
    pub fn classify(&self, message: &str) -> Classification {
        self.classify_with(message, None)
    }

    /// Decides the intent of `message`, whose embedding is `meaning` when the model could
    /// compute one.
    pub fn classify_with(&self, message: &str, meaning: Option<&[f32]>) -> Classification {
        let by_rule = |intent, confidence, rule| Classification {
            intent,
            wrongdoing: None,
            confidence,
            rule: Some(rule),
            evidence: Vec::new(),
        };
        if rules::is_abuse(message) {
            return by_rule(Intent::Violation, 0.99, Rule::Abuse);
        }
        if let Some(kind) = wrongdoing::detect(message) {
            return Classification {
                wrongdoing: Some(kind),
                ..by_rule(Intent::Violation, 0.97, Rule::Wrongdoing)
            };
        }
        if rules::is_injection(message) {
            return by_rule(Intent::OffTopic, 0.95, Rule::Injection);
        }
        if rules::is_identity_probe(message) {
            return by_rule(Intent::Chitchat, 0.95, Rule::IdentityProbe);
        }
        if rules::is_human_request(message) {
            // The intent whose answer is an escalation.
            return by_rule(Intent::Complaint, 0.95, Rule::HumanRequest);
        }
        if situations::is_delivery_problem(message) {
            return by_rule(Intent::Complaint, 0.9, Rule::DeliveryProblem);
        }
        let model = self.model_with(message, meaning);
        if model.intent == Intent::Complaint {
            return model;
        }
        if !text::order_ids(message).is_empty() {
            return Classification {
                intent: Intent::OrderStatus,
                wrongdoing: None,
                confidence: model.confidence.max(0.95),
                rule: Some(Rule::OrderId),
                evidence: vec![text::ORDER_ID.to_owned()],
            };
        }
        if let Some((intent, rule)) = loyalty::route(message) {
            return by_rule(intent, 0.9, rule);
        }
        if situations::is_gift_search(message) && model.intent != Intent::Violation {
            return by_rule(Intent::ProductSearch, 0.9, Rule::GiftSearch);
        }
        model
    }

    /// The word model's decision alone, without rules or meaning.
    pub fn model(&self, message: &str) -> Classification {
        self.model_with(message, None)
    }

    /// Moves the word posterior `p` (per class) toward the nearest examples' vote, by
    /// [`KNN_WEIGHT`].
    fn lean_on(&self, p: &mut [f64], nearest: &Nearest) {
        let scores: Vec<f64> = self
            .classes
            .iter()
            .map(|c| {
                nearest
                    .labels
                    .iter()
                    .find(|s| s.label == c.label)
                    .map_or(0.0, |s| f64::from(s.score))
            })
            .collect();
        for (p, k) in p.iter_mut().zip(softmax(&scores)) {
            *p = KNN_WEIGHT * k + (1.0 - KNN_WEIGHT) * *p;
        }
    }

    /// The posterior `p` (per class) summed per intent, in the intents' order.
    fn by_intent(&self, p: &[f64]) -> Vec<(Intent, f64)> {
        Intent::ALL
            .into_iter()
            .map(|intent| {
                let sum = self
                    .classes
                    .iter()
                    .zip(p)
                    .filter(|(c, _)| c.label.intent == intent)
                    .map(|(_, p)| p)
                    .sum();
                (intent, sum)
            })
            .collect()
    }

    /// The model's decision without rules: words, and the nearest examples when `meaning`
    /// is given and the examples' embeddings are loaded.
    pub fn model_with(&self, message: &str, meaning: Option<&[f32]>) -> Classification {
        let features: Vec<String> = features(message)
            .into_iter()
            .filter(|f| self.vocabulary.contains(f))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let nearest = meaning
            .zip(self.neighbours.as_ref())
            .map(|(vector, n)| n.nearest(vector));
        if features.is_empty() && nearest.is_none() {
            // Nothing we have ever seen: not something the shop can help with.
            return Classification {
                intent: Intent::OffTopic,
                wrongdoing: None,
                confidence: 1.0 / Intent::ALL.len() as f64,
                rule: None,
                evidence: Vec::new(),
            };
        }
        let mut p = self.word_posterior(&features);
        if let Some(nearest) = &nearest {
            self.lean_on(&mut p, nearest);
        }
        let mut by_intent = self.by_intent(&p);
        by_intent.sort_by(|a, b| b.1.total_cmp(&a.1));
        let kind_of = |intent: Intent| {
            self.classes
                .iter()
                .zip(&p)
                .filter(|(c, _)| c.label.intent == intent)
                .max_by(|a, b| a.1.total_cmp(b.1))
                .and_then(|(c, _)| c.label.wrongdoing)
        };
        let (mut intent, mut confidence) = by_intent[0];
        // Words alone recognise abuse, but a request for wrongdoing differs from an ordinary
        // one in what it asks, not in its words ("how do I get over a breakup" shares "how do
        // I get" with the evasion examples): without the meaning of the message, only the
        // rules of `wrongdoing::detect` refuse one.
        let wrongdoing_by_words = nearest.is_none() && kind_of(Intent::Violation).is_some();
        if intent == Intent::Violation && (confidence < VIOLATION_FLOOR || wrongdoing_by_words) {
            (intent, confidence) = by_intent[1];
        }
        let wrongdoing = kind_of(intent);
        let mut evidence = self.word_evidence(&features, intent);
        if let Some((_, text, similarity)) = nearest.and_then(|n| n.closest) {
            evidence.push(format!("like \"{text}\" ({similarity:.2})"));
        }
        Classification {
            intent,
            wrongdoing,
            confidence,
            rule: None,
            evidence,
        }
    }

    /// The word model's posterior of each class, in the order of `self.classes`.
    fn word_posterior(&self, features: &[String]) -> Vec<f64> {
        let scores: Vec<f64> = self
            .classes
            .iter()
            .map(|c| {
                c.log_prior
                    + features
                        .iter()
                        .map(|f| weight(f) * *c.log_likelihood.get(f).unwrap_or(&c.log_unseen))
                        .sum::<f64>()
            })
            .collect();
        let best = scores.iter().copied().fold(f64::MIN, f64::max);
        let exp: Vec<f64> = scores.iter().map(|s| (s - best).exp()).collect();
        let norm: f64 = exp.iter().sum();
        exp.into_iter().map(|e| e / norm).collect()
    }

    /// The (at most three) features that favour `intent` most over every other intent.
    fn word_evidence(&self, features: &[String], intent: Intent) -> Vec<String> {
        let best = |f: &String, own: bool| {
            self.classes
                .iter()
                .filter(|c| (c.label.intent == intent) == own)
                .map(|c| *c.log_likelihood.get(f).unwrap_or(&c.log_unseen))
                .fold(f64::MIN, f64::max)
        };
        let mut evidence: Vec<(f64, &String)> = features
            .iter()
            .map(|f| (best(f, true) - best(f, false), f))
            .filter(|(weight, _)| *weight > 0.0)
            .collect();
        evidence.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        evidence
            .into_iter()
            .take(3)
            .map(|(_, f)| f.clone())
            .collect()
    }
}

/// Softmax of `scores` at [`TEMPERATURE`].
fn softmax(scores: &[f64]) -> Vec<f64> {
    let best = scores.iter().copied().fold(f64::MIN, f64::max);
    let exp: Vec<f64> = scores
        .iter()
        .map(|s| ((s - best) / TEMPERATURE).exp())
        .collect();
    let norm: f64 = exp.iter().sum();
    exp.into_iter().map(|e| e / norm).collect()
}

#[cfg(test)]
mod tests;
