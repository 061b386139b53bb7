//! A coupon's per-customer limit under concurrency (issue 15): one customer's checkouts at
//! once, and the count itself raced under distinct checkout tokens, use a `perCustomerLimit: 1`
//! coupon exactly once.

use bson::doc;
use futures::future::join_all;
use order_service::{
    domain::{
        Money,
        coupon::{Refusal, Tier},
    },
    store::coupons,
};
use reqwest::Method;
use serde_json::json;

use crate::{checkout::checkout_body, helpers::spawn_without_fulfilment};

#[tokio::test]
async fn one_customers_concurrent_checkouts_use_a_once_per_customer_coupon_exactly_once() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 1000).await;
    let body = json!({"code": "ONCEEACH", "kind": "percent", "value": 50, "perCustomerLimit": 1});
    let (status, answer) = t
        .request(Method::POST, "/coupons", Some(&t.admin), Some(&body))
        .await;
    assert_eq!(status, 201, "{answer}");
    let ada = t.customer();
    let (status, answer) = t.put_line(&ada, &lamp, json!(1)).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = t
        .request(
            Method::POST,
            "/cart/coupon",
            Some(&ada.bearer),
            Some(&json!({"code": "onceeach"})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let body = checkout_body();
    let keys: Vec<String> = (0..6).map(|n| format!("tab-{n}")).collect();

    // Six tabs, six different Idempotency-Keys, at once.
    let answers = join_all(keys.iter().map(|k| t.checkout(&ada, Some(&body), Some(k)))).await;

    let placed: std::collections::BTreeSet<&str> = answers
        .iter()
        .filter(|(s, _, _)| *s == 201)
        .map(|(_, a, _)| a["data"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(placed.len(), 1, "one order: {answers:?}");
    for (status, answer, _) in &answers {
        assert!(
            *status == 201
                || *status == 409
                || (*status == 422 && answer["error"]["message"] == "the cart is empty"),
            "{status} {answer}"
        );
    }
    let with_coupon =
        t.db.collection::<bson::Document>("orders")
            .count_documents(doc! { "coupon": "ONCEEACH" })
            .await
            .unwrap();
    assert_eq!((with_coupon, t.order_count().await), (1, 1));
    let (_, coupon) = t
        .request(Method::GET, "/coupons/ONCEEACH", Some(&t.admin), None)
        .await;
    assert_eq!(coupon["data"]["used"], 1, "{coupon}");
    // A second cart: the limit is reached, the coupon is refused naming why.
    t.put_line(&ada, &lamp, json!(1)).await;
    let (status, answer) = t
        .request(
            Method::POST,
            "/cart/coupon",
            Some(&ada.bearer),
            Some(&json!({"code": "ONCEEACH"})),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["details"]["reason"], "per_customer_limit");
    t.stop().await;
}

#[tokio::test]
async fn counts_raced_under_distinct_tokens_by_one_customer_count_a_once_per_customer_coupon_once()
{
    let t = spawn_without_fulfilment().await;
    let body = json!({"code": "ONEEACH", "kind": "fixed", "value": 5, "perCustomerLimit": 1, "usageLimit": 100});
    let (status, answer) = t
        .request(Method::POST, "/coupons", Some(&t.admin), Some(&body))
        .await;
    assert_eq!(status, 201, "{answer}");
    let ada = t.customer();
    let other = t.customer();
    let tier = Tier::bronze();
    let tokens: Vec<String> = (0..8).map(|n| format!("checkout:{}:{n}", ada.id)).collect();

    let counted = join_all(tokens.iter().map(|token| {
        coupons::redeem(
            &t.db,
            "ONEEACH",
            &ada.id,
            &tier,
            Money::from_cents(2_000),
            token,
        )
    }))
    .await;
    let others = coupons::redeem(
        &t.db,
        "ONEEACH",
        &other.id,
        &tier,
        Money::from_cents(2_000),
        "o",
    )
    .await
    .unwrap();

    let granted = counted.iter().filter(|c| matches!(c, Ok(Ok(_)))).count();
    let limited = counted
        .iter()
        .filter(|c| matches!(c, Ok(Err(Refusal::PerCustomerLimit))))
        .count();
    assert_eq!((granted, limited), (1, 7), "{counted:?}");
    assert!(others.is_ok(), "another customer still may: {others:?}");
    let (_, coupon) = t
        .request(Method::GET, "/coupons/ONEEACH", Some(&t.admin), None)
        .await;
    assert_eq!(coupon["data"]["used"], 2, "{coupon}");
    t.stop().await;
}
