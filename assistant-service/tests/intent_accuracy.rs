//! Intent accuracy on the held-out set `data/intents-eval.tsv` (never trained on), rules
//! included as in service: by words and rules alone (the fallback), and with the embedding
//! model's nearest examples. Issue 21's goal is at least 0.95 on every intent, which the
//! asserts hold with the model. The set's second batch was written before the labelled
//! examples and rules were last changed (2026-12-06), so part of it was never tuned for; on
//! that batch alone the model scored 77 of 80 before the change. Run with `--nocapture` to see
//! the tables and misses; `cargo xtask bench assistant` measures the same set through the
//! service.

use std::collections::BTreeMap;

use assistant_service::{
    domain::{
        Classifier, Intent,
        classifier::{EVALUATION_SET, Example, parse_examples},
    },
    meaning::Meaning,
};

/// Correct and total per intent, and the misses.
fn measure(
    classifier: &Classifier,
    examples: &[Example],
    vectors: Option<&[Vec<f32>]>,
) -> (BTreeMap<Intent, (usize, usize)>, Vec<String>) {
    let mut per_intent: BTreeMap<Intent, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for (i, example) in examples.iter().enumerate() {
        let vector = vectors.map(|v| v[i].as_slice());
        let got = classifier.classify_with(&example.text, vector);
        let entry = per_intent.entry(example.intent).or_default();
        entry.1 += 1;
        let kind_ok = example.intent != Intent::Violation || got.wrongdoing == example.wrongdoing;
        if got.intent == example.intent && kind_ok {
            entry.0 += 1;
        } else {
            misses.push(format!(
                "{:?} -> {} {:?} (expected {} {:?})",
                example.text, got.intent, got.wrongdoing, example.intent, example.wrongdoing
            ));
        }
    }
    (per_intent, misses)
}

fn print(title: &str, per_intent: &BTreeMap<Intent, (usize, usize)>, misses: &[String]) -> f64 {
    println!("{title}:");
    for (intent, (c, n)) in per_intent {
        println!(
            "  {:<16} {c:>2}/{n:<2} {:.2}",
            intent.as_str(),
            *c as f64 / *n as f64
        );
    }
    let correct: usize = per_intent.values().map(|(c, _)| c).sum();
    let total: usize = per_intent.values().map(|(_, n)| n).sum();
    let overall = correct as f64 / total as f64;
    println!("  {:<16} {correct:>2}/{total:<2} {overall:.2}", "overall");
    for miss in misses {
        println!("  miss: {miss}");
    }
    overall
}

#[test]
fn by_words_and_rules_alone_the_held_out_accuracy_stays_useful() {
    let examples = parse_examples(EVALUATION_SET).unwrap();
    let (per_intent, misses) = measure(&Classifier::shipped(), &examples, None);
    let overall = print("without the embedding model", &per_intent, &misses);
    assert_eq!(per_intent.len(), 7, "every intent has held-out examples");
    assert!(
        overall >= 0.90,
        "overall accuracy {overall:.2} < 0.90: {misses:#?}"
    );
}

#[tokio::test]
async fn with_the_nearest_examples_the_held_out_accuracy_is_at_least_095_on_every_intent() {
    let dir = shared::testing::embedding_model_dir();
    let meaning = Meaning::compute(&dir).await.expect("the model loads");
    let classifier = Classifier::shipped().with_neighbours(meaning.neighbours.clone());
    let examples = parse_examples(EVALUATION_SET).unwrap();
    let vectors = meaning
        .embedder
        .embed(examples.iter().map(|e| e.text.clone()).collect())
        .await
        .unwrap();

    let (per_intent, misses) = measure(&classifier, &examples, Some(&vectors));

    let overall = print("with the embedding model", &per_intent, &misses);
    assert!(
        overall >= 0.95,
        "overall {overall:.2} < 0.95; misses: {misses:#?}"
    );
    for (intent, (c, n)) in &per_intent {
        let accuracy = *c as f64 / *n as f64;
        assert!(
            accuracy >= 0.95,
            "{intent}: {accuracy:.2} < 0.95; misses: {misses:#?}"
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
