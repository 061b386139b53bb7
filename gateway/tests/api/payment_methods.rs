//! Saved cards through the gateway (issue 15): routed to customer-service, a bad card refused
//! at the door, only the caller's own, and the internal read with the token never reachable.

use reqwest::Method;
use serde_json::json;

use crate::suite_helpers::{Fulfilment, spawn_shop};

const PATH: &str = "/api/customers/me/payment-methods";

#[tokio::test]
async fn cards_are_saved_through_the_gateway_and_their_tokens_never_come_out_of_it() {
    let shop = spawn_shop(Fulfilment::Off).await;
    let ada = shop.register("Ada", "ada.cards@example.com").await;
    let bob = shop.register("Bob", "bob.cards@example.com").await;
    let year: i64 = shared::payment::today()
        .format("%Y")
        .to_string()
        .parse()
        .unwrap();
    let card = |number: &str| json!({"card": {"number": number, "expMonth": 12, "expYear": year + 2, "cvc": "123"}});

    let saved = shop
        .ok(
            Method::POST,
            PATH,
            Some(&card("4242 4242 4242 4242")),
            Some(&ada.bearer),
        )
        .await;
    let (refused, refusal) = shop
        .call(
            Method::POST,
            PATH,
            Some(&card("4242 4242 4242 4241")),
            Some(&ada.bearer),
        )
        .await;
    let (anonymous, _) = shop.call(Method::GET, PATH, None, None).await;
    let cards = shop.ok(Method::GET, PATH, None, Some(&ada.bearer)).await;
    let bobs = shop.ok(Method::GET, PATH, None, Some(&bob.bearer)).await;
    let id = saved["id"].as_str().unwrap();
    let (bob_deletes, _) = shop
        .call(
            Method::DELETE,
            &format!("{PATH}/{id}"),
            None,
            Some(&bob.bearer),
        )
        .await;
    let (bad_id, _) = shop
        .call(
            Method::DELETE,
            &format!("{PATH}/not-an-id"),
            None,
            Some(&ada.bearer),
        )
        .await;

    assert_eq!(
        (saved["brand"].as_str(), saved["last4"].as_str()),
        (Some("visa"), Some("4242"))
    );
    assert_eq!(saved["isDefault"], true);
    assert_eq!(refused, 400, "{refusal}");
    assert!(
        refusal["error"]["details"].get("card.number").is_some(),
        "{refusal}"
    );
    assert_eq!(anonymous, 401);
    assert_eq!(cards.as_array().unwrap().len(), 1, "{cards}");
    assert!(bobs.as_array().unwrap().is_empty(), "{bobs}");
    assert_eq!((bob_deletes, bad_id), (404, 400));
    assert!(!cards.to_string().contains("tok_"), "{cards}");

    // The internal read answers the token to the service's own callers only: the gateway has
    // no route to it, however it is spelt.
    let internal = shared::payment::saved_method_path(&ada.id, None);
    let direct = shop
        .customers
        .client
        .get(shop.customers.url(&internal))
        .header("authorization", &ada.bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 200);
    let answer: serde_json::Value = direct.json().await.unwrap();
    assert!(
        answer["data"]["token"]
            .as_str()
            .unwrap()
            .starts_with("tok_test_")
    );
    for path in [
        format!("/api{internal}"),
        format!("/api/customers/..{internal}"),
        format!("/api/customers/me/payment-methods/{id}"),
    ] {
        let (status, answer) = shop.call(Method::GET, &path, None, Some(&ada.bearer)).await;
        assert!(
            !answer.to_string().contains("tok_"),
            "{path}: {status} {answer}"
        );
        assert!(status >= 400, "{path}: {status} {answer}");
    }
    shop.stop().await;
}
