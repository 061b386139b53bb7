//! Registration and sign-in.

use serde_json::json;
use shared::{
    events::{Bus, ConsumerSpec, keys},
    testing::{bus_config, delete_topology},
};
use tokio_util::sync::CancellationToken;

use crate::helpers::{PASSWORD, WAIT, spawn_app, token};

#[tokio::test]
async fn registering_answers_a_session_and_never_the_password() {
    let t = spawn_app().await;

    let session = t.register("  Ada@Example.COM ").await;

    assert_eq!(session["customer"]["email"], "ada@example.com");
    assert_eq!(session["customer"]["role"], "customer");
    assert_eq!(session["customer"]["address"]["zipCode"], "SW1Y 4JH");
    assert!(session["refreshToken"].as_str().unwrap().len() >= 40);
    assert_eq!(session["expiresIn"], 900);
    let text = session.to_string();
    assert!(
        !text.contains(crate::helpers::PASSWORD) && !text.contains("argon2"),
        "{text}"
    );
    let (status, me) = t.get_as("/auth/me", &token(&session)).await;
    assert_eq!(status, 200);
    assert_eq!(me["data"]["id"], session["customer"]["id"]);
    t.stop().await;
}

#[tokio::test]
async fn registering_publishes_customer_registered_through_the_outbox() {
    let t = spawn_app().await;
    let cancel = CancellationToken::new();
    let bus = Bus::start(bus_config(&t.names), "observer", cancel.clone());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let consuming = bus.consume(
        ConsumerSpec::new("observer", &[keys::CUSTOMER_REGISTERED]),
        move |event| {
            let _ = tx.send(event);
            std::future::ready(Ok(()))
        },
    );
    assert!(consuming.wait_subscribed(WAIT).await);

    let session = t.register("grace@example.com").await;

    let event = tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("the event")
        .unwrap();
    assert_eq!(event.kind, "customer.registered");
    assert_eq!(event.source, "customer-service");
    assert_eq!(event.data["customerId"], session["customer"]["id"]);
    assert_eq!(event.data["email"], "grace@example.com");
    assert!(!event.data.to_string().contains("password"));
    cancel.cancel();
    delete_topology(&bus).await;
    t.stop().await;
}

#[tokio::test]
async fn a_second_account_with_the_same_email_in_another_case_is_a_conflict() {
    let t = spawn_app().await;
    t.register("linus@example.com").await;

    let (status, body) = t
        .post(
            "/auth/register",
            json!({ "name": "Other", "email": "LINUS@example.com", "password": PASSWORD }),
        )
        .await;

    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "CONFLICT");
    assert_eq!(t.customer_count().await, 1);
    t.stop().await;
}

#[tokio::test]
async fn every_invalid_field_is_named_and_nothing_is_written() {
    let t = spawn_app().await;

    let (status, body) = t
        .post(
            "/auth/register",
            json!({
                "name": " ", "email": "not-an-email", "password": "short", "phone": "call me",
                "address": { "street": "1 Main St", "city": "", "zipCode": "12345", "country": "US" }
            }),
        )
        .await;

    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
    let details = body["error"]["details"].as_object().unwrap();
    let mut fields: Vec<&str> = details.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["address.city", "email", "name", "password", "phone"]
    );
    assert_eq!(t.customer_count().await, 0);
    t.stop().await;
}

#[tokio::test]
async fn malformed_or_incomplete_bodies_are_400_and_write_nothing() {
    let t = spawn_app().await;

    let missing = t
        .post(
            "/auth/register",
            json!({ "name": "No Email", "password": PASSWORD }),
        )
        .await;
    let unknown = t
        .post(
            "/auth/register",
            json!({ "name": "X", "email": "x@example.com", "password": PASSWORD, "role": "admin" }),
        )
        .await;
    let res = t
        .app
        .client
        .post(t.app.url("/auth/register"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    let malformed = res.status().as_u16();
    let res = t
        .app
        .client
        .post(t.app.url("/auth/register"))
        .body(r#"{"name":"x"}"#)
        .send()
        .await
        .unwrap();
    let untyped = res.status().as_u16();

    assert_eq!(missing.0, 400, "{}", missing.1);
    assert_eq!(
        missing.1["error"]["details"]["email"], "is required",
        "{}",
        missing.1
    );
    assert_eq!(
        unknown.0, 400,
        "a caller cannot choose its role: {}",
        unknown.1
    );
    assert_eq!((malformed, untyped), (400, 400));
    assert_eq!(t.customer_count().await, 0);
    t.stop().await;
}

#[tokio::test]
async fn signing_in_answers_tokens_and_the_customer() {
    let t = spawn_app().await;
    let registered = t.register("kay@example.com").await;

    let (status, body) = t.login("KAY@example.com", PASSWORD).await;

    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(data["customer"]["id"], registered["customer"]["id"]);
    assert!(data["accessToken"].is_string() && data["refreshToken"].is_string());
    assert_eq!(data["expiresIn"], 900);
    t.stop().await;
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let t = spawn_app().await;
    t.register("barbara@example.com").await;

    let wrong = t.login("barbara@example.com", "not the password").await;
    let unknown = t.login("nobody@example.com", PASSWORD).await;

    assert_eq!(wrong.0, 401);
    assert_eq!(wrong, unknown);
    t.stop().await;
}

#[tokio::test]
async fn the_admin_account_comes_from_the_environment() {
    let t = spawn_app().await;

    let admin = t.admin_token().await;

    let (status, me) = t.get_as("/auth/me", &admin).await;
    assert_eq!(status, 200);
    assert_eq!(
        me["data"]["role"], "super_admin",
        "the owner's account manages the staff"
    );
    assert_eq!(me["data"]["email"], crate::helpers::ADMIN_EMAIL);
    t.stop().await;
}
