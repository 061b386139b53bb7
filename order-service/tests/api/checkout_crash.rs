//! Checkout's crash points (issue 15; the protocol in `order_service::checkout`): a request
//! that stopped after claiming the cart, or after storing the order but before emptying the
//! cart, is finished by the next checkout, and never becomes a second order.

use bson::doc;
use serde_json::json;

use crate::{helpers::spawn_without_fulfilment, requests::Customer};

impl crate::helpers::TestApp {
    /// Puts a checkout claim with `token` into `who`'s cart, as a request that stopped would
    /// have left it.
    async fn leave_claim(&self, who: &Customer, token: &str) {
        let result = self
            .db
            .collection::<bson::Document>("carts")
            .update_one(
                doc! { "_id": &who.id },
                doc! { "$set": { "checkoutToken": token, "checkoutAtMs": 0_i64 } },
            )
            .await
            .expect("update");
        assert_eq!(result.matched_count, 1);
    }
}

#[tokio::test]
async fn a_claim_left_by_a_stopped_checkout_is_finished_by_the_next_one() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    t.put_line(&buyer, &lamp, json!(2)).await;
    let token = format!("checkout:{}:stopped", buyer.id);
    t.leave_claim(&buyer, &token).await;

    let order = t.checkout_ok(&buyer).await;

    let stored =
        t.db.collection::<bson::Document>("orders")
            .find_one(doc! { "requestKey": &token })
            .await
            .unwrap()
            .expect("the order carries the stopped checkout's token");
    assert_eq!(
        stored.get_object_id("_id").unwrap().to_hex(),
        order["id"].as_str().unwrap()
    );
    assert_eq!(t.order_count().await, 1);
    assert_eq!(t.cart(&buyer).await["items"], json!([]));
    t.stop().await;
}

#[tokio::test]
async fn an_order_stored_before_the_cart_was_emptied_is_answered_and_the_cart_emptied() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    t.put_line(&buyer, &lamp, json!(1)).await;
    let first = t.checkout_ok(&buyer).await;
    // As if that checkout had stopped between the insert and the emptying: the cart holds its
    // lines and its claim again (the token of a checkout without a key is in the order).
    t.put_line(&buyer, &lamp, json!(1)).await;
    let token =
        t.db.collection::<bson::Document>("orders")
            .find_one(doc! {})
            .await
            .unwrap()
            .unwrap()
            .get_str("requestKey")
            .unwrap()
            .to_owned();
    assert!(
        token.starts_with(&format!("checkout:{}:", buyer.id)),
        "{token}"
    );
    t.leave_claim(&buyer, &token).await;

    let again = t.checkout_ok(&buyer).await;

    assert_eq!(again["id"], first["id"]);
    assert_eq!(t.order_count().await, 1);
    assert!(t.stored_cart(&buyer).await.is_none(), "the job is finished");
    t.stop().await;
}

#[tokio::test]
async fn a_keyed_retry_finds_its_stored_order_and_empties_the_cart() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    t.put_line(&buyer, &lamp, json!(1)).await;
    let body = crate::checkout::checkout_body();
    let (status, first, _) = t.checkout(&buyer, Some(&body), Some("retry-me")).await;
    assert_eq!(status, 201, "{first}");
    // As if the first attempt had stored its order and stopped: the cart still full and
    // claimed, and the idempotency record gone (expired).
    t.put_line(&buyer, &lamp, json!(1)).await;
    t.leave_claim(&buyer, &format!("checkout:{}:retry-me", buyer.id))
        .await;
    let mut redis = redis::Client::open(shared::testing::redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let pattern = format!("{}*idempotency:*retry-me", t.names.redis_prefix);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(&pattern)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "{pattern}: {keys:?}");
    let _: () = redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut redis)
        .await
        .unwrap();

    let (status, retried, _) = t.checkout(&buyer, Some(&body), Some("retry-me")).await;

    assert_eq!(status, 201, "{retried}");
    assert_eq!(retried["data"]["id"], first["data"]["id"]);
    assert_eq!(t.order_count().await, 1);
    assert!(t.stored_cart(&buyer).await.is_none());
    t.stop().await;
}
