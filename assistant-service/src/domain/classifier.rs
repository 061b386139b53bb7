//! Intent detection: rules first ([`super::rules`], [`super::loyalty`]), then a multinomial
//! naive Bayes model over word and bigram features, trained at start from the labelled
//! examples in `data/intents.tsv`. Deterministic, fast (microseconds a message) and
//! explainable: every answer says which rule fired or which words weighed most.

use std::collections::{HashMap, HashSet};

use super::{
    intent::Intent,
    loyalty,
    rules::{self, Rule},
    text,
};

/// The labelled examples shipped with the crate.
pub const TRAINING_SET: &str = include_str!("../../data/intents.tsv");

/// Additive smoothing of the model.
const ALPHA: f64 = 0.5;

/// One labelled message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// Its intent.
    pub intent: Intent,
    /// Its text.
    pub text: String,
}

/// Reads `intent<TAB>text` lines; `#` starts a comment line.
pub fn parse_examples(tsv: &str) -> Result<Vec<Example>, String> {
    tsv.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(n, line)| {
            let (label, text) = line
                .split_once('\t')
                .ok_or_else(|| format!("line {}: expected intent<TAB>text", n + 1))?;
            let intent = Intent::parse(label.trim())
                .ok_or_else(|| format!("line {}: unknown intent {label:?}", n + 1))?;
            Ok(Example {
                intent,
                text: text.trim().to_owned(),
            })
        })
        .collect()
}

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
    /// How sure: the model's posterior probability, or a fixed high value for a rule.
    pub confidence: f64,
    /// The rule that decided, if one did.
    pub rule: Option<Rule>,
    /// The features that weighed most for the intent (empty when a rule decided alone).
    pub evidence: Vec<String>,
}

struct ClassModel {
    intent: Intent,
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
}

impl Classifier {
    /// Trains on `examples`.
    pub fn train(examples: &[Example]) -> Self {
        let mut vocabulary = HashSet::new();
        let mut per_class: HashMap<Intent, (usize, HashMap<String, f64>)> = HashMap::new();
        for example in examples {
            let features: HashSet<String> = features(&example.text).into_iter().collect();
            let (docs, counts) = per_class.entry(example.intent).or_default();
            *docs += 1;
            for f in features {
                *counts.entry(f.clone()).or_default() += weight(&f);
                vocabulary.insert(f);
            }
        }
        let v = vocabulary.len() as f64;
        let classes = Intent::ALL
            .into_iter()
            .filter_map(|intent| {
                let (docs, counts) = per_class.get(&intent)?;
                let total: f64 = counts.values().sum();
                let denominator = total + ALPHA * v;
                Some(ClassModel {
                    intent,
                    log_prior: (*docs as f64 / examples.len() as f64).ln(),
                    log_likelihood: counts
                        .iter()
                        .map(|(f, c)| (f.clone(), ((c + ALPHA) / denominator).ln()))
                        .collect(),
                    log_unseen: (ALPHA / denominator).ln(),
                })
            })
            .collect();
        Self {
            classes,
            vocabulary,
        }
    }

    /// Trained on every shipped example.
    pub fn shipped() -> Self {
        Self::train(&parse_examples(TRAINING_SET).expect("data/intents.tsv is well-formed"))
    }

    /// Decides the intent of `message`.
    pub fn classify(&self, message: &str) -> Classification {
        let by_rule = |intent, confidence, rule| Classification {
            intent,
            confidence,
            rule: Some(rule),
            evidence: Vec::new(),
        };
        if rules::is_abuse(message) {
            return by_rule(Intent::Violation, 0.99, Rule::Abuse);
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
        let model = self.model(message);
        if model.intent == Intent::Complaint {
            return model;
        }
        if !text::order_ids(message).is_empty() {
            return Classification {
                intent: Intent::OrderStatus,
                confidence: model.confidence.max(0.95),
                rule: Some(Rule::OrderId),
                evidence: vec![text::ORDER_ID.to_owned()],
            };
        }
        match loyalty::route(message) {
            Some((intent, rule)) => by_rule(intent, 0.9, rule),
            None => model,
        }
    }

    /// The model's decision alone, without rules.
    pub fn model(&self, message: &str) -> Classification {
        let features: Vec<String> = features(message)
            .into_iter()
            .filter(|f| self.vocabulary.contains(f))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if features.is_empty() {
            // Nothing we have ever seen: not something the shop can help with.
            return Classification {
                intent: Intent::OffTopic,
                confidence: 1.0 / Intent::ALL.len() as f64,
                rule: None,
                evidence: Vec::new(),
            };
        }
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
        let best = (0..scores.len())
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
            .unwrap_or(0);
        let norm: f64 = scores.iter().map(|s| (s - scores[best]).exp()).sum();
        let winner = &self.classes[best];
        let mut evidence: Vec<(f64, &String)> = features
            .iter()
            .filter_map(|f| {
                let own = winner.log_likelihood.get(f)?;
                let others = self
                    .classes
                    .iter()
                    .filter(|c| c.intent != winner.intent)
                    .map(|c| *c.log_likelihood.get(f).unwrap_or(&c.log_unseen))
                    .fold(f64::MIN, f64::max);
                Some((own - others, f))
            })
            .filter(|(weight, _)| *weight > 0.0)
            .collect();
        evidence.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        Classification {
            intent: winner.intent,
            confidence: 1.0 / norm,
            rule: None,
            evidence: evidence
                .into_iter()
                .take(3)
                .map(|(_, f)| f.clone())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_set_has_at_least_twenty_examples_per_intent() {
        let examples = parse_examples(TRAINING_SET).unwrap();
        for intent in Intent::ALL {
            let n = examples.iter().filter(|e| e.intent == intent).count();
            assert!(n >= 20, "{intent}: {n} examples");
        }
    }

    #[test]
    fn a_malformed_line_is_named() {
        assert!(
            parse_examples("policy_question no tab")
                .unwrap_err()
                .contains("line 1")
        );
        assert!(
            parse_examples("shouting\thello")
                .unwrap_err()
                .contains("unknown intent")
        );
    }

    #[test]
    fn typical_messages_get_their_intent_with_evidence() {
        let classifier = Classifier::shipped();
        let cases = [
            ("What's your return policy?", Intent::PolicyQuestion),
            ("where is my order", Intent::OrderStatus),
            ("do you have bluetooth headphones", Intent::ProductSearch),
            (
                "my parcel arrived broken and I'm furious",
                Intent::Complaint,
            ),
            ("hello!", Intent::Chitchat),
            ("what's the capital of Peru", Intent::OffTopic),
            ("you idiot", Intent::Violation),
        ];
        for (message, expected) in cases {
            let c = classifier.classify(message);
            assert_eq!(c.intent, expected, "{message}: {c:?}");
            assert!(c.confidence > 0.0 && c.confidence <= 1.0);
        }
        let c = classifier.classify("What's your return policy?");
        assert!(c.rule.is_none() && !c.evidence.is_empty(), "{c:?}");
    }

    #[test]
    fn an_order_id_makes_an_order_question_unless_it_is_a_complaint() {
        let classifier = Classifier::shipped();
        let c = classifier.classify("65f1c2a9b4e8d7c6a5b4c3d2");
        assert_eq!(
            (c.intent, c.rule),
            (Intent::OrderStatus, Some(Rule::OrderId))
        );
        let c = classifier
            .classify("order 65f1c2a9b4e8d7c6a5b4c3d2 arrived damaged, I'm really disappointed");
        assert_eq!(c.intent, Intent::Complaint);
    }

    #[test]
    fn gibberish_is_off_topic_with_low_confidence() {
        let c = Classifier::shipped().classify("qwzx vbnm");
        assert_eq!(c.intent, Intent::OffTopic);
        assert!(c.confidence < 0.5);
    }
}
