//! Reviews: only a customer whose order holding the product was delivered (learnt from
//! `order.status_changed`, published here as order-service does) may review it, once; edits and
//! hiding move the product's rating exactly; `sort=rating` orders the catalog.

use bson::{Document, doc, oid::ObjectId};
use reqwest::Method;
use serde_json::{Value, json};
use shared::{
    auth::Role,
    events::{Envelope, keys},
    testing::eventually,
};

use crate::{
    helpers::{TestApp, WAIT, product, spawn_app},
    order_service::{OrderService, new_order_id},
};

/// `order.status_changed` into `DELIVERED` for an order of `customer` holding `products`, with
/// the order as order-service's API shows it.
fn delivered(customer: &str, products: &[&str]) -> Envelope {
    let order_id = new_order_id();
    let items: Vec<Value> = products
        .iter()
        .map(|p| json!({ "productId": p, "name": "Thing", "price": 10.0, "quantity": 1, "subtotal": 10.0 }))
        .collect();
    Envelope::new(
        keys::ORDER_STATUS_CHANGED,
        "order-service",
        format!("req-deliver-{order_id}"),
        json!({
            "orderId": order_id, "customerId": customer, "oldStatus": "SHIPPED",
            "newStatus": "DELIVERED", "at": "2026-01-01T00:00:00.000Z", "index": 5,
            "order": { "id": order_id, "customerId": customer, "status": "DELIVERED",
                       "items": items, "total": 10.0 },
        }),
    )
}

/// A fresh customer id, as customer-service issues them.
fn customer() -> String {
    ObjectId::new().to_hex()
}

struct Shop {
    app: TestApp,
    orders: OrderService,
}

impl Shop {
    async fn start() -> Self {
        let app = spawn_app().await;
        let orders = OrderService::start(&app.names, &["review.*"]).await;
        Self { app, orders }
    }

    async fn product(&self, name: &str) -> String {
        let created = self.app.create_ok(&product(name, 10.0, 50)).await;
        created["id"].as_str().unwrap().to_owned()
    }

    /// Publishes the delivery and waits until every product of it is recorded as received.
    async fn deliver(&self, customer: &str, products: &[&str]) -> Envelope {
        let event = delivered(customer, products);
        self.orders.publish(&event).await;
        for product in products {
            self.wait_purchase(customer, product).await;
        }
        event
    }

    async fn wait_purchase(&self, customer: &str, product: &str) -> Document {
        let key = format!("{customer}:{product}");
        let purchases = self.app.db.collection::<Document>("purchases");
        eventually("the purchase to be recorded", WAIT, || async {
            purchases.find_one(doc! { "_id": &key }).await.unwrap()
        })
        .await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        who: (&str, Role),
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self
            .app
            .app
            .client
            .request(method, self.app.app.url(path))
            .header("authorization", self.app.names.bearer(who.0, who.1));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn review(&self, product: &str, customer: &str, rating: i64) -> (u16, Value) {
        let body = json!({ "rating": rating, "title": "Verdict", "body": "Works as described." });
        let path = format!("/products/{product}/reviews");
        self.call(Method::POST, &path, (customer, Role::Customer), Some(&body))
            .await
    }

    async fn edit(&self, product: &str, customer: &str, rating: i64) -> (u16, Value) {
        let body = json!({ "rating": rating, "body": "Changed my mind." });
        let path = format!("/products/{product}/reviews/mine");
        self.call(Method::PUT, &path, (customer, Role::Customer), Some(&body))
            .await
    }

    async fn hide(&self, product: &str, review: &str, hidden: bool) -> (u16, Value) {
        let path = format!("/products/{product}/reviews/{review}");
        let body = json!({ "hidden": hidden });
        self.call(Method::PATCH, &path, ("admin-1", Role::Admin), Some(&body))
            .await
    }

    /// The product's `rating` as `GET /products/{id}` shows it (through the cache).
    async fn rating(&self, product: &str) -> Value {
        let (status, body) = self.app.get_product(product).await;
        assert_eq!(status, 200, "{body}");
        body["data"]["rating"].clone()
    }

    async fn reviews(&self, product: &str, query: &str) -> Value {
        let (status, body) = self
            .app
            .app
            .get(&format!("/products/{product}/reviews?{query}"))
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn stored_reviews(&self) -> u64 {
        let reviews = self.app.db.collection::<Document>("reviews");
        reviews.count_documents(doc! {}).await.unwrap()
    }

    async fn stop(self) {
        self.orders.stop().await;
        self.app.stop().await;
    }
}

#[tokio::test]
async fn a_customer_whose_order_was_delivered_reviews_the_product_and_it_is_rated_at_once() {
    let shop = Shop::start().await;
    let kettle = shop.product("Review Kettle").await;
    let buyer = customer();
    assert_eq!(
        shop.rating(&kettle).await,
        json!({ "average": null, "count": 0 }),
        "read (and cached) before any review"
    );

    shop.deliver(&buyer, &[&kettle]).await;
    let (status, body) = shop.review(&kettle, &buyer, 4).await;

    assert_eq!(status, 201, "{body}");
    let review = &body["data"];
    assert_eq!(
        (&review["rating"], &review["title"], &review["customerId"]),
        (&json!(4), &json!("Verdict"), &json!(buyer))
    );
    assert_eq!(
        shop.rating(&kettle).await,
        json!({ "average": 4.0, "count": 1 }),
        "never the cached rating from before"
    );
    let list = shop.reviews(&kettle, "").await;
    assert_eq!(list["meta"], json!({ "page": 1, "limit": 20, "total": 1 }));
    assert_eq!(list["data"][0]["id"], review["id"]);
    let event = shop
        .orders
        .wait_for(keys::REVIEW_CREATED, |d| d["reviewId"] == review["id"])
        .await;
    assert_eq!(
        event.data,
        json!({ "reviewId": review["id"], "productId": kettle, "customerId": buyer, "rating": 4 })
    );
    shop.stop().await;
}

#[tokio::test]
async fn a_customer_who_never_received_the_product_gets_403_and_nothing_is_written() {
    let shop = Shop::start().await;
    let wanted = shop.product("Unreceived Lamp").await;
    let other = shop.product("Received Mug").await;
    let buyer = customer();
    shop.deliver(&buyer, &[&other]).await;

    let (status, body) = shop.review(&wanted, &buyer, 5).await;
    let (stranger, _) = shop.review(&other, &customer(), 5).await;

    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "FORBIDDEN");
    assert_eq!(stranger, 403);
    assert_eq!(shop.stored_reviews().await, 0);
    assert_eq!(shop.rating(&wanted).await["count"], 0);
    shop.stop().await;
}

#[tokio::test]
async fn a_second_review_is_409_and_an_edit_changes_the_average_exactly() {
    let shop = Shop::start().await;
    let chair = shop.product("Review Chair").await;
    let (ann, bob) = (customer(), customer());
    shop.deliver(&ann, &[&chair]).await;
    shop.deliver(&bob, &[&chair]).await;
    assert_eq!(shop.review(&chair, &ann, 5).await.0, 201);
    assert_eq!(shop.review(&chair, &bob, 4).await.0, 201);
    assert_eq!(shop.rating(&chair).await["average"], 4.5);

    let (again, body) = shop.review(&chair, &bob, 1).await;
    let (edited, review) = shop.edit(&chair, &bob, 2).await;
    let (nobody, _) = shop.edit(&chair, &customer(), 3).await;

    assert_eq!(again, 409, "{body}");
    assert_eq!(body["error"]["code"], "CONFLICT");
    assert_eq!(edited, 200, "{review}");
    assert_eq!(
        (&review["data"]["rating"], &review["data"]["title"]),
        (&json!(2), &Value::Null),
        "PUT replaces every field"
    );
    assert_eq!(nobody, 404);
    assert_eq!(
        shop.rating(&chair).await,
        json!({ "average": 3.5, "count": 2 })
    );
    assert_eq!(shop.edit(&chair, &ann, 4).await.0, 200);
    assert_eq!(
        shop.rating(&chair).await,
        json!({ "average": 3.0, "count": 2 })
    );
    assert_eq!(shop.stored_reviews().await, 2);
    shop.stop().await;
}

#[tokio::test]
async fn a_hidden_review_leaves_the_list_and_the_average_until_it_is_shown_again() {
    let shop = Shop::start().await;
    let desk = shop.product("Review Desk").await;
    let (ann, bob, cy) = (customer(), customer(), customer());
    for who in [&ann, &bob, &cy] {
        shop.deliver(who, &[&desk]).await;
    }
    shop.review(&desk, &ann, 5).await;
    shop.review(&desk, &bob, 4).await;
    let (_, abusive) = shop.review(&desk, &cy, 1).await;
    let abusive = abusive["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        shop.rating(&desk).await,
        json!({ "average": 3.33, "count": 3 })
    );

    let (by_customer, _) = shop
        .call(
            Method::PATCH,
            &format!("/products/{desk}/reviews/{abusive}"),
            (&ann, Role::Customer),
            Some(&json!({ "hidden": true })),
        )
        .await;
    let (status, hidden) = shop.hide(&desk, &abusive, true).await;

    assert_eq!(by_customer, 403);
    assert_eq!(status, 200, "{hidden}");
    assert_eq!(hidden["data"]["hidden"], true);
    let list = shop.reviews(&desk, "sort=rating").await;
    let ratings: Vec<&Value> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["rating"])
        .collect();
    assert_eq!(
        ratings,
        [&json!(5), &json!(4)],
        "best first, the hidden one gone"
    );
    assert_eq!(list["meta"]["total"], 2);
    assert_eq!(
        shop.rating(&desk).await,
        json!({ "average": 4.5, "count": 2 })
    );
    assert_eq!(
        shop.hide(&desk, &abusive, true).await.0,
        200,
        "hiding twice"
    );
    assert_eq!(shop.rating(&desk).await["count"], 2);

    assert_eq!(shop.hide(&desk, &abusive, false).await.0, 200);
    assert_eq!(shop.reviews(&desk, "").await["meta"]["total"], 3);
    assert_eq!(
        shop.rating(&desk).await,
        json!({ "average": 3.33, "count": 3 })
    );
    shop.stop().await;
}

#[tokio::test]
async fn sort_by_rating_lists_the_best_average_first_ties_by_review_count() {
    let shop = Shop::start().await;
    let (good, great, popular, unrated) = (
        shop.product("Rated Good").await,
        shop.product("Rated Great").await,
        shop.product("Rated Good Often").await,
        shop.product("Rated Never").await,
    );
    let (ann, bob) = (customer(), customer());
    shop.deliver(&ann, &[&good, &great, &popular]).await;
    shop.deliver(&bob, &[&popular]).await;
    shop.review(&good, &ann, 4).await;
    shop.review(&great, &ann, 5).await;
    shop.review(&popular, &ann, 4).await;
    shop.review(&popular, &bob, 4).await;

    let names = shop.app.list_names("sort=rating").await;

    assert_eq!(
        names,
        [
            "Rated Great",
            "Rated Good Often",
            "Rated Good",
            "Rated Never"
        ]
    );
    let _ = unrated;
    shop.stop().await;
}

#[tokio::test]
async fn a_redelivered_delivered_event_changes_nothing() {
    let shop = Shop::start().await;
    let lamp = shop.product("Redelivered Lamp").await;
    let marker = shop.product("Marker Product").await;
    let buyer = customer();
    let event = shop.deliver(&buyer, &[&lamp]).await;
    let recorded = shop.wait_purchase(&buyer, &lamp).await;
    assert_eq!(shop.review(&lamp, &buyer, 3).await.0, 201);
    let claimed = shop.wait_purchase(&buyer, &lamp).await;

    shop.orders.publish(&event).await;
    shop.orders.publish(&delivered(&buyer, &[&lamp])).await;
    // Handled after both (one queue, in order): once it is recorded, they were too.
    shop.deliver(&buyer, &[&marker]).await;

    assert_eq!(shop.wait_purchase(&buyer, &lamp).await, claimed);
    assert_eq!(claimed.get("orderId"), recorded.get("orderId"));
    assert_eq!(shop.review(&lamp, &buyer, 5).await.0, 409);
    assert_eq!(
        shop.rating(&lamp).await,
        json!({ "average": 3.0, "count": 1 })
    );
    let purchases = shop.app.db.collection::<Document>("purchases");
    assert_eq!(purchases.count_documents(doc! {}).await.unwrap(), 2);
    shop.stop().await;
}

#[tokio::test]
async fn bad_reviews_are_400_naming_the_field_and_write_nothing() {
    let shop = Shop::start().await;
    let vase = shop.product("Review Vase").await;
    let gone = shop.product("Deleted Vase").await;
    let buyer = customer();
    shop.deliver(&buyer, &[&vase, &gone]).await;
    assert_eq!(shop.app.delete(&gone).await.0, 200);
    let post = |product: String, body: Value| {
        let path = format!("/products/{product}/reviews");
        let buyer = buyer.clone();
        let shop = &shop;
        async move {
            shop.call(Method::POST, &path, (&buyer, Role::Customer), Some(&body))
                .await
        }
    };

    let (status, body) = post(vase.clone(), json!({ "rating": 6, "body": " " })).await;
    let (fraction, _) = post(vase.clone(), json!({ "rating": 4.5, "body": "ok" })).await;
    let (unknown, _) = post(
        ObjectId::new().to_hex(),
        json!({ "rating": 4, "body": "ok" }),
    )
    .await;
    let (deleted, _) = post(gone.clone(), json!({ "rating": 4, "body": "ok" })).await;
    let (bad_sort, sort_body) = shop
        .app
        .app
        .get(&format!("/products/{vase}/reviews?sort=best"))
        .await;
    let (missing_list, _) = shop
        .app
        .app
        .get(&format!("/products/{}/reviews", ObjectId::new().to_hex()))
        .await;

    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
    assert!(body["error"]["details"]["rating"].is_string(), "{body}");
    assert!(body["error"]["details"]["body"].is_string(), "{body}");
    assert_eq!(fraction, 400);
    assert_eq!((unknown, deleted, missing_list), (404, 404, 404));
    assert_eq!(bad_sort, 400);
    assert!(sort_body["error"]["details"]["sort"].is_string());
    assert_eq!(shop.stored_reviews().await, 0);
    let claimed = shop.wait_purchase(&buyer, &vase).await;
    assert!(
        !claimed.contains_key("reviewId"),
        "no review id was claimed"
    );
    assert_eq!(shop.review(&vase, &buyer, 4).await.0, 201, "still allowed");
    shop.stop().await;
}

#[tokio::test]
async fn the_average_is_exact_after_concurrent_reviews_and_redeliveries_and_the_product_keeps_nothing_per_review()
 {
    let shop = Shop::start().await;
    let mug = shop.product("Crowded Mug").await;
    let buyers: Vec<String> = (0..6).map(|_| customer()).collect();
    for buyer in &buyers {
        let event = shop.deliver(buyer, &[&mug]).await;
        // The broker delivers it again.
        shop.orders.publish(&event).await;
    }
    let stars = [5, 4, 4, 3, 2, 5];

    let posted = futures::future::join_all(
        buyers
            .iter()
            .zip(stars)
            .map(|(buyer, rating)| shop.review(&mug, buyer, rating)),
    )
    .await;
    assert!(posted.iter().all(|(s, _)| *s == 201), "{posted:?}");
    // Two clients retry their edit at once; one re-sends its review (409, nothing counted).
    let edits = futures::future::join_all([
        shop.edit(&mug, &buyers[0], 1),
        shop.edit(&mug, &buyers[0], 1),
        shop.edit(&mug, &buyers[1], 5),
    ])
    .await;
    assert!(edits.iter().all(|(s, _)| *s == 200), "{edits:?}");
    assert_eq!(shop.review(&mug, &buyers[2], 4).await.0, 409);

    // 1 + 5 + 4 + 3 + 2 + 5 = 20 over 6.
    assert_eq!(
        shop.rating(&mug).await,
        json!({ "average": 3.33, "count": 6 })
    );
    let stored = shop.app.product_doc(&mug).await;
    assert!(!stored.contains_key("ratings"), "{stored}");
    let keys: Vec<&String> = stored.keys().collect();
    assert!(keys.iter().all(|k| !k.starts_with("ratings.")), "{keys:?}");
    shop.stop().await;
}

#[tokio::test]
async fn a_product_rated_by_an_older_version_is_recounted_and_loses_its_per_review_fields() {
    let shop = Shop::start().await;
    let mug = shop.product("Legacy Mug").await;
    let buyer = customer();
    shop.deliver(&buyer, &[&mug]).await;
    assert_eq!(shop.review(&mug, &buyer, 4).await.0, 201);
    // What an older version left: a per-review entry and sums that a crash left behind.
    let id = ObjectId::parse_str(&mug).unwrap();
    let products = shop.app.db.collection::<Document>("products");
    products
        .update_one(
            doc! { "_id": id },
            doc! { "$set": { "ratings": { ObjectId::new().to_hex(): 2 }, "ratingSum": 6, "ratingCount": 2 } },
        )
        .await
        .unwrap();

    let reviews = product_service::store::reviews::Reviews::new(&shop.app.db);
    assert_eq!(reviews.migrate_legacy().await.unwrap(), 1);
    assert_eq!(reviews.migrate_legacy().await.unwrap(), 0, "nothing left");

    let stored = shop.app.product_doc(&mug).await;
    assert!(!stored.contains_key("ratings"), "{stored}");
    assert_eq!(product_service::store::int(&stored, "ratingSum"), Some(4));
    assert_eq!(product_service::store::int(&stored, "ratingCount"), Some(1));
    shop.stop().await;
}

#[tokio::test]
async fn a_buyer_of_a_variant_reviews_its_product() {
    let shop = Shop::start().await;
    let tee = shop.product("Review Tee").await;
    let (status, body) = shop
        .call(
            Method::POST,
            &format!("/products/{tee}/variants"),
            ("admin-1", Role::Admin),
            Some(&json!({"sku": "REVIEW-TEE-S", "size": "S", "stock": 4})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let small = body["data"]["id"].as_str().unwrap().to_owned();
    let buyer = customer();

    // Delivered as the variant; recorded for the variant and for its product.
    shop.deliver(&buyer, &[&small]).await;
    shop.wait_purchase(&buyer, &tee).await;
    let (status, body) = shop.review(&tee, &buyer, 5).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        shop.rating(&tee).await,
        json!({ "average": 5.0, "count": 1 })
    );
    shop.stop().await;
}
