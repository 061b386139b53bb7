//! The category tree (issue 19): admin CRUD with its refusals, products in a category, the
//! listing filtered by a category and everything under it, brands, and the start-up migration
//! of products whose category was a free string, run by two replicas at once.

use bson::{Document, doc, oid::ObjectId};
use futures::TryStreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use shared::testing::{TestNames, eventually};

use crate::helpers::{As, TestApp, WAIT, names_of, product, spawn_app, spawn_with};

impl TestApp {
    /// `POST /categories` as an admin.
    async fn add_category(&self, body: Value) -> (u16, Value) {
        self.request(Method::POST, "/categories", As::Admin, Some(&body))
            .await
    }

    /// Makes a category, returns its id.
    async fn category(&self, name: &str, parent: Option<&str>) -> String {
        let (status, body) = self
            .add_category(json!({ "name": name, "parent": parent }))
            .await;
        assert_eq!(status, 201, "{body}");
        body["data"]["id"].as_str().unwrap().to_owned()
    }

    /// `PATCH /categories/{id}` as an admin.
    async fn patch_category(&self, id: &str, body: Value) -> (u16, Value) {
        let path = format!("/categories/{id}");
        self.request(Method::PATCH, &path, As::Admin, Some(&body))
            .await
    }

    /// `DELETE /categories/{id}` as an admin.
    async fn delete_category(&self, id: &str) -> (u16, Value) {
        let path = format!("/categories/{id}");
        self.request(Method::DELETE, &path, As::Admin, None).await
    }

    async fn category_docs(&self) -> Vec<Document> {
        self.db
            .collection::<Document>("categories")
            .find(doc! {})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    }
}

/// The names a listing answers, sorted.
async fn all(app: &TestApp, query: &str) -> Vec<String> {
    let mut names = app.list_names(query).await;
    names.sort();
    names
}

fn item(name: &str, category: &str, brand: Option<&str>, stock: i64) -> Value {
    let mut body = product(name, 10.0, stock);
    body["category"] = json!(category);
    body["brand"] = json!(brand);
    body
}

#[tokio::test]
async fn a_category_filter_lists_the_category_and_everything_under_it() {
    let app = spawn_app().await;
    let home = app.category("Home", None).await;
    let kitchen = app.category("Kitchen", Some(&home)).await;
    let knives = app.category("Knives", Some(&kitchen)).await;
    let books = app.category("Books", None).await;
    app.create_ok(&item("Chef Knife", &knives, Some("Sharp Co"), 3))
        .await;
    app.create_ok(&item("Kettle", "kitchen", Some("Boil"), 0))
        .await;
    app.create_ok(&item("Rug", "Home", None, 9)).await;
    app.create_ok(&item("Novel", &books, Some("sharp co"), 1))
        .await;

    assert_eq!(
        all(&app, "category=home").await,
        ["Chef Knife", "Kettle", "Rug"]
    );
    assert_eq!(
        all(&app, &format!("category={kitchen}")).await,
        ["Chef Knife", "Kettle"]
    );
    assert_eq!(all(&app, "category=Knives").await, ["Chef Knife"]);
    assert_eq!(all(&app, "brand=SHARP%20CO").await, ["Chef Knife", "Novel"]);
    assert_eq!(
        all(&app, "brand=sharp%20co&category=home").await,
        ["Chef Knife"]
    );

    let (status, body) = app.list("category=no-such-thing").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("NOT_FOUND")),
        "{body}"
    );
    let (status, body) = app.list(&format!("category={}", "x".repeat(101))).await;
    assert_eq!(status, 400);
    assert!(body["error"]["details"]["category"].is_string(), "{body}");

    let (_, body) = app.list("category=knives").await;
    let knife = &body["data"][0];
    assert_eq!(knife["category"], "Knives");
    assert_eq!(knife["categoryId"], knives.as_str());
    assert_eq!(knife["brand"], "Sharp Co");
    assert_eq!(knife["stockStatus"], "low_stock", "3 below the default 5");
    let (_, body) = app.list("category=kitchen&sort=name").await;
    assert_eq!(body["data"][1]["stockStatus"], "out_of_stock");
    let (_, body) = app.list("category=home&sort=-price&limit=1").await;
    assert_eq!(body["meta"]["total"], 3);

    // The tree as a whole, and one category with its way from the top.
    let (status, tree) = app.app.get("/categories").await;
    assert_eq!(status, 200);
    let tops: Vec<&str> = tree["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(tops, ["Books", "Home"]);
    assert_eq!(
        tree["data"][1]["children"][0]["children"][0]["slug"],
        "knives"
    );
    // Counted: each category's own products, and its subtree's (what its listing shows).
    let counts = |node: &Value| (node["productCount"].clone(), node["totalCount"].clone());
    assert_eq!(counts(&tree["data"][0]), (json!(1), json!(1)), "Books");
    assert_eq!(counts(&tree["data"][1]), (json!(1), json!(3)), "Home");
    assert_eq!(
        counts(&tree["data"][1]["children"][0]),
        (json!(1), json!(2)),
        "Kitchen"
    );
    // A deleted product is not counted.
    let (_, novel) = app.list("category=books").await;
    let novel = novel["data"][0]["id"].as_str().unwrap().to_owned();
    let (deleted, _) = app
        .request(
            Method::DELETE,
            &format!("/products/{novel}"),
            As::Admin,
            None,
        )
        .await;
    assert_eq!(deleted, 200);
    let (_, tree) = app.app.get("/categories").await;
    assert_eq!(counts(&tree["data"][0]), (json!(0), json!(0)), "Books");
    let (status, one) = app.app.get(&format!("/categories/{knives}")).await;
    assert_eq!(status, 200);
    let path: Vec<&str> = one["data"]["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["Home", "Kitchen", "Knives"]);
    app.stop().await;
}

#[tokio::test]
async fn a_move_renames_nothing_and_takes_its_subtree_along() {
    let app = spawn_app().await;
    let home = app.category("Home", None).await;
    let kitchen = app.category("Kitchen", Some(&home)).await;
    let outdoors = app.category("Outdoors", None).await;
    let pot = app.create_ok(&item("Pot", &kitchen, None, 5)).await;
    assert_eq!(app.list_names("category=home").await, ["Pot"]);

    let (status, body) = app
        .patch_category(
            &kitchen,
            json!({ "parent": outdoors, "name": "Camp Kitchen" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["slug"], "kitchen",
        "the slug stays unless given"
    );
    assert_eq!(body["data"]["parent"], outdoors.as_str());

    assert!(app.list_names("category=home").await.is_empty());
    assert_eq!(app.list_names("category=outdoors").await, ["Pot"]);
    let (_, shown) = app.get_product(pot["id"].as_str().unwrap()).await;
    assert_eq!(
        shown["data"]["category"], "Camp Kitchen",
        "the rename reaches the product"
    );

    let (status, body) = app
        .patch_category(&kitchen, json!({ "parent": null }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["parent"].is_null());
    assert_eq!(body["data"]["path"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn refused_changes_say_why_and_write_nothing() {
    let app = spawn_app().await;
    let home = app.category("Home", None).await;
    let kitchen = app.category("Kitchen", Some(&home)).await;
    let knives = app.category("Knives", Some(&kitchen)).await;
    let unknown = ObjectId::new().to_hex();
    let before = app.category_docs().await;

    let (status, body) = app
        .add_category(json!({ "name": "Orphan", "parent": unknown }))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("UNPROCESSABLE")),
        "{body}"
    );
    assert!(body["error"]["details"]["parent"].is_string(), "{body}");

    let (status, body) = app.add_category(json!({ "name": "KITCHEN!" })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("CONFLICT")),
        "{body}"
    );

    let (status, body) = app
        .add_category(json!({ "name": "??", "slug": "Bad Slug" }))
        .await;
    assert_eq!(status, 400);
    for field in ["name", "slug"] {
        assert!(
            body["error"]["details"][field].is_string(),
            "{field}: {body}"
        );
    }

    for under in [&knives, &kitchen, &home] {
        let (status, body) = app.patch_category(&home, json!({ "parent": under })).await;
        assert_eq!(status, 422, "under {under}: {body}");
        assert!(
            body["error"]["details"]["parent"]
                .as_str()
                .unwrap()
                .contains("under itself"),
            "{body}"
        );
    }
    let (status, _) = app
        .patch_category(&home, json!({ "parent": unknown }))
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .patch_category(&unknown, json!({ "name": "Ghost" }))
        .await;
    assert_eq!(status, 404);
    let (status, body) = app.patch_category(&knives, json!({ "slug": "home" })).await;
    assert_eq!(status, 409, "{body}");

    let (status, body) = app.delete_category(&home).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("CONFLICT")),
        "{body}"
    );
    let knife = app.create_ok(&item("Knife", &knives, None, 2)).await;
    let (status, body) = app.delete_category(&knives).await;
    assert_eq!(status, 409, "a category holding a product: {body}");

    let after: Vec<Document> = app.category_docs().await;
    assert_eq!(after, before, "no refusal wrote anything");

    // A product naming an unknown category id is refused, and nothing is made.
    let products = app.count_products().await;
    let (status, body) = app.create(&item("Ghost", &unknown, None, 1)).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["details"]["category"].is_string(), "{body}");
    assert_eq!(app.count_products().await, products);

    // Emptied, a category goes; its parent then can too.
    assert_eq!(app.delete(knife["id"].as_str().unwrap()).await.0, 200);
    assert_eq!(app.delete_category(&knives).await.0, 200);
    assert_eq!(app.delete_category(&knives).await.0, 404);
    assert_eq!(app.delete_category(&kitchen).await.0, 200);
    assert_eq!(app.delete_category(&home).await.0, 200);
    assert!(app.category_docs().await.is_empty());

    // Only an admin changes the tree.
    let (status, _) = app
        .request(
            Method::POST,
            "/categories",
            As::Customer,
            Some(&json!({"name": "Mine"})),
        )
        .await;
    assert_eq!(status, 403);
    app.stop().await;
}

#[tokio::test]
async fn products_with_a_free_text_category_are_given_one_at_start_by_two_replicas_at_once() {
    let names = TestNames::new();
    let db = shared::store::mongo(
        &shared::config::MongoConfig {
            uri: shared::testing::mongodb_uri(),
            database: names.database.clone(),
        },
        "test",
    )
    .await
    .unwrap();
    let legacy = |name: &str, category: &str| {
        doc! {
            "_id": ObjectId::new(), "name": name, "nameKey": name.to_lowercase(),
            "description": "", "priceCents": 500_i64, "category": category,
            "categoryKey": category.to_lowercase(), "tags": [], "imageUrl": null,
            "stock": 4_i64, "lowStockThreshold": 5_i64, "stockLow": false,
            "createdAt": 1_i64, "updatedAt": 1_i64,
        }
    };
    db.collection::<Document>("products")
        .insert_many([
            legacy("Boot", "Shoes"),
            legacy("Sandal", "shoes"),
            legacy("Tent", "Outdoor Gear"),
        ])
        .await
        .unwrap();

    let first = spawn_with(names.clone(), |_| {}).await;
    let second = spawn_with(names.clone(), |_| {}).await;
    first.app.wait_healthy(WAIT).await;
    second.app.wait_healthy(WAIT).await;
    eventually("every product to have a category", WAIT, || async {
        let left = db
            .collection::<Document>("products")
            .count_documents(doc! { "categoryId": { "$exists": false } })
            .await
            .unwrap();
        (left == 0).then_some(())
    })
    .await;

    let categories = first.category_docs().await;
    let mut slugs: Vec<&str> = categories
        .iter()
        .map(|c| c.get_str("slug").unwrap())
        .collect();
    slugs.sort_unstable();
    assert_eq!(slugs, ["outdoor-gear", "shoes"], "one category per slug");
    let mut shoes = first.list_names("category=shoes").await;
    shoes.sort();
    assert_eq!(shoes, ["Boot", "Sandal"]);
    let (_, body) = second.list("category=outdoor-gear").await;
    assert_eq!(names_of(&body), ["Tent"]);
    assert_eq!(body["data"][0]["stockStatus"], "low_stock");
    assert_eq!(body["data"][0]["category"], "Outdoor Gear");

    second.app.stop_and_clean().await;
    first.stop().await;
}
