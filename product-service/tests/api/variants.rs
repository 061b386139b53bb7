//! Variants (issue 19): a product sold in colours and sizes, each variant a product of its own
//! (SKU, options, stock, price) that an order line names by its id. The product lists them and
//! shows their summed stock; the product itself is not sold meanwhile; a variant out of stock
//! is refused while its sibling is sold; two instances racing for a variant's last units give
//! exactly them.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use reqwest::Method;
use serde_json::{Value, json};
use shared::events::keys;

use crate::{
    helpers::{As, TestApp, assert_no_per_order_fields, product, spawn_app},
    order_service::{OrderService, new_order_id, order_cancelled, order_created},
    replicas::{distinct, every_buyer_answered, lowest_stock, two_instances},
};

fn variant(sku: &str, color: Option<&str>, size: Option<&str>, stock: i64) -> Value {
    let mut body = json!({ "sku": sku, "stock": stock });
    if let Some(color) = color {
        body["color"] = json!(color);
    }
    if let Some(size) = size {
        body["size"] = json!(size);
    }
    body
}

async fn add_variant(app: &TestApp, product: &str, who: As, body: &Value) -> (u16, Value) {
    app.request(
        Method::POST,
        &format!("/products/{product}/variants"),
        who,
        Some(body),
    )
    .await
}

async fn add_variant_ok(app: &TestApp, product: &str, body: &Value) -> String {
    let (status, answer) = add_variant(app, product, As::Admin, body).await;
    assert_eq!(status, 201, "{answer}");
    answer["data"]["id"].as_str().unwrap().to_owned()
}

/// A product sold in variants: its id and its variants' ids, in the order given.
async fn sold_in(app: &TestApp, name: &str, variants: &[Value]) -> (String, Vec<String>) {
    let mut body = product(name, 20.0, 7);
    body["lowStockThreshold"] = json!(0);
    let id = app.create_ok(&body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ids = Vec::new();
    for v in variants {
        ids.push(add_variant_ok(app, &id, v).await);
    }
    (id, ids)
}

async fn variant_count(app: &TestApp, product: &str) -> usize {
    let (status, body) = app.app.get(&format!("/products/{product}/variants")).await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().len()
}

#[tokio::test]
async fn an_admin_adds_variants_the_product_shows_them_and_bad_variants_change_nothing() {
    let app = spawn_app().await;
    let (tee, ids) = sold_in(
        &app,
        "Trail Tee",
        &[
            variant("TEE-RED-M", Some("Red"), Some("M"), 3),
            json!({"sku": "tee-blue-l", "color": "Blue", "size": "L", "stock": 0, "price": 22.5}),
        ],
    )
    .await;
    let (red, blue) = (&ids[0], &ids[1]);

    let (status, shown) = app.get_product(&tee).await;
    assert_eq!(status, 200);
    let shown: shared::api::products::Product =
        serde_json::from_value(shown["data"].clone()).expect("the declared answer type");
    assert_eq!(
        shown.stock, 3,
        "the variants' stock, not the product's own 7"
    );
    assert_eq!(shown.colors, ["Red", "Blue"]);
    assert_eq!(shown.sizes, ["M", "L"]);
    let skus: Vec<&str> = shown.variants.iter().map(|v| v.sku.as_str()).collect();
    assert_eq!(skus, ["TEE-RED-M", "tee-blue-l"]);
    assert_eq!(shown.variants[1].price.cents(), 2250);
    assert_eq!(shown.variants[1].stock_status.as_str(), "out_of_stock");

    // A variant is a product of its own, named by its id, listed only through its product.
    let (_, own) = app.get_product(red).await;
    assert_eq!(own["data"]["variant"]["productId"], tee.as_str());
    assert_eq!(own["data"]["variant"]["label"], "Red / M");
    assert_eq!(own["data"]["name"], "Trail Tee");
    assert_eq!(own["data"]["price"].to_string(), "20.0");
    assert_eq!(app.list_names("search=trail").await, ["Trail Tee"]);

    // Refused, changing nothing.
    let refusals = [
        (
            variant("tee-red-m", Some("Green"), None, 1),
            409,
            "a SKU taken, whatever the case",
        ),
        (
            variant("TEE-OTHER", Some("red"), Some("m"), 1),
            409,
            "options taken",
        ),
        (
            variant("TEE-NONE", None, None, 1),
            400,
            "no colour and no size",
        ),
        (
            variant("-bad sku", Some("Pink"), None, 1),
            400,
            "a malformed SKU",
        ),
        (
            variant("TEE-NEG", Some("Pink"), None, -1),
            400,
            "a negative stock",
        ),
    ];
    for (body, expected, why) in refusals {
        let (status, answer) = add_variant(&app, &tee, As::Admin, &body).await;
        assert_eq!(status, expected, "{why}: {answer}");
    }
    let pink = variant("TEE-PINK", Some("Pink"), None, 1);
    assert_eq!(add_variant(&app, &tee, As::Customer, &pink).await.0, 403);
    assert_eq!(
        add_variant(&app, red, As::Admin, &pink).await.0,
        404,
        "no variants of a variant"
    );
    let (status, _) = app.replace(red, &product("Renamed", 1.0, 1)).await;
    assert_eq!(status, 409, "a variant changes through its product");
    assert_eq!(variant_count(&app, &tee).await, 2);

    // Six admins at once with one SKU: one variant.
    let racing: Vec<Value> = (0..6)
        .map(|i| variant("TEE-RACE", Some(&format!("Shade {i}")), None, 1))
        .collect();
    let answers =
        futures::future::join_all(racing.iter().map(|b| add_variant(&app, &tee, As::Admin, b)))
            .await;
    let made = answers.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(made, 1, "{answers:?}");
    assert!(
        answers.iter().all(|(s, _)| [201, 409].contains(s)),
        "{answers:?}"
    );
    // A claim left by a variant never stored (a crash between the two writes) is freed.
    let ghost = bson::oid::ObjectId::new().to_hex();
    app.db
        .collection::<bson::Document>("products")
        .update_one(
            bson::doc! { "_id": bson::oid::ObjectId::parse_str(&tee).unwrap() },
            bson::doc! { "$set": { "variantKeys.s-TEE-GHOST": ghost } },
        )
        .await
        .unwrap();
    add_variant_ok(&app, &tee, &variant("tee-ghost", Some("Grey"), None, 0)).await;
    assert_eq!(variant_count(&app, &tee).await, 4);

    // The product changes: the variants follow, an own price stays.
    let (status, body) = app.replace(&tee, &product("Trail Tee II", 25.0, 7)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["variants"][0]["price"].to_string(), "25.0");
    assert_eq!(app.get_product(red).await.1["data"]["name"], "Trail Tee II");
    assert_eq!(
        app.get_product(blue).await.1["data"]["price"].to_string(),
        "22.5"
    );

    // A variant changes: its SKU moves, the old one is free again.
    let path = format!("/products/{tee}/variants/{red}");
    let changed = variant("TEE-RED-S", Some("Red"), Some("S"), 5);
    let (status, body) = app
        .request(Method::PUT, &path, As::Admin, Some(&changed))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["variant"]["label"], "Red / S");
    add_variant_ok(&app, &tee, &variant("TEE-RED-M", Some("Red"), Some("M"), 1)).await;
    assert_eq!(app.get_product(&tee).await.1["data"]["stock"], 7);

    // Removed: the variant is gone; removing the product removes its variants.
    let (status, _) = app.request(Method::DELETE, &path, As::Admin, None).await;
    assert_eq!(status, 200);
    assert_eq!(app.get_product(red).await.0, 404);
    assert_eq!(variant_count(&app, &tee).await, 4);
    assert_eq!(app.delete(&tee).await.0, 200);
    assert_eq!(app.get_product(blue).await.0, 404);
    app.app.stop_and_clean().await;
}

#[tokio::test]
async fn an_order_names_its_variants_and_a_variant_out_of_stock_is_refused_while_its_sibling_sells()
{
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*"]).await;
    let (tee, ids) = sold_in(
        &app,
        "Canvas Shoe",
        &[
            variant("SHOE-WHITE-42", Some("White"), Some("42"), 2),
            variant("SHOE-BLACK-42", Some("Black"), Some("42"), 0),
            variant("SHOE-BLACK-43", Some("Black"), Some("43"), 1),
        ],
    )
    .await;
    let (white, black, black43) = (&ids[0], &ids[1], &ids[2]);

    // The sold-out variant is refused, naming it; its stock and its siblings' are untouched.
    let short = new_order_id();
    orders.publish(&order_created(&short, &[(black, 1)])).await;
    let refused = orders
        .wait_for(keys::STOCK_REJECTED, |d| d["orderId"] == short.as_str())
        .await;
    assert_eq!(refused.data["lines"][0]["productId"], black.as_str());
    assert_eq!(refused.data["lines"][0]["reason"], "insufficient_stock");
    // The product itself is not sold while it has variants.
    let whole = new_order_id();
    orders.publish(&order_created(&whole, &[(&tee, 1)])).await;
    let refused = orders
        .wait_for(keys::STOCK_REJECTED, |d| d["orderId"] == whole.as_str())
        .await;
    assert_eq!(refused.data["lines"][0]["reason"], "variant_required");
    assert_eq!(
        app.stock_of(&tee).await,
        7,
        "its own units were not touched"
    );

    // Two variants of one product on one order: each line held on its own.
    let both = new_order_id();
    orders
        .publish(&order_created(&both, &[(white, 2), (black43, 1)]))
        .await;
    orders
        .wait_for(keys::STOCK_RESERVED, |d| d["orderId"] == both.as_str())
        .await;
    assert_eq!(
        (app.stock_of(white).await, app.stock_of(black43).await),
        (0, 0)
    );
    assert_eq!(
        app.get_product(&tee).await.1["data"]["stockStatus"],
        "out_of_stock"
    );

    orders.publish(&order_cancelled(&both)).await;
    orders
        .wait_for(keys::STOCK_RELEASED, |d| d["orderId"] == both.as_str())
        .await;
    assert_eq!(
        (app.stock_of(white).await, app.stock_of(black43).await),
        (2, 1)
    );
    assert_eq!(app.get_product(&tee).await.1["data"]["stock"], 3);

    // With its last variant removed, the product is sold itself again.
    for id in &ids {
        let path = format!("/products/{tee}/variants/{id}");
        assert_eq!(
            app.request(Method::DELETE, &path, As::Admin, None).await.0,
            200
        );
    }
    let again = new_order_id();
    orders.publish(&order_created(&again, &[(&tee, 1)])).await;
    orders
        .wait_for(keys::STOCK_RESERVED, |d| d["orderId"] == again.as_str())
        .await;
    assert_eq!(app.stock_of(&tee).await, 6);
    assert_no_per_order_fields(&app.product_doc(white).await);
    orders.stop().await;
    app.app.stop_and_clean().await;
}

#[tokio::test]
async fn two_instances_racing_for_a_variants_last_units_give_exactly_them() {
    let (first, second, orders) = two_instances().await;
    let (_, ids) = sold_in(
        &first,
        "Last Size",
        &[
            variant("LAST-S", None, Some("S"), 3),
            variant("LAST-M", None, Some("M"), 50),
        ],
    )
    .await;
    let (small, medium) = (&ids[0], &ids[1]);
    const BUYERS: usize = 24;
    let events: Vec<_> = (0..BUYERS)
        .map(|_| order_created(&new_order_id(), &[(small, 1)]))
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = lowest_stock(&first.db, small, done.clone());

    futures::future::join_all(events.iter().map(|e| orders.publish(e))).await;
    every_buyer_answered(&orders, BUYERS).await;
    done.store(true, Ordering::SeqCst);

    assert_eq!(distinct(&orders.seen(keys::STOCK_RESERVED)).len(), 3);
    assert_eq!(
        distinct(&orders.seen(keys::STOCK_REJECTED)).len(),
        BUYERS - 3
    );
    assert!(sampler.await.unwrap() >= 0, "never below zero");
    assert_eq!(first.stock_of(small).await, 0);
    assert_eq!(first.stock_of(medium).await, 50, "the sibling is untouched");
    assert_eq!(first.holds_of(small).await.len(), 3);
    orders.stop().await;
    second.app.stop_and_clean().await;
    first.app.stop_and_clean().await;
}
