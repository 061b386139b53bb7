//! `POST /checkout` (issue 15) against the real product-service: the cart becomes one order
//! priced as the cart was, the cart is emptied, and that happens once, whether the request is
//! retried, raced by a second tab, or finishes the job of one that stopped half-way.

use bson::doc;
use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use shared::{
    events::keys,
    testing::{eventually, take_one},
};

use crate::{
    helpers::{TestApp, WAIT, spawn_without_fulfilment},
    requests::{Customer, call},
};

fn address() -> Value {
    json!({ "street": "1 Main St", "city": "Springfield", "zipCode": "12345", "country": "US" })
}

/// A checkout body with an address and a new card that the test provider approves.
pub fn checkout_body() -> Value {
    json!({ "shippingAddress": address(), "card": crate::payments::card(crate::payments::APPROVES) })
}

impl TestApp {
    /// `POST /checkout` with `body` (none when `None`) and an `Idempotency-Key` when given.
    pub async fn checkout(
        &self,
        who: &Customer,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> (u16, Value, Option<String>) {
        let mut request = self
            .orders
            .app
            .client
            .post(self.orders.app.url("/checkout"))
            .header("authorization", &who.bearer);
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let replayed = response
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok())
            .map(ToOwned::to_owned);
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body, replayed)
    }

    /// Checks `who`'s cart out with an address and a card; must answer 201; the order.
    pub async fn checkout_ok(&self, who: &Customer) -> Value {
        let body = checkout_body();
        let (status, answer, _) = self.checkout(who, Some(&body), None).await;
        assert_eq!(status, 201, "{answer}");
        answer["data"].clone()
    }

    /// The stored cart document of `who`, if any.
    pub async fn stored_cart(&self, who: &Customer) -> Option<bson::Document> {
        self.db
            .collection::<bson::Document>("carts")
            .find_one(doc! { "_id": &who.id })
            .await
            .expect("read")
    }

    /// Deletes a product in product-service (as an admin).
    async fn delete_product(&self, id: &str) {
        let url = self.products.url(&format!("/products/{id}"));
        let (status, answer) = call(
            &self.products.client,
            Method::DELETE,
            &url,
            Some(&self.admin),
            None,
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    }
}

/// The lines of a cart or an order, as an order shows them.
fn lines(view: &Value) -> Vec<Value> {
    view["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            json!({ "productId": l["productId"], "name": l["name"], "price": l["price"],
                "quantity": l["quantity"], "subtotal": l["subtotal"] })
        })
        .collect()
}

#[tokio::test]
async fn a_checkout_turns_the_cart_into_one_order_priced_as_the_cart_and_empties_it() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 19.99, 10).await;
    let pin = t.product("Pin", 0.1, 10).await;
    let buyer = t.customer();
    t.put_line(&buyer, &lamp, json!(2)).await;
    t.put_line(&buyer, &pin, json!(3)).await;
    let cart = t.cart(&buyer).await;

    let order = t.checkout_ok(&buyer).await;
    let emptied = t.cart(&buyer).await;
    let processing = t
        .wait_for_status(order["id"].as_str().unwrap(), "PROCESSING")
        .await;

    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["customerId"], buyer.id.as_str());
    assert_eq!(lines(&order), lines(&cart));
    assert_eq!(order["quote"], cart["quote"], "to the cent");
    assert_eq!(order["quote"]["total"], json!(49.97));
    assert_eq!(order["shippingAddress"], address());
    assert_eq!(emptied["items"], json!([]));
    assert!(t.stored_cart(&buyer).await.is_none());
    assert_eq!(processing["quote"], cart["quote"]);
    assert_eq!(t.order_count().await, 1);
    t.wait_for_stock(&lamp, 8).await;
    // `cart.checked_out` left with the order, through its outbox (analytics' queue holds it).
    let queue = t.bus.queue_name("analytics.events");
    let event = eventually("cart.checked_out to be published", WAIT, || async {
        while let Some(event) = take_one(&t.bus, &queue).await {
            if event.kind == keys::CART_CHECKED_OUT {
                return Some(event);
            }
        }
        None
    })
    .await;
    assert_eq!(
        event.data,
        json!({ "customerId": buyer.id, "orderId": order["id"], "total": 49.97 })
    );
    t.stop().await;
}

#[tokio::test]
async fn a_checkout_prices_the_cart_now_and_waits_for_an_address_it_cannot_read() {
    let mut t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    t.put_line(&buyer, &lamp, json!(2)).await;
    let before = t.cart(&buyer).await;
    t.reprice(&lamp, "Desk Lamp", 12.5, 10).await;
    let order = t.checkout_ok(&buyer).await;

    // No address given: the one on file (and the tier) is asked of customer-service, down now.
    t.put_line(&buyer, &lamp, json!(1)).await;
    t.customers
        .take()
        .expect("customer-service")
        .stop_and_clean()
        .await;
    let (no_address, down, _) = t.checkout(&buyer, None, None).await;

    assert_eq!(before["quote"]["subtotal"], json!(20.0));
    assert_eq!(order["items"][0]["price"], json!(12.5));
    assert_eq!(order["items"][0]["name"], "Desk Lamp");
    assert_eq!(order["quote"]["subtotal"], json!(25.0));
    assert_eq!(no_address, 503, "{down}");
    assert_eq!(down["error"]["code"], "UPSTREAM_UNAVAILABLE");
    assert_eq!(t.order_count().await, 1);
    t.stop().await;
}

#[tokio::test]
async fn a_retried_checkout_with_the_same_key_answers_the_first_order_again() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    t.put_line(&buyer, &lamp, json!(1)).await;
    let body = checkout_body();

    let (first, answer, _) = t.checkout(&buyer, Some(&body), Some("tab-1")).await;
    // The cart is filled again: a retry must still not place a second order.
    t.put_line(&buyer, &lamp, json!(4)).await;
    let (again, replay, replayed) = t.checkout(&buyer, Some(&body), Some("tab-1")).await;
    let (other_body, mismatch, _) = t.checkout(&buyer, None, Some("tab-1")).await;

    assert_eq!(first, 201, "{answer}");
    assert_eq!(again, 201, "{replay}");
    assert_eq!(replay, answer);
    assert_eq!(replayed.as_deref(), Some("true"));
    assert_eq!(other_body, 422, "{mismatch}");
    assert_eq!(t.order_count().await, 1);
    assert_eq!(t.cart(&buyer).await["items"][0]["quantity"], 4);
    t.stop().await;
}

#[tokio::test]
async fn two_checkouts_of_one_cart_at_once_place_one_order() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 100).await;
    let buyer = t.customer();
    t.put_line(&buyer, &lamp, json!(2)).await;
    let body = checkout_body();

    let answers = join_all((0..4).map(|_| t.checkout(&buyer, Some(&body), None))).await;

    let placed: Vec<&Value> = answers
        .iter()
        .filter(|(status, _, _)| *status == 201)
        .map(|(_, answer, _)| &answer["data"]["id"])
        .collect();
    assert!(!placed.is_empty(), "{answers:?}");
    assert!(placed.iter().all(|id| *id == placed[0]), "{answers:?}");
    // A request that arrives once the winner emptied the cart finds it empty.
    for (status, answer, _) in &answers {
        assert!(
            *status == 201 || (*status == 422 && answer["error"]["message"] == "the cart is empty"),
            "{answers:?}"
        );
    }
    assert_eq!(t.order_count().await, 1);
    assert!(t.stored_cart(&buyer).await.is_none());
    t.stop().await;
}

#[tokio::test]
async fn an_empty_cart_or_a_deleted_or_short_line_is_422_naming_it_and_writes_nothing() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let mug = t.product("Mug", 4.5, 1).await;
    let buyer = t.customer();
    let body = checkout_body();

    let (empty, empty_answer, _) = t.checkout(&buyer, Some(&body), None).await;
    t.put_line(&buyer, &lamp, json!(1)).await;
    t.put_line(&buyer, &mug, json!(3)).await;
    let (short, short_answer, _) = t.checkout(&buyer, Some(&body), None).await;
    t.put_line(&buyer, &mug, json!(1)).await;
    t.delete_product(&mug).await;
    let (deleted, deleted_answer, _) = t.checkout(&buyer, Some(&body), Some("k")).await;
    let cart = t.cart(&buyer).await;

    assert_eq!(empty, 422, "{empty_answer}");
    assert_eq!(empty_answer["error"]["code"], "UNPROCESSABLE");
    assert_eq!(short, 422, "{short_answer}");
    let message = short_answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&mug) && message.contains("3 wanted, 1 in stock"),
        "{message}"
    );
    assert_eq!(deleted, 422, "{deleted_answer}");
    let message = deleted_answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&mug) && message.contains("no longer sold"),
        "{message}"
    );
    assert!(
        !message.contains(&lamp),
        "only the bad line is named: {message}"
    );
    assert_eq!(t.order_count().await, 0);
    assert_eq!(
        cart["items"].as_array().unwrap().len(),
        2,
        "nothing dropped"
    );
    let stored = t.stored_cart(&buyer).await.unwrap();
    assert!(
        !stored.contains_key("checkoutToken"),
        "the claim is released: {stored}"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_bad_body_is_400_naming_the_field_and_writes_nothing() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    t.put_line(&buyer, &lamp, json!(1)).await;
    let before = t.stored_cart(&buyer).await;

    let bad_street = json!({ "shippingAddress": { "street": "", "city": "c", "zipCode": "z", "country": "US" } });
    let cases = [
        (json!({ "paymentMethodId": "pm_1" }), "paymentMethodId"),
        (json!({ "items": [] }), "items"),
        (bad_street, "shippingAddress.street"),
        (json!([]), "body"),
    ];
    for (body, field) in cases {
        let (status, answer, _) = t.checkout(&buyer, Some(&body), Some("bad")).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["error"]["details"].to_string().contains(field),
            "{field}: {answer}"
        );
    }

    assert_eq!(t.order_count().await, 0);
    assert_eq!(t.stored_cart(&buyer).await, before);
    t.stop().await;
}

#[tokio::test]
async fn another_customer_cannot_check_out_your_cart() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let ada = t.customer();
    let bob = t.customer();
    t.put_line(&ada, &lamp, json!(2)).await;
    let body = checkout_body();

    let (status, answer, _) = t.checkout(&bob, Some(&body), None).await;
    let (anonymous, _) = t
        .request(Method::POST, "/checkout", None, Some(&body))
        .await;

    assert_eq!(status, 422, "bob's own cart is empty: {answer}");
    assert_eq!(anonymous, 401);
    assert_eq!(t.order_count().await, 0);
    assert_eq!(t.cart(&ada).await["items"][0]["quantity"], 2);
    t.stop().await;
}

#[tokio::test]
async fn a_key_used_for_post_orders_is_another_request_at_checkout() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    t.put_line(&buyer, &lamp, json!(1)).await;
    let body = checkout_body();
    let direct = crate::requests::order_body(&[(&lamp, 2)]);

    // Spelt so that a scope of `<customer>:checkout` would have met it.
    let (placed, order, _) = t
        .place_with_key(&buyer.bearer, &direct, Some("checkout:same"))
        .await;
    let (checked_out, from_cart, _) = t.checkout(&buyer, Some(&body), Some("same")).await;

    assert_eq!(placed, 201, "{order}");
    assert_eq!(checked_out, 201, "{from_cart}");
    assert_ne!(order["data"]["id"], from_cart["data"]["id"]);
    assert_eq!(from_cart["data"]["items"][0]["quantity"], 1);
    assert_eq!(t.order_count().await, 2);
    t.stop().await;
}
