//! Points and tiers (issue 15): `getLoyalty` against the real customer-service, with points
//! earned through a real order delivered by order-service; an anonymous caller is asked to
//! sign in; customer-service down gives an answer, not an error. And "where is my order?" for
//! an order placed through `POST /checkout`.

use std::time::{Duration, Instant};

use assistant_service::functions::{CallContext, FunctionError, shop};
use reqwest::Method;
use serde_json::{Value, json};
use shared::{Money, testing::eventually};

use crate::helpers::{Customer, Options, Suite, WAIT, lower, send, spawn_suite, spawn_with};

impl Suite {
    /// Ships and delivers `order` as an admin.
    async fn deliver(&self, order: &str) {
        self.ship(order, "UPS", "1Z999AA10123456784").await;
        let body = json!({ "status": "DELIVERED" });
        let path = format!("/orders/{order}/status");
        let (status, body) = send(
            &self.orders,
            Method::PATCH,
            &path,
            Some(&body),
            Some(&self.admin),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }

    /// `GET /loyalty` of `who` from customer-service once `order` is credited.
    async fn credited(&self, who: &Customer, order: &str) -> Value {
        eventually(&format!("points for {order}"), WAIT, || async {
            let (_, body) = send(
                &self.customers,
                Method::GET,
                "/loyalty",
                None,
                Some(&who.bearer),
            )
            .await;
            let history = body["data"]["history"].as_array().cloned();
            history?
                .iter()
                .any(|h| h["orderId"] == order)
                .then(|| body["data"].clone())
        })
        .await
    }
}

#[tokio::test]
async fn a_customer_with_points_hears_their_points_tier_and_what_the_next_tier_takes() {
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let sam = suite.register("Sam Other", "sam@example.com").await;
    let machine = suite
        .product("Espresso Machine", 300.0, 5, &["kitchen"])
        .await;
    let order = suite.order(&alex, machine["id"].as_str().unwrap(), 1).await;
    suite.deliver(&order).await;
    let account = suite.credited(&alex, &order).await;
    let (_, placed) = send(
        &suite.orders,
        Method::GET,
        &format!("/orders/{order}"),
        None,
        Some(&alex.bearer),
    )
    .await;
    let points = Money::from_json(&placed["data"]["total"]).unwrap().cents() / 100;
    assert_eq!(account["points"], points, "one point per whole dollar");
    assert!(points < 500, "still Bronze: {account}");

    let reply = suite
        .chat("How many points do I have?", None, Some(&alex.bearer))
        .await;
    let session = reply["metadata"]["sessionId"].as_str().unwrap();
    let gold = suite
        .chat("How far am I from Gold?", Some(session), Some(&alex.bearer))
        .await;
    let other = suite.chat("what tier am I?", None, Some(&sam.bearer)).await;

    assert_eq!(reply["intent"], "order_status", "{reply}");
    assert_eq!(reply["functionsCalled"], json!(["getLoyalty"]), "{reply}");
    let text = lower(&reply);
    assert!(text.contains("alex"), "{reply}");
    assert!(
        text.contains(&format!(
            "you have {points} points, worth ${}",
            Money::from_cents(points)
        )),
        "{reply}"
    );
    assert!(text.contains("bronze member"), "{reply}");
    assert!(
        text.contains(&format!(
            "you need {} more points to reach silver",
            500 - points
        )),
        "{reply}"
    );
    assert_eq!(reply["citations"], json!(["Policy8.1"]), "{reply}");
    assert_eq!(reply["metadata"]["citationsValid"], true);
    assert_eq!(gold["functionsCalled"], json!(["getLoyalty"]), "{gold}");
    assert!(
        lower(&gold).contains(&format!("{} points away from gold", 2000 - points)),
        "{gold}"
    );
    assert!(lower(&other).contains("you have 0 points"), "{other}");
    assert!(lower(&other).contains("bronze member"), "{other}");
    suite.stop().await;
}

#[tokio::test]
async fn an_anonymous_caller_asking_about_points_is_asked_to_sign_in() {
    let suite = spawn_suite().await;
    let functions =
        assistant_service::functions::shop::registry(assistant_service::upstream::Upstream::new(
            &assistant_service::upstream::ServiceUrls {
                products: suite.products.base_url.clone(),
                orders: suite.orders.base_url.clone(),
                customers: suite.customers.base_url.clone(),
            },
            Duration::from_secs(3),
            &shared::http::Trust::system(),
        ));

    let reply = suite.chat("How many points do I have?", None, None).await;
    let direct = functions
        .execute(shop::GET_LOYALTY, json!({}), &CallContext::default())
        .await;

    assert_eq!(reply["intent"], "order_status", "{reply}");
    assert_eq!(reply["functionsCalled"], json!([]), "{reply}");
    assert!(lower(&reply).contains("once you're signed in"), "{reply}");
    assert_eq!(direct, Err(FunctionError::SignInRequired));
    suite.stop().await;
}

#[tokio::test]
async fn customer_service_down_gives_a_graceful_points_answer_not_an_error() {
    let suite = spawn_with(Options {
        customers_url: Some("http://127.0.0.1:9".to_owned()),
        ..Options::default()
    })
    .await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;

    let started = Instant::now();
    let (status, body) = suite
        .chat_raw("what tier am I?", None, Some(&alex.bearer))
        .await;

    assert_eq!(status, 200, "{body}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(body["data"]["functionsCalled"], json!(["getLoyalty"]));
    assert!(
        lower(&body["data"]).contains("can't reach our rewards system"),
        "{body}"
    );
    suite.stop().await;
}

#[tokio::test]
async fn where_is_my_order_finds_an_order_placed_through_checkout() {
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let kettle = suite.product("Copper Kettle", 45.0, 5, &["kitchen"]).await;
    let line = format!("/cart/items/{}", kettle["id"].as_str().unwrap());
    let (status, cart) = send(
        &suite.orders,
        Method::PUT,
        &line,
        Some(&json!({ "quantity": 1 })),
        Some(&alex.bearer),
    )
    .await;
    assert_eq!(status, 200, "{cart}");
    let address = json!({ "street": "1 Main St", "city": "Springfield", "zipCode": "12345", "country": "US" });
    let (status, placed) = send(
        &suite.orders,
        Method::POST,
        "/checkout",
        // Checkout pays: a new test card the provider approves.
        Some(
            &json!({ "shippingAddress": address, "card": { "number": "4242 4242 4242 4242",
            "expMonth": 12, "expYear": 2030, "cvc": "123" } }),
        ),
        Some(&alex.bearer),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    let order = placed["data"]["id"].as_str().unwrap().to_owned();

    let named = suite
        .chat(
            &format!("where is order {order}?"),
            None,
            Some(&alex.bearer),
        )
        .await;
    // Without a number: the latest order, learnt from checkout's `order.created`.
    let latest = eventually("the checkout's order to be the latest", WAIT, || async {
        let reply = suite
            .chat("where is my order?", None, Some(&alex.bearer))
            .await;
        (reply["functionsCalled"] == json!(["getOrderStatus"])).then_some(reply)
    })
    .await;

    for reply in [&named, &latest] {
        assert_eq!(reply["intent"], "order_status", "{reply}");
        assert_eq!(
            reply["functionsCalled"],
            json!(["getOrderStatus"]),
            "{reply}"
        );
        let text = lower(reply);
        assert!(text.contains("copper kettle"), "{reply}");
        assert!(text.contains(&order[order.len() - 4..]), "{reply}");
        assert!(!text.contains("couldn't find"), "{reply}");
    }
    suite.stop().await;
}
