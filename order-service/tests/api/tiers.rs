//! The caller's loyalty tier is remembered (`src/upstream/tiers.rs`) against the real
//! customer-service: a price does not ask again while the tier stands, a `loyalty.changed` that
//! changes the tier is heard at once, one that keeps it forgets nothing, and the time to live
//! ends whatever was missed.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use bson::{doc, oid::ObjectId};
use reqwest::Method;
use serde_json::{Value, json};
use shared::{
    events::{ConsumerSpec, keys},
    testing::eventually,
};

use crate::{
    helpers::{Options, TestApp, WAIT, spawn_with, spawn_without_fulfilment},
    requests::{Customer, call},
};

impl TestApp {
    /// Sets `who`'s lifetime points behind customer-service's back: no `loyalty.changed`.
    async fn set_lifetime_quietly(&self, who: &Customer, lifetime: i64) {
        let id = ObjectId::parse_str(&who.id).unwrap();
        self.db
            .client()
            .database(&format!("{}_customers", self.names.database))
            .collection::<bson::Document>("customers")
            .update_one(
                doc! { "_id": id },
                doc! { "$set": { "loyalty.lifetimePoints": lifetime, "loyalty.points": lifetime } },
            )
            .await
            .expect("update");
    }

    /// An admin's adjustment of `who`'s points through customer-service's API, which stages
    /// `loyalty.changed`.
    async fn adjust_points(&self, who: &Customer, points: i64, id: &str) {
        let customers = self.customers.as_ref().expect("customer-service runs");
        let (status, answer) = call(
            &customers.client,
            Method::POST,
            &customers.url(&format!("/customers/{}/loyalty/adjustments", who.id)),
            Some(&self.admin),
            Some(&json!({ "points": points, "reason": "test", "id": id })),
        )
        .await;
        assert_eq!(status, 201, "{answer}");
    }

    /// The tier discount of `who`'s cart now.
    async fn tier_discount(&self, who: &Customer) -> Value {
        self.cart(who).await["quote"]["tierDiscount"].clone()
    }
}

#[tokio::test]
async fn a_price_asks_for_the_tier_once_and_again_when_customer_service_says_it_changed() {
    let t = spawn_without_fulfilment().await;
    let chair = t.product("Chair", 30.0, 100).await;
    let ann = t.loyal_customer(400).await; // Bronze
    let (status, answer) = t.put_line(&ann, &chair, json!(1)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(t.tier_discount(&ann).await, json!(0.0));

    // Silver now, but customer-service said nothing: the remembered Bronze still prices.
    t.set_lifetime_quietly(&ann, 600).await;
    assert_eq!(
        t.tier_discount(&ann).await,
        json!(0.0),
        "the tier was asked again"
    );

    // An adjustment from Silver to Gold says so: Gold's 10 % prices at once.
    t.adjust_points(&ann, 2_000, "to-gold").await;
    eventually("Gold's discount", WAIT, || async {
        (t.tier_discount(&ann).await == json!(3.0)).then_some(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn points_that_keep_the_tier_forget_nothing() {
    let t = spawn_without_fulfilment().await;
    let chair = t.product("Chair", 30.0, 100).await;
    let ann = t.loyal_customer(2_500).await; // Gold
    let bob = t.loyal_customer(0).await; // Bronze
    for who in [&ann, &bob] {
        let (status, answer) = t.put_line(who, &chair, json!(1)).await;
        assert_eq!(status, 200, "{answer}");
    }
    assert_eq!(t.tier_discount(&ann).await, json!(3.0));
    assert_eq!(t.tier_discount(&bob).await, json!(0.0));

    // The test's own queue sees each loyalty.changed go out.
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let heard = seen.clone();
    let watching = t.bus.consume(
        ConsumerSpec::per_replica("test.loyalty", &[keys::LOYALTY_CHANGED]),
        move |event| {
            let heard = heard.clone();
            async move {
                heard.lock().unwrap().push(event.data);
                Ok(())
            }
        },
    );
    assert!(watching.wait_subscribed(WAIT).await, "subscribed");
    let published = |customer: &str| {
        let seen = seen.clone();
        let customer = customer.to_owned();
        move || {
            let found = seen
                .lock()
                .unwrap()
                .iter()
                .any(|e| e["customerId"].as_str() == Some(customer.as_str()));
            async move { found.then_some(()) }
        }
    };

    // Ann back to Bronze behind customer-service's back, then one point more through its API:
    // Bronze before and after, so order-service forgets nothing and Gold still prices.
    t.set_lifetime_quietly(&ann, 0).await;
    t.adjust_points(&ann, 1, "one-point").await;
    eventually("ann's loyalty.changed published", WAIT, published(&ann.id)).await;
    // Bob's change goes out after Ann's, so order-service's queue hears it after hers too.
    t.adjust_points(&bob, 2_500, "bob-to-gold").await;
    eventually("bob's Gold heard", WAIT, || async {
        (t.tier_discount(&bob).await == json!(3.0)).then_some(())
    })
    .await;
    assert_eq!(
        t.tier_discount(&ann).await,
        json!(3.0),
        "ann's tier was forgotten"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_remembered_tier_is_asked_again_after_its_time_to_live() {
    let t = spawn_with(Options {
        fulfilment: false,
        adjust: Box::new(|config| config.tier_ttl = Duration::from_millis(300)),
        ..Options::default()
    })
    .await;
    let chair = t.product("Chair", 30.0, 100).await;
    let ann = t.loyal_customer(400).await;
    let (status, answer) = t.put_line(&ann, &chair, json!(1)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(t.tier_discount(&ann).await, json!(0.0));

    // A change no event told of (the broker was away): seen once the tier has lived its time.
    t.set_lifetime_quietly(&ann, 2_500).await;
    eventually("Gold after the time to live", WAIT, || async {
        (t.tier_discount(&ann).await == json!(3.0)).then_some(())
    })
    .await;
    t.stop().await;
}
