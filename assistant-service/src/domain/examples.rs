//! The labelled examples: `data/intents.tsv`, which trains the word model and is looked up by
//! meaning, and `data/intents-eval.tsv`, kept apart to measure both (never trained on).
//!
//! One example a line, `label<TAB>text`; `#` starts a comment line. A label is an intent's
//! wire name, or `violation/<kind>` for a request for wrongdoing (see [`Wrongdoing`]); a
//! plain `violation` is abuse.

use super::{intent::Intent, wrongdoing::Wrongdoing};

/// The labelled examples the assistant learns from.
pub const TRAINING_SET: &str = include_str!("../../data/intents.tsv");
/// The held-out examples it is measured on.
pub const EVALUATION_SET: &str = include_str!("../../data/intents-eval.tsv");

/// What an example is labelled: its intent and, for a request for wrongdoing, its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label {
    /// The intent.
    pub intent: Intent,
    /// The kind of wrongdoing (only with [`Intent::Violation`]; `None` there is abuse).
    pub wrongdoing: Option<Wrongdoing>,
}

impl Label {
    /// Reads `policy_question`, `violation` or `violation/fraud`.
    pub fn parse(text: &str) -> Option<Self> {
        let (intent, kind) = match text.split_once('/') {
            Some((intent, kind)) => (intent, Some(kind)),
            None => (text, None),
        };
        let intent = Intent::parse(intent)?;
        let wrongdoing = match kind {
            Some(kind) if intent == Intent::Violation => Some(Wrongdoing::parse(kind)?),
            Some(_) => return None,
            None => None,
        };
        Some(Self { intent, wrongdoing })
    }

    /// As written in the data files.
    pub fn name(&self) -> String {
        match self.wrongdoing {
            Some(kind) => format!("{}/{}", self.intent, kind.as_str()),
            None => self.intent.as_str().to_owned(),
        }
    }
}

/// One labelled message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// Its intent.
    pub intent: Intent,
    /// For a request for wrongdoing, its kind.
    pub wrongdoing: Option<Wrongdoing>,
    /// Its text.
    pub text: String,
}

impl Example {
    /// Its label.
    pub fn label(&self) -> Label {
        Label {
            intent: self.intent,
            wrongdoing: self.wrongdoing,
        }
    }
}

/// Reads `label<TAB>text` lines; `#` starts a comment line.
pub fn parse_examples(tsv: &str) -> Result<Vec<Example>, String> {
    tsv.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(n, line)| {
            let (label, text) = line
                .split_once('\t')
                .ok_or_else(|| format!("line {}: expected intent<TAB>text", n + 1))?;
            let label = Label::parse(label.trim())
                .ok_or_else(|| format!("line {}: unknown intent {label:?}", n + 1))?;
            Ok(Example {
                intent: label.intent,
                wrongdoing: label.wrongdoing,
                text: text.trim().to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn labels_round_trip_and_kinds_belong_to_violations_only() {
        for name in ["policy_question", "violation", "violation/data"] {
            assert_eq!(Label::parse(name).unwrap().name(), name);
        }
        assert_eq!(Label::parse("complaint/data"), None);
        assert_eq!(Label::parse("violation/shouting"), None);
    }

    #[test]
    fn both_sets_have_enough_of_every_intent_and_kind_and_share_no_text() {
        let train = parse_examples(TRAINING_SET).unwrap();
        let eval = parse_examples(EVALUATION_SET).unwrap();
        for intent in Intent::ALL {
            let n = train.iter().filter(|e| e.intent == intent).count();
            assert!(n >= 25, "training {intent}: {n}");
            let n = eval.iter().filter(|e| e.intent == intent).count();
            assert!(n >= 15, "evaluation {intent}: {n}");
        }
        for kind in Wrongdoing::ALL {
            let n = train.iter().filter(|e| e.wrongdoing == Some(kind)).count();
            assert!(n >= 10, "training {}: {n}", kind.as_str());
            assert!(eval.iter().any(|e| e.wrongdoing == Some(kind)));
        }
        let seen: HashSet<String> = train.iter().map(|e| e.text.to_lowercase()).collect();
        for e in &eval {
            assert!(
                !seen.contains(&e.text.to_lowercase()),
                "{} is in both",
                e.text
            );
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
}
