//! `POST /checkout` with `redeemPoints` and `shippingAddressId` (issue 15) against the real
//! customer-service and product-service on one exchange: points held when the order is placed,
//! spent when it is processed, given back when it is rejected or cancelled, held once however
//! the checkout is retried or raced; a saved address by id.

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use shared::testing::{Spawned, eventually};

use crate::{
    helpers::{Options, TestApp, WAIT, spawn_with},
    requests::{Customer, call},
};

const HOME: &str =
    r#"{"street": "1 Main St", "city": "Springfield", "zipCode": "12345", "country": "US"}"#;

async fn shop(products_hear_orders: bool, saga_timeout_ms: Option<u64>) -> TestApp {
    spawn_with(Options {
        customers: true,
        fulfilment: false,
        products_hear_orders,
        adjust: Box::new(move |config| {
            if let Some(ms) = saga_timeout_ms {
                config.saga.timeout = std::time::Duration::from_millis(ms);
            }
        }),
        ..Options::default()
    })
    .await
}

fn customers(t: &TestApp) -> &Spawned {
    t.customers.as_ref().expect("customer-service runs")
}

/// A customer registered in customer-service with an address, given `points` by an admin.
pub async fn member(t: &TestApp, email: &str, points: i64) -> Customer {
    let cs = customers(t);
    let home: Value = serde_json::from_str(HOME).unwrap();
    let (status, session) = call(
        &cs.client,
        Method::POST,
        &cs.url("/auth/register"),
        None,
        Some(&json!({ "name": "Ada Lovelace", "email": email,
            "password": "correct horse battery", "address": home })),
    )
    .await;
    assert_eq!(status, 201, "{session}");
    let who = Customer {
        id: session["data"]["customer"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        bearer: format!(
            "Bearer {}",
            session["data"]["accessToken"].as_str().unwrap()
        ),
    };
    if points > 0 {
        let (status, body) = call(
            &cs.client,
            Method::POST,
            &cs.url(&format!("/customers/{}/loyalty/adjustments", who.id)),
            Some(&t.admin),
            Some(&json!({ "points": points, "reason": "test", "id": "start" })),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    who
}

pub async fn loyalty(t: &TestApp, who: &Customer) -> Value {
    let cs = customers(t);
    let (status, body) = call(
        &cs.client,
        Method::GET,
        &cs.url("/loyalty"),
        Some(&who.bearer),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

fn count(account: &Value, reason: &str, order: &str) -> usize {
    account["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["reason"] == reason && h["orderId"] == order)
        .count()
}

/// The account once its history shows `reason` for `order`.
async fn moved(t: &TestApp, who: &Customer, reason: &str, order: &str) -> Value {
    eventually(&format!("{reason} for {order}"), WAIT, || async {
        let account = loyalty(t, who).await;
        (count(&account, reason, order) > 0).then_some(account)
    })
    .await
}

async fn fill(t: &TestApp, who: &Customer, product: &str, quantity: i64) {
    let (status, body) = t.put_line(who, product, json!(quantity)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn redeemed_points_price_the_order_are_held_and_then_spent_when_it_is_processed() {
    let t = shop(true, None).await;
    let ada = member(&t, "ada.points@example.com", 499).await;
    let lamp = t.product("Lamp", 20.0, 10).await;
    fill(&t, &ada, &lamp, 1).await;

    let (status, answer, _) = t
        .checkout(&ada, Some(&paid(json!({ "redeemPoints": 100 }))), None)
        .await;

    assert_eq!(status, 201, "{answer}");
    let order = answer["data"].clone();
    let id = order["id"].as_str().unwrap();
    // Bronze (499 lifetime points: no tier discount). 20.00 − 1.00 = 19.00; shipping 5.99;
    // tax 8 % of 24.99 = 1.9992, up to 2.00.
    assert_eq!(
        order["quote"],
        json!({"subtotal": 20.0, "couponDiscount": 0.0, "tierDiscount": 0.0,
            "pointsDiscount": 1.0, "shipping": 5.99, "tax": 2.0, "total": 26.99}),
    );
    assert_eq!(order["total"], 19.0);
    assert_eq!(
        order["shippingAddress"],
        serde_json::from_str::<Value>(HOME).unwrap()
    );
    t.wait_for_status(id, "PROCESSING").await;
    let account = moved(&t, &ada, "POINTS_SPENT", id).await;
    assert_eq!(
        (account["points"].as_i64(), account["held"].as_i64()),
        (Some(399), Some(0)),
        "{account}"
    );
    assert_eq!(count(&account, "POINTS_HELD", id), 1);

    // Points beyond what is left to pay for the goods are not taken.
    let pin = t.product("Pin", 3.0, 10).await;
    fill(&t, &ada, &pin, 1).await;
    let (status, answer, _) = t
        .checkout(&ada, Some(&paid(json!({ "redeemPoints": 700 }))), None)
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["data"]["quote"]["pointsDiscount"], 3.0);
    assert_eq!(answer["data"]["total"], 0.0);
    let account = loyalty(&t, &ada).await;
    assert_eq!(account["points"], 99, "300 held or spent: {account}");
    t.stop().await;
}

#[tokio::test]
async fn too_few_points_is_422_naming_redeem_points_and_writes_nothing() {
    let t = shop(false, None).await;
    let bob = member(&t, "bob.points@example.com", 300).await;
    let lamp = t.product("Lamp", 20.0, 10).await;
    fill(&t, &bob, &lamp, 2).await;

    let (status, refusal, _) = t
        .checkout(
            &bob,
            Some(&paid(json!({ "redeemPoints": 301 }))),
            Some("too-many"),
        )
        .await;

    assert_eq!(status, 422, "{refusal}");
    assert!(
        refusal["error"]["message"]
            .as_str()
            .unwrap()
            .contains("redeemPoints"),
        "{refusal}"
    );
    let cart = t.stored_cart(&bob).await.expect("the cart is kept");
    assert!(
        cart.get("checkoutToken").is_none(),
        "the claim is released: {cart}"
    );
    let (_, orders) = t
        .request(Method::GET, "/orders", Some(&bob.bearer), None)
        .await;
    assert_eq!(orders["meta"]["total"], 0, "{orders}");
    let account = loyalty(&t, &bob).await;
    assert_eq!(
        (account["points"].as_i64(), account["held"].as_i64()),
        (Some(300), Some(0))
    );
    t.stop().await;
}

#[tokio::test]
async fn a_retried_or_raced_checkout_holds_its_points_once() {
    let t = shop(false, None).await;
    let cy = member(&t, "cy.points@example.com", 1_000).await;
    let lamp = t.product("Lamp", 20.0, 10).await;
    fill(&t, &cy, &lamp, 1).await;
    let body = paid(json!({ "redeemPoints": 800 }));

    // Two tabs at once, each its own key; then the first key again.
    let tabs = ["tab-1", "tab-2"].map(|key| t.checkout(&cy, Some(&body), Some(key)));
    let answers = join_all(tabs).await;
    let (retried, replay, _) = t.checkout(&cy, Some(&body), Some("tab-1")).await;

    for (status, answer, _) in &answers {
        assert!(*status == 201 || *status == 422, "{answer}");
    }
    let placed: Vec<&Value> = answers
        .iter()
        .filter(|(s, _, _)| *s == 201)
        .map(|(_, a, _)| &a["data"])
        .collect();
    assert!(!placed.is_empty(), "{answers:?}");
    let id = placed[0]["id"].as_str().unwrap();
    assert!(
        placed.iter().all(|o| o["id"] == id),
        "one order: {answers:?}"
    );
    assert_eq!(retried, 201, "{replay}");
    let account = loyalty(&t, &cy).await;
    assert_eq!(
        (account["points"].as_i64(), account["held"].as_i64()),
        (Some(200), Some(800)),
        "{account}"
    );
    let holds = account["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["reason"] == "POINTS_HELD")
        .count();
    assert_eq!(holds, 1, "{account}");
    t.stop().await;
}

#[tokio::test]
async fn a_checkout_that_stopped_after_holding_reuses_the_hold_and_its_order_id() {
    let t = shop(false, None).await;
    let dee = member(&t, "dee.points@example.com", 1_000).await;
    let lamp = t.product("Lamp", 20.0, 10).await;
    fill(&t, &dee, &lamp, 1).await;
    // The first attempt held under its token and stopped before storing the order.
    let token = format!("checkout:{}:crash-key", dee.id);
    let first_id = "6750c00000000000000000a1";
    let cs = customers(&t);
    let (status, held) = call(
        &cs.client,
        Method::POST,
        &cs.url("/internal/loyalty/holds"),
        Some(&dee.bearer),
        Some(&json!({ "key": token, "orderId": first_id, "points": 600 })),
    )
    .await;
    assert_eq!(status, 201, "{held}");

    let (status, answer, _) = t
        .checkout(
            &dee,
            Some(&paid(json!({ "redeemPoints": 600 }))),
            Some("crash-key"),
        )
        .await;

    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["data"]["id"], first_id, "{answer}");
    assert_eq!(answer["data"]["quote"]["pointsDiscount"], 6.0);
    let account = loyalty(&t, &dee).await;
    assert_eq!(
        (account["points"].as_i64(), account["held"].as_i64()),
        (Some(400), Some(600))
    );
    t.stop().await;
}

#[tokio::test]
async fn held_points_come_back_when_the_order_is_cancelled_or_rejected_by_its_deadline() {
    // product-service never hears of orders: they stay PENDING until cancelled or expired.
    let t = shop(false, Some(3_000)).await;
    let eve = member(&t, "eve.points@example.com", 1_000).await;
    let lamp = t.product("Lamp", 20.0, 10).await;

    fill(&t, &eve, &lamp, 1).await;
    let (_, first, _) = t
        .checkout(&eve, Some(&paid(json!({ "redeemPoints": 300 }))), None)
        .await;
    let cancelled = first["data"]["id"].as_str().expect("an order").to_owned();
    let (status, body) = t
        .request(
            Method::POST,
            &format!("/orders/{cancelled}/cancel"),
            Some(&eve.bearer),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    fill(&t, &eve, &lamp, 1).await;
    let (_, second, _) = t
        .checkout(&eve, Some(&paid(json!({ "redeemPoints": 200 }))), None)
        .await;
    let expired = second["data"]["id"].as_str().expect("an order").to_owned();

    moved(&t, &eve, "POINTS_RELEASED", &cancelled).await;
    t.wait_for_status(&expired, "REJECTED").await;
    let account = moved(&t, &eve, "POINTS_RELEASED", &expired).await;

    assert_eq!(
        (account["points"].as_i64(), account["held"].as_i64()),
        (Some(1_000), Some(0)),
        "{account}"
    );
    assert_eq!(count(&account, "POINTS_RELEASED", &cancelled), 1);
    assert_eq!(count(&account, "POINTS_SPENT", &cancelled), 0);
    t.stop().await;
}

#[tokio::test]
async fn a_checkout_ships_to_a_saved_address_chosen_by_id() {
    let t = shop(false, None).await;
    let fay = member(&t, "fay.points@example.com", 0).await;
    let cs = customers(&t);
    let work = json!({"street": "9 Office Rd", "city": "Shelbyville", "zipCode": "54321", "country": "US", "label": "Work"});
    let (status, saved) = call(
        &cs.client,
        Method::POST,
        &cs.url("/customers/me/addresses"),
        Some(&fay.bearer),
        Some(&work),
    )
    .await;
    assert_eq!(status, 201, "{saved}");
    let work_id = saved["data"]["id"].as_str().unwrap();
    let lamp = t.product("Lamp", 20.0, 10).await;
    fill(&t, &fay, &lamp, 1).await;

    let unknown = json!({ "shippingAddressId": "6750c00000000000000000ff" });
    let (refused, refusal, _) = t.checkout(&fay, Some(&unknown), None).await;
    let both = json!({ "shippingAddressId": work_id, "shippingAddress": serde_json::from_str::<Value>(HOME).unwrap() });
    let (bad, problem, _) = t.checkout(&fay, Some(&both), None).await;
    let (status, answer, _) = t
        .checkout(
            &fay,
            Some(&paid(json!({ "shippingAddressId": work_id }))),
            None,
        )
        .await;

    assert_eq!(refused, 422, "{refusal}");
    assert!(
        refusal["error"]["message"]
            .as_str()
            .unwrap()
            .contains("shippingAddressId"),
        "{refusal}"
    );
    assert_eq!(bad, 400, "{problem}");
    assert!(
        problem["error"]["details"]["shippingAddressId"].is_string(),
        "{problem}"
    );
    assert_eq!(status, 201, "{answer}");
    assert_eq!(
        answer["data"]["shippingAddress"],
        json!({"street": "9 Office Rd", "city": "Shelbyville", "zipCode": "54321", "country": "US"})
    );
    t.stop().await;
}

/// `body` paying with a new test card that approves: every checkout pays now.
fn paid(mut body: Value) -> Value {
    body["card"] = crate::payments::card(crate::payments::APPROVES);
    body
}
