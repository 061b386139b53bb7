//! The knowledge base (`data/ground-truth.json`) and its retrieval: BM25 over each policy's
//! title, keywords, category and text, with the same tokens as the classifier; and, when the
//! embedding model is loaded, by meaning too (issue 21).
//!
//! Hybrid score of a policy: `KEYWORD_WEIGHT · bm25 / best_bm25 + MEANING_WEIGHT · m`, where
//! `m = (cosine − SIMILARITY_FLOOR) / (1 − SIMILARITY_FLOOR)` (0 below the floor) compares the
//! question's embedding with the policy's (title, text and keywords). A policy takes part when
//! a word matches or its similarity reaches the floor; as with words alone, those under a third
//! of the best score are left out. Without the model, BM25 alone.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::text;

/// The policies shipped with the crate.
pub const GROUND_TRUTH: &str = include_str!("../../data/ground-truth.json");

/// BM25 term-frequency saturation.
const K1: f64 = 1.2;
/// BM25 length normalisation.
const B: f64 = 0.75;
/// Title and keywords count this many times over the body text.
const FIELD_BOOST: usize = 2;

/// Words that say nothing about which policy is meant.
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "is", "are", "do", "doe", "does", "did", "i", "you", "your", "my", "me",
    "we", "our", "to", "of", "for", "on", "in", "it", "its", "can", "what", "whats", "how", "and",
    "or", "be", "if", "with", "at", "by", "this", "that", "there", "have", "has", "about", "tell",
    "please", "would", "like", "know", "will", "get", "any", "from",
];

/// One policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// E.g. `Policy3.1`.
    pub id: String,
    /// E.g. `returns`.
    pub category: String,
    /// A short title.
    pub title: String,
    /// The policy itself, in plain sentences.
    pub text: String,
    /// Words customers use for it that the text may not contain.
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// The share of the normalised BM25 score in the hybrid score.
pub const KEYWORD_WEIGHT: f64 = 0.5;
/// The share of the similarity of meaning in the hybrid score.
pub const MEANING_WEIGHT: f64 = 0.5;
/// The cosine similarity below which a policy's meaning counts for nothing (all-MiniLM-L6-v2
/// puts unrelated sentences between about -0.1 and 0.3).
pub const SIMILARITY_FLOOR: f32 = 0.35;

/// A policy and how well it matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit<'a> {
    /// The policy.
    pub policy: &'a Policy,
    /// Its score: BM25 alone, or the hybrid score when searched by meaning too.
    pub score: f64,
    /// Its BM25 score.
    pub keyword: f64,
    /// The cosine similarity of its embedding to the question's (0 without the model).
    pub similarity: f32,
}

/// The policies and their index.
pub struct KnowledgeBase {
    policies: Vec<Policy>,
    docs: Vec<HashMap<String, usize>>,
    lengths: Vec<f64>,
    average_length: f64,
    document_frequency: HashMap<String, usize>,
    /// Each policy's embedding, in order, once the model has computed them.
    vectors: Option<Vec<Vec<f32>>>,
}

fn terms(text: &str) -> Vec<String> {
    text::tokens(text)
        .into_iter()
        .filter(|t| !STOPWORDS.contains(&t.as_str()))
        .collect()
}

impl KnowledgeBase {
    /// Indexes `policies`; ids must be unique.
    pub fn new(policies: Vec<Policy>) -> Result<Self, String> {
        let mut seen = HashSet::new();
        for p in &policies {
            if !seen.insert(p.id.clone()) {
                return Err(format!("duplicate policy id {}", p.id));
            }
            if !is_policy_id(&p.id) {
                return Err(format!("{}: ids look like Policy3.1", p.id));
            }
        }
        let mut document_frequency: HashMap<String, usize> = HashMap::new();
        let mut docs = Vec::new();
        let mut lengths = Vec::new();
        for p in &policies {
            let boosted = format!("{} {} {}", p.title, p.keywords.join(" "), p.category);
            let mut all = terms(&p.text);
            for _ in 0..FIELD_BOOST {
                all.extend(terms(&boosted));
            }
            let mut tf: HashMap<String, usize> = HashMap::new();
            for t in &all {
                *tf.entry(t.clone()).or_default() += 1;
            }
            for t in tf.keys() {
                *document_frequency.entry(t.clone()).or_default() += 1;
            }
            lengths.push(all.len() as f64);
            docs.push(tf);
        }
        let average_length = lengths.iter().sum::<f64>() / lengths.len().max(1) as f64;
        Ok(Self {
            policies,
            docs,
            lengths,
            average_length,
            document_frequency,
            vectors: None,
        })
    }

    /// The shipped knowledge base.
    pub fn shipped() -> Self {
        let policies: Vec<Policy> =
            serde_json::from_str(GROUND_TRUTH).expect("data/ground-truth.json is well-formed");
        Self::new(policies).expect("data/ground-truth.json has unique, well-formed ids")
    }

    /// What is embedded of each policy, in order: title, text and keywords.
    pub fn texts_to_embed(&self) -> Vec<String> {
        self.policies
            .iter()
            .map(|p| format!("{}. {} {}", p.title, p.text, p.keywords.join(", ")))
            .collect()
    }

    /// The same base searching by meaning too, with `vectors` (one per policy, in the order
    /// of [`Self::texts_to_embed`]); ignored when their number differs.
    pub fn with_vectors(mut self, vectors: Vec<Vec<f32>>) -> Self {
        if vectors.len() == self.policies.len() {
            self.vectors = Some(vectors);
        }
        self
    }

    /// Every policy.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// The policy with `id`.
    pub fn get(&self, id: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.id == id)
    }

    /// Policies matching `query`, best first, at most `limit`, leaving out those that score
    /// below a third of the best (they match only incidental words).
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit<'_>> {
        self.search_with(query, None, limit)
    }

    /// Policies matching `query`, whose embedding is `meaning` when the model computed one:
    /// the hybrid score when the policies' embeddings are loaded too, BM25 alone otherwise.
    pub fn search_with(&self, query: &str, meaning: Option<&[f32]>, limit: usize) -> Vec<Hit<'_>> {
        let mut hits = self.keyword_hits(query);
        if let (Some(meaning), Some(vectors)) = (meaning, &self.vectors) {
            let best = hits.iter().map(|h| h.keyword).fold(0.0, f64::max);
            hits = self
                .policies
                .iter()
                .zip(vectors)
                .map(|(policy, vector)| {
                    let keyword = hits
                        .iter()
                        .find(|h| h.policy.id == policy.id)
                        .map_or(0.0, |h| h.keyword);
                    let similarity = shared::embed::cosine(meaning, vector);
                    let m = f64::from(
                        ((similarity - SIMILARITY_FLOOR) / (1.0 - SIMILARITY_FLOOR)).max(0.0),
                    );
                    let k = if best > 0.0 { keyword / best } else { 0.0 };
                    Hit {
                        policy,
                        score: KEYWORD_WEIGHT * k + MEANING_WEIGHT * m,
                        keyword,
                        similarity,
                    }
                })
                .filter(|h| h.score > 0.0)
                .collect();
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        let best = hits.first().map_or(0.0, |h| h.score);
        hits.retain(|h| h.score >= best / 3.0);
        hits.truncate(limit);
        hits
    }

    /// Every policy some word of `query` matches, with its BM25 score.
    fn keyword_hits(&self, query: &str) -> Vec<Hit<'_>> {
        let query: HashSet<String> = terms(query).into_iter().collect();
        let n = self.policies.len() as f64;
        self.docs
            .iter()
            .enumerate()
            .map(|(i, tf)| {
                let score = query
                    .iter()
                    .filter_map(|t| {
                        let f = *tf.get(t)? as f64;
                        let df = *self.document_frequency.get(t)? as f64;
                        let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                        let norm = K1 * (1.0 - B + B * self.lengths[i] / self.average_length);
                        Some(idf * f * (K1 + 1.0) / (f + norm))
                    })
                    .sum::<f64>();
                Hit {
                    policy: &self.policies[i],
                    score,
                    keyword: score,
                    similarity: 0.0,
                }
            })
            .filter(|h| h.score > 0.0)
            .collect()
    }
}

/// Whether `id` looks like `Policy3.1`: "Policy", then numbers separated by dots.
pub fn is_policy_id(id: &str) -> bool {
    id.strip_prefix("Policy").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .split('.')
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_base_covers_the_required_categories() {
        let kb = KnowledgeBase::shipped();
        assert!(kb.policies().len() >= 15);
        for category in [
            "returns",
            "shipping",
            "warranties",
            "privacy",
            "payments",
            "cancellations",
        ] {
            assert!(
                kb.policies().iter().any(|p| p.category == category),
                "{category}"
            );
        }
        assert!(kb.get("Policy3.1").is_some());
    }

    #[test]
    fn questions_find_the_policy_that_answers_them() {
        let kb = KnowledgeBase::shipped();
        let cases = [
            ("What's your return policy?", "Policy3.1"),
            ("How much does shipping cost?", "Policy1.1"),
            ("Do you ship to Canada?", "Policy1.2"),
            ("How long does a refund take?", "Policy3.3"),
            ("Does the warranty cover accidental damage?", "Policy4.1"),
            ("Do you sell my personal data?", "Policy5.1"),
            ("Can I cancel my order?", "Policy6.1"),
            ("Can I pay with PayPal?", "Policy2.1"),
            ("How do I delete my account?", "Policy5.2"),
            ("I was charged twice", "Policy2.3"),
        ];
        for (question, expected) in cases {
            let hits = kb.search(question, 3);
            assert_eq!(
                hits.first().map(|h| h.policy.id.as_str()),
                Some(expected),
                "{question}: {:?}",
                hits.iter()
                    .map(|h| (&h.policy.id, h.score))
                    .collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn unrelated_questions_find_nothing() {
        assert!(
            KnowledgeBase::shipped()
                .search("capital of peru", 3)
                .is_empty()
        );
    }

    #[test]
    fn duplicate_or_malformed_ids_are_refused() {
        let p = |id: &str| Policy {
            id: id.to_owned(),
            category: "x".to_owned(),
            title: "t".to_owned(),
            text: "x".to_owned(),
            keywords: vec![],
        };
        assert!(KnowledgeBase::new(vec![p("Policy1.1"), p("Policy1.1")]).is_err());
        assert!(KnowledgeBase::new(vec![p("Rule1")]).is_err());
        assert!(
            is_policy_id("Policy12.3.4") && !is_policy_id("Policy") && !is_policy_id("Policy1.")
        );
    }
}
