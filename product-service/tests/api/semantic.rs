//! Search by meaning (the embedding model loaded) and its fallback to words (no model, or a
//! folder it cannot be loaded from); embeddings stored on writes and backfilled at start.

use bson::{Bson, Document};
use serde_json::{Value, json};
use shared::testing::{TestNames, embedding_model_dir, eventually};

use crate::helpers::{TestApp, WAIT, names_of, spawn_with_model};

fn item(name: &str, description: &str, category: &str, tags: &[&str]) -> Value {
    json!({
        "name": name,
        "description": description,
        "price": 25.0,
        "category": category,
        "tags": tags,
        "stock": 10,
    })
}

/// A small catalog where no product says "cooking", "gift" or "loves".
fn catalog() -> Vec<Value> {
    vec![
        item(
            "Noise-Cancelling Headphones",
            "Wireless over-ear headphones with a long battery life.",
            "Electronics",
            &["audio", "wireless"],
        ),
        item(
            "Cast Iron Skillet",
            "Sear, bake and fry in one heavy pan that lasts for generations.",
            "Kitchen",
            &["pan", "iron"],
        ),
        item(
            "Trail Running Shoes",
            "Light shoes with a grippy sole for muddy trails.",
            "Shoes",
            &["running", "outdoor"],
        ),
        item(
            "USB-C Cable",
            "Two metres, braided, charges phones and laptops.",
            "Electronics",
            &["charging"],
        ),
        item(
            "Desk Lamp",
            "An adjustable lamp for the desk.",
            "Home",
            &["lighting", "office"],
        ),
        item(
            "Camping Lantern",
            "Battery lantern that lights up a whole tent.",
            "Outdoor",
            &["camping"],
        ),
        item(
            "Office Chair",
            "Ergonomic, pairs well with a desk lamp.",
            "Home",
            &["office"],
        ),
    ]
}

async fn create_all(app: &TestApp, items: &[Value]) -> Vec<String> {
    let mut ids = Vec::new();
    for body in items {
        ids.push(app.create_ok(body).await["id"].as_str().unwrap().to_owned());
    }
    ids
}

fn embedding_bytes(document: &Document) -> Option<Vec<u8>> {
    match document.get("embedding")? {
        Bson::Binary(binary) => Some(binary.bytes.clone()),
        _ => None,
    }
}

#[tokio::test]
async fn a_paraphrased_search_finds_a_kitchen_product_that_never_says_cooking() {
    let app = spawn_with_model(TestNames::new(), Some(embedding_model_dir())).await;
    let items = catalog();
    for body in &items {
        let text = body.to_string().to_lowercase();
        assert!(!text.contains("cook") && !text.contains("gift"), "{text}");
    }
    create_all(&app, &items).await;

    let query = "search=a%20gift%20for%20someone%20who%20loves%20cooking";
    let found = app.list_names(query).await;
    let explicit = app.list_names(&format!("{query}&sort=relevance")).await;

    assert_eq!(
        found.first().map(String::as_str),
        Some("Cast Iron Skillet"),
        "{found:?}"
    );
    assert!(!found.contains(&"USB-C Cable".to_owned()), "{found:?}");
    assert_eq!(found, explicit);
    app.stop().await;
}

#[tokio::test]
async fn exact_word_matches_come_before_products_found_by_meaning() {
    let app = spawn_with_model(TestNames::new(), Some(embedding_model_dir())).await;
    create_all(&app, &catalog()).await;

    let (status, body) = app.list("search=lamp").await;
    let found = names_of(&body);

    assert_eq!(status, 200, "{body}");
    // Both hold the whole word "lamp" (the chair only in its description); the lantern is
    // found by meaning, and however similar it is, it comes after them.
    assert_eq!(found[..2], ["Desk Lamp", "Office Chair"], "{found:?}");
    let lantern = found.iter().position(|n| n == "Camping Lantern");
    assert!(lantern.is_some_and(|at| at >= 2), "{found:?}");
    assert_eq!(body["meta"]["total"], found.len());
    app.stop().await;
}

#[tokio::test]
async fn a_search_by_meaning_keeps_the_other_filters_and_sort_orders() {
    let app = spawn_with_model(TestNames::new(), Some(embedding_model_dir())).await;
    create_all(&app, &catalog()).await;

    let outdoor = app
        .list_names("search=something%20to%20light%20a%20tent&category=outdoor")
        .await;
    let by_name = app
        .list_names("search=light%20for%20reading%20at%20night&sort=name")
        .await;

    assert_eq!(outdoor, ["Camping Lantern"]);
    let mut sorted = by_name.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(by_name, sorted);
    assert!(by_name.contains(&"Desk Lamp".to_owned()), "{by_name:?}");
    app.stop().await;
}

#[tokio::test]
async fn embeddings_are_stored_with_the_product_and_follow_its_edits() {
    let app = spawn_with_model(TestNames::new(), Some(embedding_model_dir())).await;
    let health = app.app.health().await;
    let id = app.create_ok(&catalog()[1]).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = app.product_doc(&id).await;

    let (status, _) = app
        .replace(&id, &item("Yoga Mat", "Thick and non-slip.", "Sport", &[]))
        .await;
    let second = app.product_doc(&id).await;
    let (_, shown) = app.get_product(&id).await;

    assert_eq!(health["status"], "ok");
    assert_eq!(health["features"]["embeddings"], "on");
    assert_eq!(status, 200);
    let (a, b) = (
        embedding_bytes(&first).unwrap(),
        embedding_bytes(&second).unwrap(),
    );
    assert_eq!((a.len(), b.len()), (1536, 1536));
    assert_ne!(a, b, "the edit did not re-embed the product");
    assert_eq!(second.get_str("embeddingModel"), Ok("all-MiniLM-L6-v2"));
    assert!(shown["data"].get("embedding").is_none(), "{shown}");
    app.stop().await;
}

#[tokio::test]
async fn without_the_model_search_goes_by_words_and_health_says_embeddings_off() {
    let unset = spawn_with_model(TestNames::new(), None).await;
    let broken = spawn_with_model(TestNames::new(), Some("/nonexistent/model".into())).await;
    for app in [&unset, &broken] {
        let items = catalog();
        let ids = create_all(app, &items).await;
        let health = app.app.health().await;

        let paraphrase = app.list_names("search=cooking%20gift").await;
        let words = app.list_names("search=skillet").await;

        assert_eq!(health["status"], "ok", "{health}");
        assert_eq!(health["features"]["embeddings"], "off", "{health}");
        assert_eq!(paraphrase, Vec::<String>::new());
        assert_eq!(words, ["Cast Iron Skillet"]);
        assert!(embedding_bytes(&app.product_doc(&ids[1]).await).is_none());
    }
    unset.stop().await;
    broken.stop().await;
}

#[tokio::test]
async fn products_written_without_the_model_are_embedded_when_it_starts() {
    let names = TestNames::new();
    let without = spawn_with_model(names.clone(), None).await;
    let ids = create_all(&without, &catalog()).await;

    let with = spawn_with_model(names, Some(embedding_model_dir())).await;
    for id in &ids {
        eventually("the product to be embedded", WAIT, || async {
            embedding_bytes(&with.product_doc(id).await).map(|_| ())
        })
        .await;
    }
    let found = with
        .list_names("search=a%20gift%20for%20someone%20who%20loves%20cooking")
        .await;
    // An edit made without the model drops the embedding of the old text.
    let (status, _) = without
        .replace(
            &ids[1],
            &item("Cast Iron Skillet", "Heavy.", "Kitchen", &[]),
        )
        .await;
    let after_edit = with.product_doc(&ids[1]).await;

    assert_eq!(
        found.first().map(String::as_str),
        Some("Cast Iron Skillet"),
        "{found:?}"
    );
    assert_eq!(status, 200);
    assert!(
        embedding_bytes(&after_edit).is_none(),
        "a stale embedding was kept"
    );
    without.app.cancel.cancel();
    with.stop().await;
}
