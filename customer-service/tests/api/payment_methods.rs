//! `/customers/me/payment-methods`: saved cards tokenised by the test provider, one default,
//! only the caller's own; the internal read order-service makes; and no card number or cvc
//! anywhere.

use chrono::Datelike;
use serde_json::{Value, json};
use shared::payment::{SavedMethod, saved_method_path, set_test_unavailable};

use crate::helpers::{TestApp, spawn_app, token};

const PATH: &str = "/customers/me/payment-methods";

fn year(ahead: i32) -> i32 {
    shared::payment::today().year() + ahead
}

fn card(number: &str, cvc: &str) -> Value {
    json!({ "number": number, "expMonth": 12, "expYear": year(3), "cvc": cvc, "holder": "Ada Lovelace" })
}

/// A customer registered without an address: its id and token.
async fn customer(t: &TestApp, email: &str) -> (String, String) {
    let (status, body) = t
        .post(
            "/auth/register",
            json!({ "name": "Ada Lovelace", "email": email, "password": crate::helpers::PASSWORD }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["customer"]["id"].as_str().unwrap().to_owned();
    (id, token(&body["data"]))
}

async fn add(t: &TestApp, bearer: &str, body: Value) -> (u16, Value) {
    t.request("POST", PATH, Some(body), Some(bearer)).await
}

async fn added(t: &TestApp, bearer: &str, number: &str) -> String {
    let (status, body) = add(t, bearer, json!({ "card": card(number, "123") })).await;
    assert_eq!(status, 201, "{body}");
    body["data"]["id"].as_str().unwrap().to_owned()
}

async fn list(t: &TestApp, bearer: &str) -> Vec<Value> {
    let (status, body) = t.get_as(PATH, bearer).await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

fn defaults(cards: &[Value]) -> Vec<String> {
    cards
        .iter()
        .filter(|c| c["isDefault"] == true)
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn stored(t: &TestApp, customer: &str) -> bson::Document {
    let db = shared::store::mongo(t.app.config.mongo.as_ref().unwrap(), "test")
        .await
        .unwrap();
    let id = bson::oid::ObjectId::parse_str(customer).unwrap();
    db.collection::<bson::Document>("customers")
        .find_one(bson::doc! { "_id": id })
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_saved_card_keeps_only_brand_last4_and_expiry_and_the_first_is_the_default() {
    let t = spawn_app().await;
    let (id, bearer) = customer(&t, "cards@example.com").await;

    let (status, first) = add(
        &t,
        &bearer,
        json!({ "card": card("4242 4242 4242 4242", "123") }),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    let (status, second) = add(
        &t,
        &bearer,
        json!({ "card": card("5555555555554444", "123") }),
    )
    .await;
    assert_eq!(status, 201, "{second}");

    let shown = &first["data"];
    let mut keys: Vec<&str> = shown
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "brand",
            "createdAt",
            "expMonth",
            "expYear",
            "id",
            "isDefault",
            "last4"
        ]
    );
    assert_eq!(
        (shown["brand"].as_str(), shown["last4"].as_str()),
        (Some("visa"), Some("4242"))
    );
    assert_eq!(
        (shown["expMonth"].as_i64(), shown["expYear"].as_i64()),
        (Some(12), Some(i64::from(year(3))))
    );
    assert_eq!(shown["isDefault"], true);
    assert_eq!(second["data"]["brand"], "mastercard");
    assert_eq!(second["data"]["isDefault"], false);
    let cards = list(&t, &bearer).await;
    assert_eq!(cards.len(), 2);
    assert_eq!(defaults(&cards), [shown["id"].as_str().unwrap()]);
    // The token is kept, and never answered: not by the list, the customer record or /auth/me.
    let doc = stored(&t, &id).await;
    let tokens = doc.get_array("paymentMethods").unwrap();
    assert!(tokens.iter().all(|c| {
        c.as_document()
            .unwrap()
            .get_str("token")
            .unwrap()
            .starts_with("tok_test_")
    }));
    for path in [
        PATH.to_owned(),
        format!("/customers/{id}"),
        "/auth/me".to_owned(),
    ] {
        let (status, body) = t.get_as(&path, &bearer).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert!(!body.to_string().contains("tok_"), "{path}: {body}");
    }
    t.stop().await;
}

#[tokio::test]
async fn make_default_moves_the_default_and_deleting_it_makes_the_newest_left_the_default() {
    let t = spawn_app().await;
    let (_, bearer) = customer(&t, "default@example.com").await;
    let a = added(&t, &bearer, "4242424242424242").await;
    let b = added(&t, &bearer, "5555555555554444").await;
    let (status, c) = add(
        &t,
        &bearer,
        json!({ "card": card("378282246310005", "1234"), "makeDefault": true }),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    let c = c["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(defaults(&list(&t, &bearer).await), [c.as_str()]);

    let (status, body) = t
        .request(
            "PATCH",
            &format!("{PATH}/{a}"),
            Some(json!({ "makeDefault": true })),
            Some(&bearer),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["isDefault"], true);
    let (status, body) = t
        .request(
            "PATCH",
            &format!("{PATH}/{a}"),
            Some(json!({ "makeDefault": false })),
            Some(&bearer),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(defaults(&list(&t, &bearer).await), [a.as_str()]);

    let (status, body) = t
        .request("DELETE", &format!("{PATH}/{a}"), None, Some(&bearer))
        .await;
    assert_eq!(status, 200, "{body}");
    let left = body["data"].as_array().unwrap();
    assert_eq!(left.len(), 2);
    assert_eq!(defaults(left), [c.as_str()], "c is the newest left");
    let (status, _) = t
        .request("DELETE", &format!("{PATH}/{c}"), None, Some(&bearer))
        .await;
    assert_eq!(status, 200);
    assert_eq!(defaults(&list(&t, &bearer).await), [b]);
    t.stop().await;
}

#[tokio::test]
async fn a_bad_card_is_a_400_naming_the_field_and_writes_nothing() {
    let t = spawn_app().await;
    let (id, bearer) = customer(&t, "badcard@example.com").await;
    let expired =
        json!({ "number": "4242424242424242", "expMonth": 12, "expYear": year(-1), "cvc": "123" });
    let cases = [
        (
            json!({ "card": card("4242 4242 4242 4241", "123") }),
            "card.number",
        ),
        (
            json!({ "card": card("4242424242424242", "12") }),
            "card.cvc",
        ),
        (json!({ "card": expired }), "card.expYear"),
        (
            json!({ "card": { "number": "4242424242424242", "expMonth": 13, "expYear": year(1), "cvc": "123" } }),
            "card.expMonth",
        ),
        (
            json!({ "card": card("4242424242424242", "123"), "makeDefault": "yes" }),
            "makeDefault",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = add(&t, &bearer, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], "VALIDATION_ERROR");
        assert!(
            answer["error"]["details"].get(field).is_some(),
            "{body}: {answer}"
        );
    }
    assert!(list(&t, &bearer).await.is_empty());
    assert!(!stored(&t, &id).await.contains_key("paymentMethods"));
    t.stop().await;
}

#[tokio::test]
async fn a_provider_that_is_down_is_a_503_that_writes_nothing() {
    let t = spawn_app().await;
    let (id, bearer) = customer(&t, "down@example.com").await;

    set_test_unavailable(&t.names.database, true);
    let (status, body) = add(
        &t,
        &bearer,
        json!({ "card": card("4242424242424242", "123") }),
    )
    .await;
    set_test_unavailable(&t.names.database, false);

    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "UPSTREAM_UNAVAILABLE");
    assert!(!stored(&t, &id).await.contains_key("paymentMethods"));
    added(&t, &bearer, "4242424242424242").await;
    t.stop().await;
}

#[tokio::test]
async fn a_customer_reaches_only_its_own_cards_and_a_full_wallet_refuses_another() {
    let t = spawn_app().await;
    let (_, owner) = customer(&t, "owner@example.com").await;
    let (_, other) = customer(&t, "other@example.com").await;
    let card_id = added(&t, &owner, "4242424242424242").await;

    let path = format!("{PATH}/{card_id}");
    let (status, _) = t
        .request(
            "PATCH",
            &path,
            Some(json!({ "makeDefault": true })),
            Some(&other),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = t.request("DELETE", &path, None, Some(&other)).await;
    assert_eq!(status, 404);
    assert!(list(&t, &other).await.is_empty());
    let (status, _) = t.request("GET", PATH, None, None).await;
    assert_eq!(status, 401);

    for _ in 1..shared::api::payments::MAX_PAYMENT_METHODS {
        added(&t, &owner, "4242424242424242").await;
    }
    let (status, body) = add(
        &t,
        &owner,
        json!({ "card": card("4242424242424242", "123") }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        list(&t, &owner).await.len(),
        shared::api::payments::MAX_PAYMENT_METHODS
    );
    t.stop().await;
}

#[tokio::test]
async fn the_internal_read_answers_a_card_with_its_token_to_its_owner_or_an_admin_only() {
    let t = spawn_app().await;
    let (owner_id, owner) = customer(&t, "internal@example.com").await;
    let (other_id, other) = customer(&t, "nosy@example.com").await;
    let first = added(&t, &owner, "4242424242424242").await;
    let second = added(&t, &owner, "4000000000000002").await;

    let read = |path: String, bearer: String| {
        let t = &t;
        async move { t.get_as(&path, &bearer).await }
    };
    let (status, body) = read(saved_method_path(&owner_id, Some(&second)), owner.clone()).await;
    assert_eq!(status, 200, "{body}");
    let method: SavedMethod = serde_json::from_value(body["data"].clone()).unwrap();
    assert_eq!(
        (method.id.as_str(), method.last4.as_str(), method.is_default),
        (second.as_str(), "0002", false)
    );
    assert!(method.token.starts_with("tok_test_"), "{method:?}");
    assert_eq!(method.provider, "test");
    // The token is one the provider can charge: this one is the decline card's.
    let db = shared::store::mongo(t.app.config.mongo.as_ref().unwrap(), "test")
        .await
        .unwrap();
    let provider = shared::payment::provider("test", &db).unwrap();
    let answer = provider
        .authorize("order-x", &method.token, 100)
        .await
        .unwrap();
    assert!(
        matches!(answer, shared::payment::Authorization::Declined { .. }),
        "{answer:?}"
    );

    let (status, body) = read(saved_method_path(&owner_id, None), owner.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["id"], first.as_str());
    assert_eq!(body["data"]["isDefault"], true);
    let admin = t.admin_token().await;
    let (status, _) = read(saved_method_path(&owner_id, Some(&first)), admin).await;
    assert_eq!(status, 200);

    let refused = [
        (saved_method_path(&owner_id, Some(&first)), other.clone()),
        (saved_method_path(&other_id, None), other.clone()),
        (
            saved_method_path(&owner_id, Some("65a1b2c3d4e5f60718293a4b")),
            owner.clone(),
        ),
        (
            saved_method_path(&owner_id, Some("not-an-id")),
            owner.clone(),
        ),
    ];
    for (path, bearer) in refused {
        let (status, body) = read(path.clone(), bearer).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (status, _) = t
        .request("GET", &saved_method_path(&owner_id, None), None, None)
        .await;
    assert_eq!(status, 401);
    t.stop().await;
}
