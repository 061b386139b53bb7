//! A customer's own data (issue 19): the export of everything kept about them, and the erasure
//! of their account (orders are kept elsewhere; here nothing personal stays).

use bson::{Document, doc};
use serde_json::{Value, json};
use shared::{
    api::customers::CustomerExport,
    events::{Bus, ConsumerSpec, Envelope, keys},
    testing::{bus_config, delete_topology, eventually, publish},
};
use tokio_util::sync::CancellationToken;

use crate::helpers::{PASSWORD, TestApp, WAIT, spawn_app, token};

async fn db(t: &TestApp) -> mongodb::Database {
    let mongo = t.app.config.mongo.as_ref().unwrap();
    shared::store::mongo(mongo, "test").await.unwrap()
}

/// The stored account, without the outbox fields the relay changes as it publishes.
async fn stored(t: &TestApp, id: &str) -> Document {
    let mut account = db(t)
        .await
        .collection::<Document>("customers")
        .find_one(doc! { "_id": bson::oid::ObjectId::parse_str(id).unwrap() })
        .await
        .unwrap()
        .expect("the customer document");
    let relayed: Vec<String> = account
        .keys()
        .filter(|key| key.starts_with("outbox"))
        .cloned()
        .collect();
    for key in relayed {
        account.remove(&key);
    }
    account
}

/// A wishlist entry stored as the wishlist stores one (the product need not exist for this).
async fn wish(t: &TestApp, customer: &str) {
    db(t)
        .await
        .collection::<Document>("wishlist")
        .insert_one(doc! {
            "_id": format!("{customer}:65a1b2c3d4e5f60718293a4b"),
            "customerId": customer,
            "productId": "65a1b2c3d4e5f60718293a4b",
            "addedAt": bson::DateTime::now(),
        })
        .await
        .unwrap();
}

async fn wishes(t: &TestApp, customer: &str) -> u64 {
    db(t)
        .await
        .collection::<Document>("wishlist")
        .count_documents(doc! { "customerId": customer })
        .await
        .unwrap()
}

async fn erase(t: &TestApp, bearer: &str, body: Option<Value>) -> (u16, Value) {
    t.request("DELETE", "/customers/me", body, Some(bearer))
        .await
}

#[tokio::test]
async fn a_customer_downloads_everything_kept_about_them_and_only_with_a_token() {
    let t = spawn_app().await;
    let session = t.register("export@example.com").await;
    let me = token(&session);
    let (added, _) = t
        .request(
            "POST",
            "/customers/me/addresses",
            Some(
                json!({"label": "Work", "street": "1 Fleet St", "city": "London",
                "zipCode": "EC4Y 1AA", "country": "UK"}),
            ),
            Some(&me),
        )
        .await;

    let response = t
        .app
        .client
        .get(t.app.url("/customers/me/export"))
        .bearer_auth(&me)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let disposition = response
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body: Value = response.json().await.unwrap();
    let (anonymous, _) = t.request("GET", "/customers/me/export", None, None).await;

    assert_eq!(added, 201);
    assert_eq!(status, 200, "{body}");
    assert!(
        disposition.starts_with("attachment; filename=\"my-data-"),
        "{disposition}"
    );
    let export: CustomerExport =
        serde_json::from_value(body["data"].clone()).expect("the declared answer type");
    assert_eq!(export.customer.email, "export@example.com");
    assert_eq!(
        export.customer.id,
        session["customer"]["id"].as_str().unwrap()
    );
    assert!(
        export.addresses.iter().any(|a| a.street == "1 Fleet St"),
        "{body}"
    );
    assert_eq!(export.loyalty.points, 0);
    assert!(export.payment_methods.is_empty() && export.wishlist.is_empty());
    assert!(!body.to_string().contains("argon2"), "no password hash");
    assert_eq!(anonymous, 401);
    t.stop().await;
}

#[tokio::test]
async fn erasing_needs_the_right_password_and_a_customers_account_and_a_refusal_changes_nothing() {
    let t = spawn_app().await;
    let session = t.register("careful@example.com").await;
    let me = token(&session);
    let id = session["customer"]["id"].as_str().unwrap().to_owned();
    let before = stored(&t, &id).await;
    let admin = t.admin_token().await;

    let (wrong, wrong_body) = erase(&t, &me, Some(json!({"password": "not-the-password"}))).await;
    let (missing, missing_body) = erase(&t, &me, None).await;
    let (extra, _) = erase(&t, &me, Some(json!({"password": PASSWORD, "why": "x"}))).await;
    let (as_admin, admin_body) = erase(
        &t,
        &admin,
        Some(json!({"password": crate::helpers::ADMIN_PASSWORD})),
    )
    .await;
    let (anonymous, _) = t
        .request(
            "DELETE",
            "/customers/me",
            Some(json!({"password": PASSWORD})),
            None,
        )
        .await;

    assert_eq!(wrong, 403, "{wrong_body}");
    assert_eq!(
        wrong_body["error"]["message"],
        "the password does not match"
    );
    assert_eq!(missing, 400, "{missing_body}");
    assert_eq!(extra, 400);
    assert_eq!(as_admin, 403, "{admin_body}");
    assert_eq!(anonymous, 401);
    assert_eq!(stored(&t, &id).await, before, "a refusal wrote something");
    let (signed_in, _) = t.login("careful@example.com", PASSWORD).await;
    assert_eq!(signed_in, 200);
    let (admin_still, _) = t.get_as("/auth/me", &admin).await;
    assert_eq!(admin_still, 200);
    t.stop().await;
}

#[tokio::test]
async fn an_erased_account_keeps_nothing_personal_no_session_survives_and_the_email_is_free_again()
{
    let t = spawn_app().await;
    let cancel = CancellationToken::new();
    let bus = Bus::start(bus_config(&t.names), "observer", cancel.clone());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let consuming = bus.consume(
        ConsumerSpec::new("observer", &[keys::CUSTOMER_ERASED]),
        move |event| {
            let _ = tx.send(event);
            std::future::ready(Ok(()))
        },
    );
    assert!(consuming.wait_subscribed(WAIT).await);
    let first = t.register("gone@example.com").await;
    let id = first["customer"]["id"].as_str().unwrap().to_owned();
    let (_, second) = t.login("gone@example.com", PASSWORD).await;
    let second = &second["data"];
    wish(&t, &id).await;
    let service = t
        .service_key
        .mint(shared::auth::service::CUSTOMER_CONTACT)
        .unwrap();
    let contact = format!("/internal/customers/{id}/contact");
    let (known, _) = t.get_as(&contact, &service).await;

    let (erased, body) = erase(&t, &token(&first), Some(json!({"password": PASSWORD}))).await;

    assert_eq!((known, erased), (200, 204), "{body}");
    let event: Envelope = tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("customer.erased")
        .unwrap();
    assert_eq!(event.kind, "customer.erased");
    assert_eq!(event.data["customerId"], id.as_str());
    assert!(!event.data.to_string().contains("gone@example.com"));
    let left = stored(&t, &id).await;
    assert_eq!(left.get_str("name").unwrap(), "Deleted customer");
    assert_eq!(
        left.get_str("email").unwrap(),
        format!("erased-{id}@erased.invalid")
    );
    for field in [
        "phone",
        "address",
        "addresses",
        "paymentMethods",
        "loyalty",
        "emailSkeleton",
    ] {
        assert!(!left.contains_key(field), "{field} is still there: {left}");
    }
    // A date; the stand-in keeps a `$set` date as text (`shared::store::compat`).
    assert!(
        left.get_datetime("erasedAt").is_ok() || left.get_str("erasedAt").is_ok(),
        "{left}"
    );
    assert_eq!(wishes(&t, &id).await, 0);
    // Every token of every session of the account is dead, here and (by Redis) everywhere.
    for bearer in [token(&first), token(second)] {
        let (status, _) = t.get_as("/auth/me", &bearer).await;
        assert_eq!(status, 401);
    }
    let (refreshed, _) = t.refresh(second["refreshToken"].as_str().unwrap()).await;
    assert_eq!(refreshed, 401);
    let (signed_in, _) = t.login("gone@example.com", PASSWORD).await;
    assert_eq!(signed_in, 401);
    let (looked_up, _) = t.get_as(&contact, &service).await;
    assert_eq!(looked_up, 404, "an erased contact is not handed on");
    // An order delivered after the erasure earns the erased account nothing.
    let credited = customer_service::store::loyalty::credit(
        &db(&t).await,
        &customer_service::store::loyalty::Delivery {
            customer: bson::oid::ObjectId::parse_str(&id).unwrap(),
            order: "65a1b2c3d4e5f60718293a4b",
            points: 40,
            paid: None,
            at: chrono::Utc::now(),
            correlation_id: "late-delivery",
        },
    )
    .await
    .unwrap();
    assert!(credited.is_none());
    assert!(!stored(&t, &id).await.contains_key("loyalty"));
    // The address is free for a new account of someone else's.
    let again = t.register("gone@example.com").await;
    assert_ne!(again["customer"]["id"], id.as_str());

    cancel.cancel();
    delete_topology(&bus).await;
    t.stop().await;
}

#[tokio::test]
async fn customer_erased_finishes_an_erasure_whose_request_died_half_way() {
    let t = spawn_app().await;
    let session = t.register("halfway@example.com").await;
    let id = session["customer"]["id"].as_str().unwrap().to_owned();
    let (erased, _) = erase(&t, &token(&session), Some(json!({"password": PASSWORD}))).await;
    assert_eq!(erased, 204);
    // As if the request had died after its write: a wish left behind.
    wish(&t, &id).await;

    let bus = Bus::start(bus_config(&t.names), "test", CancellationToken::new());
    let event = Envelope::new(
        keys::CUSTOMER_ERASED,
        "customer-service",
        "test",
        json!({ "customerId": id, "erasedAt": "2026-12-06T00:00:00Z" }),
    );
    publish(&bus, &event).await;
    eventually("the left-behind wish to go", WAIT, || async {
        (wishes(&t, &id).await == 0).then_some(())
    })
    .await;
    assert_eq!(
        stored(&t, &id).await.get_str("name").unwrap(),
        "Deleted customer"
    );
    t.stop().await;
}
