//! The cart (issue 15) against the real product-service: lines set, changed and removed,
//! priced at read time by the one pricing function, flagged when a product is gone or short,
//! refused input writing nothing, one cart per customer, concurrent changes all landing.

use bson::doc;
use order_service::domain::{Discounts, Money, pricing};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{NOWHERE, TestApp, database, order_config, spawn_replica, spawn_without_fulfilment},
    requests::{Customer, call},
};

impl TestApp {
    /// `PUT /cart/items/{product}` with `{quantity}`.
    pub async fn put_line(&self, who: &Customer, product: &str, quantity: Value) -> (u16, Value) {
        let path = format!("/cart/items/{product}");
        let body = json!({ "quantity": quantity });
        self.request(Method::PUT, &path, Some(&who.bearer), Some(&body))
            .await
    }

    /// `GET /cart`, which must answer 200; its `data`.
    pub async fn cart(&self, who: &Customer) -> Value {
        let (status, body) = self
            .request(Method::GET, "/cart", Some(&who.bearer), None)
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"].clone()
    }

    /// Carts stored.
    pub async fn cart_count(&self) -> u64 {
        self.db
            .collection::<bson::Document>("carts")
            .count_documents(doc! {})
            .await
            .expect("count")
    }

    /// Replaces a product in product-service (as an admin).
    pub async fn reprice(&self, id: &str, name: &str, price: f64, stock: i64) {
        let body = json!({ "name": name, "description": "Repriced.", "price": price,
            "category": "General", "tags": [], "stock": stock });
        let url = self.products.url(&format!("/products/{id}"));
        let (status, answer) = call(
            &self.products.client,
            Method::PUT,
            &url,
            Some(&self.admin),
            Some(&body),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    }
}

/// The pricing function's quote of these line subtotals (cents), as JSON.
fn expected_quote(subtotals: &[i64]) -> Value {
    let lines: Vec<Money> = subtotals.iter().copied().map(Money::from_cents).collect();
    serde_json::to_value(pricing::quote(&lines, &Discounts::NONE).unwrap()).unwrap()
}

fn product_ids(cart: &Value) -> Vec<&str> {
    cart["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["productId"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn lines_are_set_changed_and_removed_and_the_cart_is_priced_by_the_pricing_function() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 19.99, 50).await;
    let pin = t.product("Pin", 0.1, 50).await;
    let buyer = t.customer();

    let (status, added) = t.put_line(&buyer, &lamp, json!(2)).await;
    assert_eq!(status, 200, "{added}");
    t.put_line(&buyer, &pin, json!(3)).await;
    let (_, changed) = t.put_line(&buyer, &lamp, json!(3)).await;

    let cart = &changed["data"];
    assert_eq!(
        product_ids(cart),
        [lamp.as_str(), pin.as_str()],
        "oldest first"
    );
    assert_eq!(
        cart["items"][0],
        json!({ "productId": lamp, "name": "Lamp", "price": 19.99, "quantity": 3,
            "subtotal": 59.97, "inStock": true, "available": true })
    );
    // 60.27, free shipping, tax 4.82.
    assert_eq!(cart["quote"], expected_quote(&[5997, 30]));
    assert_eq!(cart["quote"]["total"], json!(65.09));
    assert_eq!(t.cart(&buyer).await, *cart);

    let (status, _) = t.put_line(&buyer, &pin, json!(0)).await;
    assert_eq!(status, 200);
    let without_pin = t.cart(&buyer).await;
    assert_eq!(product_ids(&without_pin), [lamp.as_str()]);
    assert_eq!(without_pin["quote"], expected_quote(&[5997]));
    let (status, emptied) = t
        .request(
            Method::DELETE,
            &format!("/cart/items/{lamp}"),
            Some(&buyer.bearer),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(emptied["data"]["items"], json!([]));
    t.put_line(&buyer, &pin, json!(1)).await;
    let (status, cleared) = t
        .request(Method::DELETE, "/cart", Some(&buyer.bearer), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        cleared["data"],
        json!({ "items": [], "quote": expected_quote(&[]) })
    );
    t.stop().await;
}

#[tokio::test]
async fn the_cart_shows_todays_price_and_flags_deleted_and_short_products() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 5).await;
    let mug = t.product("Mug", 4.5, 1).await;
    let buyer = t.customer();
    t.put_line(&buyer, &lamp, json!(2)).await;
    t.put_line(&buyer, &mug, json!(3)).await;

    t.reprice(&lamp, "Desk Lamp", 12.5, 5).await;
    let repriced = t.cart(&buyer).await;
    let (status, _) = call(
        &t.products.client,
        Method::DELETE,
        &t.products.url(&format!("/products/{mug}")),
        Some(&t.admin),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let after_delete = t.cart(&buyer).await;

    assert_eq!(repriced["items"][0]["price"], json!(12.5));
    assert_eq!(repriced["items"][0]["name"], "Desk Lamp");
    assert_eq!(repriced["items"][0]["subtotal"], json!(25.0));
    assert_eq!(repriced["items"][1]["inStock"], false, "3 wanted, 1 left");
    assert_eq!(repriced["items"][1]["available"], true);
    assert_eq!(
        repriced["quote"],
        expected_quote(&[2500, 1350]),
        "short lines are priced"
    );
    assert_eq!(
        after_delete["items"][1],
        json!({ "productId": mug, "name": "Mug", "price": null, "quantity": 3,
            "subtotal": null, "inStock": false, "available": false })
    );
    assert_eq!(
        after_delete["quote"],
        expected_quote(&[2500]),
        "a deleted product is not priced"
    );
    t.stop().await;
}

#[tokio::test]
async fn bad_input_is_400_naming_the_field_and_writes_nothing() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 5).await;
    let buyer = t.customer();

    for bad in [json!(-1), json!(1001), json!(1.5), json!("2"), json!(null)] {
        let (status, answer) = t.put_line(&buyer, &lamp, bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {answer}");
        assert!(
            answer["error"]["details"]["quantity"].is_string(),
            "{answer}"
        );
    }
    let (status, answer) = t.put_line(&buyer, "not-an-id", json!(1)).await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]["details"]["productId"].is_string(),
        "{answer}"
    );
    let (status, answer) = t
        .put_line(&buyer, "64b0000000000000000000ff", json!(1))
        .await;
    assert_eq!(status, 404, "{answer}");
    let (status, answer) = t
        .request(
            Method::PUT,
            &format!("/cart/items/{lamp}"),
            Some(&buyer.bearer),
            Some(&json!({})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["details"]["quantity"], "is required");

    assert_eq!(t.cart_count().await, 0);
    assert_eq!(t.cart(&buyer).await["items"], json!([]));
    t.stop().await;
}

#[tokio::test]
async fn a_customer_sees_and_changes_only_their_own_cart() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 5).await;
    let (alice, bob) = (t.customer(), t.customer());
    t.put_line(&alice, &lamp, json!(2)).await;

    let bobs = t.cart(&bob).await;
    t.request(
        Method::DELETE,
        &format!("/cart/items/{lamp}"),
        Some(&bob.bearer),
        None,
    )
    .await;
    t.request(Method::DELETE, "/cart", Some(&bob.bearer), None)
        .await;
    let (anonymous, _) = t.request(Method::GET, "/cart", None, None).await;

    assert_eq!(bobs["items"], json!([]));
    assert_eq!(t.cart(&alice).await["items"][0]["quantity"], 2);
    assert_eq!(anonymous, 401);
    t.stop().await;
}

#[tokio::test]
async fn concurrent_changes_to_one_cart_all_land() {
    let t = spawn_without_fulfilment().await;
    let mut products = Vec::new();
    for n in 0..8 {
        products.push(
            t.product(&format!("Thing {n}"), 1.0 + f64::from(n), 100)
                .await,
        );
    }
    let buyer = t.customer();

    // A fresh cart: the first writes race to create it too.
    let puts = products.iter().map(|p| t.put_line(&buyer, p, json!(2)));
    let answers = futures::future::join_all(puts).await;

    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
    }
    let cart = t.cart(&buyer).await;
    let mut held: Vec<&str> = product_ids(&cart);
    held.sort_unstable();
    let mut wanted: Vec<&str> = products.iter().map(String::as_str).collect();
    wanted.sort_unstable();
    assert_eq!(held, wanted);
    t.stop().await;
}

#[tokio::test]
async fn a_cart_holds_at_most_a_hundred_products_but_its_lines_still_change() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 5).await;
    let buyer = t.customer();
    let (status, _) = t.put_line(&buyer, &lamp, json!(1)).await;
    assert_eq!(status, 200);
    // 99 more lines (of products that do not exist: they show as unavailable).
    let mut set = bson::Document::new();
    for n in 0..99 {
        set.insert(
            format!("lines.p{n:024x}"),
            doc! { "quantity": 1, "name": "Ghost", "addedAtMs": 1 },
        );
    }
    t.db.collection::<bson::Document>("carts")
        .update_one(
            doc! { "_id": &buyer.id },
            doc! { "$set": set, "$inc": { "count": 99 } },
        )
        .await
        .unwrap();
    let other = t.product("Mug", 4.0, 5).await;

    let (full, refusal) = t.put_line(&buyer, &other, json!(1)).await;
    let (changed, cart) = t.put_line(&buyer, &lamp, json!(4)).await;

    assert_eq!(full, 422, "{refusal}");
    assert_eq!(refusal["error"]["code"], "UNPROCESSABLE");
    assert_eq!(changed, 200, "{cart}");
    let items = cart["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 100);
    assert!(
        items
            .iter()
            .any(|l| l["productId"] == lamp.as_str() && l["quantity"] == 4)
    );
    assert_eq!(cart["data"]["quote"], expected_quote(&[4000]));
    t.stop().await;
}

#[tokio::test]
async fn an_order_of_the_carts_lines_is_priced_exactly_as_the_cart_quoted() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 7.77, 50).await;
    let pin = t.product("Pin", 0.35, 50).await;
    let buyer = t.customer();
    t.put_line(&buyer, &lamp, json!(3)).await;
    t.put_line(&buyer, &pin, json!(7)).await;

    let cart = t.cart(&buyer).await;
    let order = t.place_ok(&buyer, &[(&lamp, 3), (&pin, 7)]).await;

    // 23.31 + 2.45 = 25.76, shipping 5.99, tax 8 % of 31.75 = 2.54.
    assert_eq!(cart["quote"]["total"], json!(34.29));
    assert_eq!(order["quote"], cart["quote"]);
    assert_eq!(order["total"], cart["quote"]["subtotal"]);
    t.stop().await;
}

#[tokio::test]
async fn product_service_being_down_answers_503_and_the_cart_is_kept() {
    let names = shared::testing::TestNames::new();
    let config = order_config(&names, NOWHERE, NOWHERE);
    let db = database(&config).await;
    let replica = spawn_replica(config).await;
    let customer = bson::oid::ObjectId::new().to_hex();
    let bearer = names.bearer(&customer, shared::auth::Role::Customer);
    db.collection::<bson::Document>("carts")
        .insert_one(doc! { "_id": &customer, "count": 1,
            "lines": { "p64b000000000000000000001": { "quantity": 2, "name": "Lamp", "addedAtMs": 1 } } })
        .await
        .unwrap();
    let app = &replica.app;
    let line = app.url("/cart/items/64b000000000000000000002");

    let (read, answer) = call(
        &app.client,
        Method::GET,
        &app.url("/cart"),
        Some(&bearer),
        None,
    )
    .await;
    let (added, _) = call(
        &app.client,
        Method::PUT,
        &line,
        Some(&bearer),
        Some(&json!({"quantity": 1})),
    )
    .await;

    assert_eq!(read, 503, "{answer}");
    assert_eq!(answer["error"]["code"], "UPSTREAM_UNAVAILABLE");
    assert_eq!(added, 503);
    let stored = db
        .collection::<bson::Document>("carts")
        .find_one(doc! { "_id": &customer })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.get_document("lines").unwrap().len(),
        1,
        "nothing written"
    );
    replica.app.stop_and_clean().await;
}
