//! Creating, reading, replacing and deleting products; who may; and what is refused.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{As, product, spawn_app};

fn full_body() -> Value {
    json!({
        "name": "  Trail Runner ",
        "description": "A light shoe for rough paths.",
        "price": 89.99,
        "category": "Shoes",
        "tags": ["Running", " outdoor ", "running"],
        "imageUrl": "https://cdn.example.com/p/trail.jpg",
        "stock": 12,
        "lowStockThreshold": 3,
    })
}

#[tokio::test]
async fn an_admin_creates_reads_replaces_and_deletes_a_product() {
    let app = spawn_app().await;

    let created = app.create_ok(&full_body()).await;
    let id = created["id"].as_str().expect("a string id").to_owned();
    assert_eq!(id.len(), 24);
    assert_eq!(created["name"], "Trail Runner");
    assert_eq!(created["price"].to_string(), "89.99");
    assert_eq!(created["tags"], json!(["running", "outdoor"]));
    assert_eq!(created["imageUrl"], "https://cdn.example.com/p/trail.jpg");
    assert_eq!(
        (
            created["stock"].as_i64(),
            created["lowStockThreshold"].as_i64()
        ),
        (Some(12), Some(3))
    );
    assert_eq!(created["createdAt"], created["updatedAt"]);

    let (status, read) = app.get_product(&id).await;
    assert_eq!(status, 200);
    assert_eq!(read["success"], true);
    assert_eq!(read["data"], created);

    let mut changed = product("Trail Runner 2", 79.5, 4);
    changed["category"] = json!("Running");
    let (status, replaced) = app.replace(&id, &changed).await;
    assert_eq!(status, 200, "{replaced}");
    let replaced = &replaced["data"];
    assert_eq!(replaced["id"], id.as_str());
    assert_eq!(replaced["price"].to_string(), "79.5");
    assert_eq!(
        replaced["tags"],
        json!([]),
        "a full replace resets omitted fields"
    );
    assert_eq!(replaced["imageUrl"], Value::Null);
    assert_eq!(replaced["lowStockThreshold"], 5, "back to the default");
    assert_eq!(replaced["createdAt"], created["createdAt"]);
    assert!(replaced["updatedAt"].as_str() >= created["updatedAt"].as_str());
    assert_eq!(app.get_product(&id).await.1["data"], *replaced);

    let (status, deleted) = app.delete(&id).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["data"]["id"], id.as_str());
    let (status, body) = app.get_product(&id).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    assert!(app.list_names("").await.is_empty());
    assert!(
        app.product_doc(&id).await.contains_key("deletedAt"),
        "soft delete"
    );
    assert_eq!(app.delete(&id).await.0, 404, "deleting twice");
    assert_eq!(
        app.replace(&id, &changed).await.0,
        404,
        "replacing a deleted product"
    );

    app.stop().await;
}

#[tokio::test]
async fn writes_answer_401_without_a_token_and_403_for_a_customer_and_change_nothing() {
    let app = spawn_app().await;
    let existing = app.create_ok(&product("Kept", 10.0, 1)).await;
    let id = existing["id"].as_str().unwrap();
    let path = format!("/products/{id}");
    let body = product("Changed", 99.0, 9);
    let writes = [
        (Method::POST, "/products", Some(&body)),
        (Method::PUT, path.as_str(), Some(&body)),
        (Method::DELETE, path.as_str(), None),
    ];
    let before = app.count_products().await;

    for (method, path, body) in writes {
        let (status, answer) = app.request(method.clone(), path, As::Anonymous, body).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (401, Some("UNAUTHORIZED")),
            "{method} {path}"
        );
        let (status, answer) = app.request(method.clone(), path, As::Customer, body).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (403, Some("FORBIDDEN")),
            "{method} {path}"
        );
    }
    let forged = app
        .app
        .client
        .post(app.app.url("/products"))
        .header("authorization", "Bearer not.a.token")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    assert_eq!(app.count_products().await, before);
    assert_eq!(app.get_product(id).await.1["data"], existing);
    app.stop().await;
}

#[tokio::test]
async fn every_validation_rule_answers_400_naming_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    let existing = app.create_ok(&product("Kept", 10.0, 1)).await;
    let id = existing["id"].as_str().unwrap();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("name", Value::Null, "name"),
        ("name", json!("   "), "name"),
        ("name", json!("n".repeat(201)), "name"),
        ("name", json!(42), "name"),
        ("description", json!("d".repeat(5001)), "description"),
        ("price", Value::Null, "price"),
        ("price", json!(0), "price"),
        ("price", json!(-1.5), "price"),
        ("price", json!(1.999), "price"),
        ("price", json!("12.00"), "price"),
        ("price", json!(1_000_000.01), "price"),
        ("category", Value::Null, "category"),
        ("category", json!(""), "category"),
        ("category", json!("c".repeat(101)), "category"),
        ("tags", json!("running"), "tags"),
        (
            "tags",
            json!((0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()),
            "tags",
        ),
        ("tags", json!(["ok", ""]), "tags[1]"),
        ("tags", json!(["t".repeat(51)]), "tags[0]"),
        ("tags", json!([7]), "tags[0]"),
        ("imageUrl", json!("ftp://example.com/a.png"), "imageUrl"),
        ("imageUrl", json!("not a url"), "imageUrl"),
        ("stock", Value::Null, "stock"),
        ("stock", json!(-1), "stock"),
        ("stock", json!(1.5), "stock"),
        ("lowStockThreshold", json!(-1), "lowStockThreshold"),
        ("lowStockThreshold", json!("5"), "lowStockThreshold"),
    ];
    let before = app.count_products().await;

    for (field, value, named) in cases {
        let mut body = product("Valid", 10.0, 1);
        body[field] = value.clone();
        for (status, answer) in [app.create(&body).await, app.replace(id, &body).await] {
            assert_eq!(status, 400, "{field} = {value}: {answer}");
            assert_eq!(answer["error"]["code"], "VALIDATION_ERROR");
            assert!(
                answer["error"]["details"][named].is_string(),
                "{field} = {value}: {answer}"
            );
        }
    }

    assert_eq!(app.count_products().await, before);
    assert_eq!(app.get_product(id).await.1["data"], existing);
    app.stop().await;
}

#[tokio::test]
async fn every_bad_field_is_named_in_one_answer() {
    let app = spawn_app().await;

    let (status, answer) = app
        .create(&json!({
            "name": "",
            "price": 0.001,
            "category": " ",
            "tags": [""],
            "imageUrl": "mailto:x@example.com",
            "stock": -3,
        }))
        .await;

    assert_eq!(status, 400);
    let details = answer["error"]["details"].as_object().expect("details");
    let mut named: Vec<&str> = details.keys().map(String::as_str).collect();
    named.sort_unstable();
    assert_eq!(
        named,
        ["category", "imageUrl", "name", "price", "stock", "tags[0]"]
    );
    assert_eq!(app.count_products().await, 0);
    app.stop().await;
}

#[tokio::test]
async fn malformed_json_a_wrong_content_type_and_a_non_object_body_answer_400() {
    let app = spawn_app().await;
    let post = |body: &'static str, content_type: &'static str| {
        app.app
            .client
            .post(app.app.url("/products"))
            .header(
                "authorization",
                app.names.bearer("a", shared::auth::Role::Admin),
            )
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    for (body, content_type, named) in [
        (r#"{"name": "x", "#, "application/json", "body"),
        (r#"{"name": "x"}"#, "text/plain", "content-type"),
        (r#"[1, 2]"#, "application/json", "body"),
    ] {
        let answer = post(body, content_type).await.unwrap();
        assert_eq!(answer.status(), 400, "{body}");
        let answer: Value = answer.json().await.unwrap();
        assert_eq!(answer["error"]["code"], "VALIDATION_ERROR");
        assert!(answer["error"]["details"][named].is_string(), "{answer}");
    }
    assert_eq!(app.count_products().await, 0);
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_id_is_404_and_a_malformed_id_is_400() {
    let app = spawn_app().await;
    let unknown = bson::oid::ObjectId::new().to_hex();

    let (status, body) = app.get_product(&unknown).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("NOT_FOUND"))
    );
    assert_eq!(app.replace(&unknown, &product("X", 1.0, 1)).await.0, 404);
    assert_eq!(app.delete(&unknown).await.0, 404);

    for bad in ["not-an-id", "123", "zzzzzzzzzzzzzzzzzzzzzzzz"] {
        let (status, body) = app.get_product(bad).await;
        assert_eq!(status, 400, "{bad}");
        assert!(body["error"]["details"]["id"].is_string(), "{body}");
        assert_eq!(app.delete(bad).await.0, 400);
    }
    app.stop().await;
}

#[tokio::test]
async fn prices_keep_their_exact_cents() {
    let app = spawn_app().await;

    for (sent, shown, cents) in [
        (json!(0.1), "0.1", 10),
        (json!(19.99), "19.99", 1999),
        (json!(1.15), "1.15", 115),
        (json!(4.35), "4.35", 435),
        (json!(20), "20.0", 2000),
        (json!(999999.99), "999999.99", 99_999_999),
    ] {
        let mut body = product("Priced", 1.0, 1);
        body["price"] = sent.clone();
        let created = app.create_ok(&body).await;
        let id = created["id"].as_str().unwrap();

        assert_eq!(created["price"].to_string(), shown, "{sent}");
        assert_eq!(
            app.get_product(id).await.1["data"]["price"].to_string(),
            shown
        );
        let stored = product_service::store::int(&app.product_doc(id).await, "priceCents");
        assert_eq!(stored, Some(cents), "{sent}");
    }
    app.stop().await;
}
