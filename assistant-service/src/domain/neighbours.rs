//! Nearest labelled examples (issue 21): the embeddings of the examples of `data/intents.tsv`,
//! and for a message's embedding how close each label's nearest examples are. Paraphrases
//! that share no word with any example ("a present for a keen baker") still land near the
//! examples that mean the same. No I/O: the vectors are computed by [`crate::meaning`].

use super::{examples::Label, intent::Intent};

/// How many of a label's nearest examples make its score (their mean): one close example
/// alone is not enough to decide, a few agreeing are.
pub const K: usize = 3;

/// The labelled examples and their embeddings.
#[derive(Debug, Clone, Default)]
pub struct Neighbours {
    examples: Vec<(Label, String, Vec<f32>)>,
}

/// How close a message is to one label.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelScore {
    /// The label.
    pub label: Label,
    /// The mean cosine similarity of its [`K`] nearest examples.
    pub score: f32,
}

/// What the examples say about one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearest {
    /// Every label's score, in no particular order.
    pub labels: Vec<LabelScore>,
    /// The nearest example of all: its label, text and similarity.
    pub closest: Option<(Label, String, f32)>,
}

impl Neighbours {
    /// From examples and their embeddings (unit vectors, as [`shared::embed`] makes them).
    pub fn new(examples: Vec<(Label, String, Vec<f32>)>) -> Self {
        Self { examples }
    }

    /// How many examples.
    pub fn len(&self) -> usize {
        self.examples.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.examples.is_empty()
    }

    /// The examples of `intent`.
    pub fn count(&self, intent: Intent) -> usize {
        self.examples
            .iter()
            .filter(|(l, _, _)| l.intent == intent)
            .count()
    }

    /// The scores of every label for the message whose embedding is `query`.
    pub fn nearest(&self, query: &[f32]) -> Nearest {
        let mut by_label: Vec<(Label, Vec<f32>)> = Vec::new();
        let mut closest: Option<(Label, &str, f32)> = None;
        for (label, text, vector) in &self.examples {
            let similarity = shared::embed::cosine(query, vector);
            if closest.is_none_or(|(_, _, best)| similarity > best) {
                closest = Some((*label, text, similarity));
            }
            match by_label.iter_mut().find(|(l, _)| l == label) {
                Some((_, all)) => all.push(similarity),
                None => by_label.push((*label, vec![similarity])),
            }
        }
        let labels = by_label
            .into_iter()
            .map(|(label, mut all)| {
                all.sort_by(|a, b| b.total_cmp(a));
                let top = &all[..all.len().min(K)];
                LabelScore {
                    label,
                    score: top.iter().sum::<f32>() / top.len() as f32,
                }
            })
            .collect();
        Nearest {
            labels,
            closest: closest.map(|(l, t, s)| (l, t.to_owned(), s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(intent: Intent) -> Label {
        Label {
            intent,
            wrongdoing: None,
        }
    }

    #[test]
    fn a_label_scores_the_mean_of_its_nearest_examples() {
        let n = Neighbours::new(vec![
            (label(Intent::Chitchat), "hi".into(), vec![1.0, 0.0]),
            (label(Intent::Chitchat), "hello".into(), vec![0.0, 1.0]),
            (label(Intent::OffTopic), "weather".into(), vec![0.6, 0.8]),
        ]);
        let got = n.nearest(&[1.0, 0.0]);
        let score = |intent| {
            got.labels
                .iter()
                .find(|s| s.label.intent == intent)
                .unwrap()
                .score
        };
        assert!((score(Intent::Chitchat) - 0.5).abs() < 1e-6);
        assert!((score(Intent::OffTopic) - 0.6).abs() < 1e-6);
        assert_eq!(
            got.closest,
            Some((label(Intent::Chitchat), "hi".to_owned(), 1.0))
        );
        assert_eq!(n.count(Intent::Chitchat), 2);
    }
}
