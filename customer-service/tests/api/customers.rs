//! `/customers`: who may read and change which record.

use serde_json::json;
use shared::auth::Role;

use crate::helpers::{spawn_app, token};

#[tokio::test]
async fn a_customer_reads_its_own_record_and_not_anothers() {
    let t = spawn_app().await;
    let alice = t.register("alice@example.com").await;
    let bob = t.register("bob@example.com").await;
    let (alice_token, bob_id) = (
        token(&alice),
        bob["customer"]["id"].as_str().unwrap().to_owned(),
    );

    let own = t
        .get_as(
            &format!("/customers/{}", alice["customer"]["id"].as_str().unwrap()),
            &alice_token,
        )
        .await;
    let by_email = t
        .get_as("/customers?email=Alice@example.com", &alice_token)
        .await;
    let other = t
        .get_as(&format!("/customers/{bob_id}"), &alice_token)
        .await;
    let other_by_email = t
        .get_as("/customers?email=bob@example.com", &alice_token)
        .await;
    let listing = t.get_as("/customers", &alice_token).await;

    assert_eq!(own.0, 200);
    assert_eq!(own.1["data"]["email"], "alice@example.com");
    assert!(own.1["data"].get("passwordHash").is_none());
    assert_eq!(by_email.1["data"]["id"], alice["customer"]["id"]);
    assert_eq!(other.0, 404);
    assert_eq!(other_by_email.0, 404);
    assert_eq!(listing.0, 403);
    t.stop().await;
}

#[tokio::test]
async fn anonymous_callers_and_bad_ids_are_refused() {
    let t = spawn_app().await;
    let alice = t.register("anon@example.com").await;

    let (anonymous, _) = t
        .request("GET", "/customers?email=anon@example.com", None, None)
        .await;
    let (bad_id, body) = t.get_as("/customers/not-an-id", &token(&alice)).await;

    assert_eq!(anonymous, 401);
    assert_eq!(bad_id, 400);
    assert!(body["error"]["details"]["id"].is_string(), "{body}");
    t.stop().await;
}

#[tokio::test]
async fn an_admin_reads_and_lists_every_customer() {
    let t = spawn_app().await;
    for n in 0..3 {
        t.register(&format!("c{n}@example.com")).await;
    }
    let admin = t.admin_token().await;

    let (status, body) = t.get_as("/customers?page=1&limit=2", &admin).await;
    let (_, one) = t.get_as("/customers?email=c1@example.com", &admin).await;
    let (bad, _) = t.get_as("/customers?limit=1000", &admin).await;

    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["meta"], json!({ "page": 1, "limit": 2, "total": 4 }));
    assert_eq!(one["data"]["email"], "c1@example.com");
    assert_eq!(bad, 400);
    t.stop().await;
}

#[tokio::test]
async fn a_customer_changes_its_profile_and_clears_its_phone() {
    let t = spawn_app().await;
    let me = t.register("patch@example.com").await;
    let path = format!("/customers/{}", me["customer"]["id"].as_str().unwrap());

    let (status, body) = t
        .request("PATCH", &path, Some(json!({ "name": "Ada King", "phone": null, "address": { "street": "1 Ockham Rd", "city": "Ockham", "zipCode": "GU23", "country": "UK" } })), Some(&token(&me)))
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["name"], "Ada King");
    assert!(body["data"]["phone"].is_null());
    assert_eq!(body["data"]["address"]["city"], "Ockham");
    assert_eq!(
        body["data"]["email"], "patch@example.com",
        "untouched fields stay"
    );
    t.stop().await;
}

#[tokio::test]
async fn an_invalid_change_names_every_field_and_changes_nothing() {
    let t = spawn_app().await;
    let me = t.register("strict@example.com").await;
    let path = format!("/customers/{}", me["customer"]["id"].as_str().unwrap());
    let bearer = token(&me);

    let (status, body) = t
        .request(
            "PATCH",
            &path,
            Some(json!({ "name": "", "phone": "??" })),
            Some(&bearer),
        )
        .await;
    let (unknown, _) = t
        .request(
            "PATCH",
            &path,
            Some(json!({ "email": "new@example.com" })),
            Some(&bearer),
        )
        .await;

    assert_eq!(status, 400);
    let details = body["error"]["details"].as_object().unwrap();
    assert!(
        details.contains_key("name") && details.contains_key("phone"),
        "{body}"
    );
    assert_eq!(unknown, 400, "the email is not changeable here");
    let (_, after) = t.get_as(&path, &bearer).await;
    assert_eq!(after["data"]["name"], "Ada Lovelace");
    assert_eq!(after["data"]["phone"], "+44 20 7946 0000");
    t.stop().await;
}

#[tokio::test]
async fn a_customer_cannot_change_another_customer() {
    let t = spawn_app().await;
    let victim = t.register("victim@example.com").await;
    let path = format!("/customers/{}", victim["customer"]["id"].as_str().unwrap());
    let intruder = t
        .names
        .bearer(&bson::oid::ObjectId::new().to_hex(), Role::Customer);

    let res = t
        .app
        .client
        .patch(t.app.url(&path))
        .header("authorization", intruder)
        .json(&json!({ "name": "Pwned" }))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 404);
    let (_, after) = t.get_as(&path, &token(&victim)).await;
    assert_eq!(after["data"]["name"], "Ada Lovelace");
    t.stop().await;
}

#[tokio::test]
async fn changing_the_profile_address_changes_the_default_of_the_address_book() {
    let t = spawn_app().await;
    let me = t.register("mirror@example.com").await;
    let (path, bearer) = (
        format!("/customers/{}", me["customer"]["id"].as_str().unwrap()),
        token(&me),
    );
    let work = json!({ "street": "5 Work Rd", "city": "Leeds", "zipCode": "LS1", "country": "UK", "label": "Work" });
    let (status, _) = t
        .request("POST", "/customers/me/addresses", Some(work), Some(&bearer))
        .await;
    assert_eq!(status, 201);

    let moved =
        json!({ "street": "1 Ockham Rd", "city": "Ockham", "zipCode": "GU23", "country": "UK" });
    let (status, body) = t
        .request(
            "PATCH",
            &path,
            Some(json!({ "address": moved })),
            Some(&bearer),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["address"]["city"], "Ockham");
    let (_, book) = t.get_as("/customers/me/addresses", &bearer).await;
    let book = book["data"].as_array().unwrap().clone();
    assert_eq!(book.len(), 2, "{book:?}");
    assert_eq!(
        (book[0]["city"].as_str(), book[0]["isDefault"].as_bool()),
        (Some("Ockham"), Some(true))
    );

    // Clearing it deletes the default; the other saved address takes over and is mirrored.
    let (status, body) = t
        .request(
            "PATCH",
            &path,
            Some(json!({ "address": null })),
            Some(&bearer),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["address"]["city"], "Leeds", "{body}");
    let (_, book) = t.get_as("/customers/me/addresses", &bearer).await;
    assert_eq!(book["data"].as_array().unwrap().len(), 1);
    t.stop().await;
}
