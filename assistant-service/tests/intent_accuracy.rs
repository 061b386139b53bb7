//! Intent accuracy on the held-out part of `data/intents.tsv`: every fifth example of each
//! intent is kept out of training and classified afterwards (rules included, as in service).
//! Run with `--nocapture` to see the table.

use std::collections::BTreeMap;

use assistant_service::domain::{
    Classifier, Intent,
    classifier::{Example, TRAINING_SET, parse_examples},
};

fn split() -> (Vec<Example>, Vec<Example>) {
    let mut seen: BTreeMap<Intent, usize> = BTreeMap::new();
    let (mut train, mut held_out) = (Vec::new(), Vec::new());
    for example in parse_examples(TRAINING_SET).unwrap() {
        let n = seen.entry(example.intent).or_default();
        *n += 1;
        if (*n).is_multiple_of(5) {
            held_out.push(example);
        } else {
            train.push(example);
        }
    }
    (train, held_out)
}

#[test]
fn held_out_accuracy_is_at_least_090_overall_and_080_for_every_intent() {
    let (train, held_out) = split();
    let classifier = Classifier::train(&train);
    let mut per_intent: BTreeMap<Intent, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for example in &held_out {
        let got = classifier.classify(&example.text);
        let entry = per_intent.entry(example.intent).or_default();
        entry.1 += 1;
        if got.intent == example.intent {
            entry.0 += 1;
        } else {
            misses.push(format!(
                "{:?} -> {} (expected {})",
                example.text, got.intent, example.intent
            ));
        }
    }
    let correct: usize = per_intent.values().map(|(c, _)| c).sum();
    let overall = correct as f64 / held_out.len() as f64;
    println!(
        "intent accuracy on {} held-out examples (trained on {}):",
        held_out.len(),
        train.len()
    );
    for (intent, (c, n)) in &per_intent {
        println!(
            "  {:<16} {:>2}/{:<2} {:.2}",
            intent.as_str(),
            c,
            n,
            *c as f64 / *n as f64
        );
    }
    println!(
        "  {:<16} {correct:>2}/{:<2} {overall:.2}",
        "overall",
        held_out.len()
    );
    for miss in &misses {
        println!("  miss: {miss}");
    }
    assert_eq!(per_intent.len(), 7, "every intent has held-out examples");
    assert!(
        overall >= 0.9,
        "overall accuracy {overall:.2} < 0.90; misses: {misses:#?}"
    );
    for (intent, (c, n)) in &per_intent {
        let accuracy = *c as f64 / *n as f64;
        assert!(
            accuracy >= 0.8,
            "{intent}: accuracy {accuracy:.2} < 0.80; misses: {misses:#?}"
        );
    }
}

/// Speed is the bench's to measure (`cargo xtask bench assistant`), not a timed test's: on a
/// loaded machine a time limit fails for reasons that are not the classifier's.
#[test]
fn the_shipped_classifier_is_deterministic() {
    let classifier = Classifier::shipped();
    let first = classifier.classify("Can I return shoes I bought last week?");
    for _ in 0..1000 {
        assert_eq!(
            classifier.classify("Can I return shoes I bought last week?"),
            first
        );
    }
}
