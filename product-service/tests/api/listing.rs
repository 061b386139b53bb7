//! `GET /products`: filters, the four sort orders and relevance, paging and `meta.total`.

use serde_json::{Value, json};

use crate::helpers::{TestApp, names_of, spawn_app};

/// Seven live products and a deleted one, created in this order (so ids and `createdAt` grow
/// down the list).
async fn catalog(app: &TestApp) {
    let items = [
        (
            "Trail Runner",
            89.99,
            "Shoes",
            json!(["running", "outdoor"]),
            "Light shoe for trails.",
        ),
        (
            "Desk Lamp",
            24.50,
            "Home",
            json!(["lighting", "office"]),
            "A lamp for the desk.",
        ),
        (
            "road runner socks",
            9.99,
            "Apparel",
            json!(["running"]),
            "Socks.",
        ),
        (
            "Lamp Shade",
            15.00,
            "Home",
            json!(["decor"]),
            "Fits most lamps.",
        ),
        (
            "Camping Lantern",
            24.50,
            "Outdoor",
            json!(["lighting", "camping", "lamp"]),
            "Battery lantern.",
        ),
        (
            "Office Chair",
            199.00,
            "Home",
            json!(["office"]),
            "Ergonomic, pairs well with a desk lamp.",
        ),
        (
            "Basketball Shoes",
            120.00,
            "Shoes",
            json!(["sport"]),
            "High tops.",
        ),
        (
            "Deleted Lamp",
            5.00,
            "Home",
            json!(["lamp", "running"]),
            "Gone.",
        ),
    ];
    for (name, price, category, tags, description) in items {
        let created = app
            .create_ok(&json!({
                "name": name, "price": price, "category": category, "tags": tags,
                "description": description, "stock": 3,
            }))
            .await;
        if name.starts_with("Deleted") {
            assert_eq!(app.delete(created["id"].as_str().unwrap()).await.0, 200);
        }
    }
}

fn meta(body: &Value) -> (u64, u64, u64) {
    let m = &body["meta"];
    (
        m["page"].as_u64().unwrap(),
        m["limit"].as_u64().unwrap(),
        m["total"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn each_sort_order_lists_exactly_the_live_products_in_order_with_ties_broken_by_id() {
    let app = spawn_app().await;
    catalog(&app).await;

    let (status, newest) = app.list("").await;
    assert_eq!(status, 200);
    assert_eq!(meta(&newest), (1, 20, 7));
    assert_eq!(
        names_of(&newest),
        [
            "Basketball Shoes",
            "Office Chair",
            "Camping Lantern",
            "Lamp Shade",
            "road runner socks",
            "Desk Lamp",
            "Trail Runner"
        ]
    );
    assert_eq!(app.list_names("sort=-createdAt").await, names_of(&newest));
    assert_eq!(
        app.list_names("sort=price").await,
        [
            "road runner socks",
            "Lamp Shade",
            "Desk Lamp",
            "Camping Lantern",
            "Trail Runner",
            "Basketball Shoes",
            "Office Chair"
        ]
    );
    assert_eq!(
        app.list_names("sort=-price").await,
        [
            "Office Chair",
            "Basketball Shoes",
            "Trail Runner",
            "Desk Lamp",
            "Camping Lantern",
            "Lamp Shade",
            "road runner socks"
        ]
    );
    assert_eq!(
        app.list_names("sort=name").await,
        [
            "Basketball Shoes",
            "Camping Lantern",
            "Desk Lamp",
            "Lamp Shade",
            "Office Chair",
            "road runner socks",
            "Trail Runner"
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn filters_select_exactly_the_matching_products_and_combine() {
    let app = spawn_app().await;
    catalog(&app).await;

    let home = ["Office Chair", "Lamp Shade", "Desk Lamp"];
    assert_eq!(app.list_names("category=home").await, home);
    assert_eq!(
        app.list_names("category=HOME").await,
        home,
        "case-insensitive"
    );
    let (status, body) = app.list("category=hom").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("NOT_FOUND")),
        "exact, not a prefix: no category is so named"
    );
    assert_eq!(
        app.list_names("tag=Running").await,
        ["road runner socks", "Trail Runner"]
    );
    assert_eq!(
        app.list_names("minPrice=15&maxPrice=89.99&sort=price")
            .await,
        ["Lamp Shade", "Desk Lamp", "Camping Lantern", "Trail Runner"]
    );
    assert_eq!(
        app.list_names("minPrice=120").await,
        ["Basketball Shoes", "Office Chair"]
    );
    assert_eq!(
        app.list_names("category=home&maxPrice=20").await,
        ["Lamp Shade"]
    );
    assert_eq!(
        app.list_names("tag=lighting&category=outdoor").await,
        ["Camping Lantern"]
    );
    let (_, body) = app.list("category=shoes&minPrice=100").await;
    assert_eq!(meta(&body).2, 1);
    app.stop().await;
}

#[tokio::test]
async fn pages_cut_the_same_order_and_total_counts_every_match() {
    let app = spawn_app().await;
    catalog(&app).await;

    let (_, second) = app.list("sort=price&limit=2&page=2").await;
    assert_eq!(names_of(&second), ["Desk Lamp", "Camping Lantern"]);
    assert_eq!(meta(&second), (2, 2, 7));
    let (_, last) = app.list("sort=price&limit=2&page=4").await;
    assert_eq!(names_of(&last), ["Office Chair"]);
    let (_, beyond) = app.list("sort=price&limit=2&page=5").await;
    assert!(names_of(&beyond).is_empty());
    assert_eq!(meta(&beyond), (5, 2, 7));
    let mut all = Vec::new();
    for page in 1..=3 {
        all.extend(app.list_names(&format!("limit=3&page={page}")).await);
    }
    assert_eq!(all, app.list_names("").await);
    let (_, capped) = app.list("limit=500").await;
    assert_eq!(meta(&capped), (1, 100, 7), "limit is capped at 100");
    app.stop().await;
}

#[tokio::test]
async fn bad_query_parameters_answer_400_naming_each_of_them() {
    let app = spawn_app().await;

    for (query, named) in [
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("sort=popularity", "sort"),
        ("sort=relevance", "sort"),
        ("minPrice=abc", "minPrice"),
        ("minPrice=1.234", "minPrice"),
        ("maxPrice=-5", "maxPrice"),
        ("minPrice=50&maxPrice=10", "minPrice"),
        ("search=a+b+c+d+e+f+g+h+i+j+k", "search"),
    ] {
        let (status, body) = app.list(query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
        assert!(
            body["error"]["details"][named].is_string(),
            "{query}: {body}"
        );
    }
    let (status, body) = app.list("page=0&limit=0&sort=x").await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["details"].as_object().unwrap().len(),
        3,
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn search_ranks_name_hits_over_tag_hits_over_description_hits() {
    let app = spawn_app().await;
    catalog(&app).await;

    let (_, body) = app.list("search=lamp").await;
    // Desk Lamp: name and description words; Lamp Shade: name word and "lamps";
    // Camping Lantern: the tag; Office Chair: a description word. The deleted one never shows.
    assert_eq!(
        names_of(&body),
        ["Desk Lamp", "Lamp Shade", "Camping Lantern", "Office Chair"]
    );
    assert_eq!(meta(&body).2, 4);
    assert_eq!(
        app.list_names("search=desk%20lamp").await,
        ["Desk Lamp", "Lamp Shade", "Camping Lantern", "Office Chair"]
    );
    assert_eq!(
        app.list_names("search=RUNNER").await,
        ["Trail Runner", "road runner socks"],
        "ties by id"
    );
    assert_eq!(
        app.list_names("search=lamp&sort=price").await,
        ["Lamp Shade", "Desk Lamp", "Camping Lantern", "Office Chair"]
    );
    assert_eq!(
        app.list_names("search=lamp&category=home&limit=1&page=3")
            .await,
        ["Office Chair"]
    );
    assert!(
        app.list_names("search=gone").await.is_empty(),
        "deleted products are not found"
    );
    assert!(
        app.list_names("search=c%2B%2B%20(.*)").await.is_empty(),
        "regex characters are literal"
    );
    app.stop().await;
}
