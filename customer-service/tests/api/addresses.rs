//! `/customers/me/addresses`: several addresses, exactly one default, at most twenty, only the
//! caller's own.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, token};

fn address(street: &str) -> Value {
    json!({ "street": street, "city": "Springfield", "zipCode": "12345", "country": "US", "label": "Home" })
}

/// A customer registered without an address, and its token.
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
    t.request("POST", "/customers/me/addresses", Some(body), Some(bearer))
        .await
}

async fn list(t: &TestApp, bearer: &str) -> Vec<Value> {
    let (status, body) = t.get_as("/customers/me/addresses", bearer).await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

fn defaults(book: &[Value]) -> Vec<String> {
    book.iter()
        .filter(|a| a["isDefault"] == true)
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_first_address_is_the_default_and_the_customer_record_mirrors_it() {
    let t = spawn_app().await;
    let (id, bearer) = customer(&t, "book@example.com").await;

    let (status, first) = add(&t, &bearer, address("1 First St")).await;
    assert_eq!(status, 201, "{first}");
    let (status, second) = add(&t, &bearer, address("2 Second St")).await;
    assert_eq!(status, 201, "{second}");

    assert_eq!(first["data"]["isDefault"], true);
    assert_eq!(first["data"]["label"], "Home");
    assert_eq!(second["data"]["isDefault"], false);
    let book = list(&t, &bearer).await;
    assert_eq!(book.len(), 2);
    assert_eq!(defaults(&book), [first["data"]["id"].as_str().unwrap()]);
    let (_, me) = t.get_as(&format!("/customers/{id}"), &bearer).await;
    assert_eq!(me["data"]["address"]["street"], "1 First St", "{me}");

    // Making the second the default moves the mirror too.
    let path = format!(
        "/customers/me/addresses/{}",
        second["data"]["id"].as_str().unwrap()
    );
    let (status, body) = t
        .request(
            "PATCH",
            &path,
            Some(json!({ "isDefault": true, "label": null })),
            Some(&bearer),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["label"], Value::Null);
    let book = list(&t, &bearer).await;
    assert_eq!(defaults(&book), [second["data"]["id"].as_str().unwrap()]);
    let (_, me) = t.get_as(&format!("/customers/{id}"), &bearer).await;
    assert_eq!(me["data"]["address"]["street"], "2 Second St", "{me}");
    t.stop().await;
}

#[tokio::test]
async fn deleting_the_default_makes_the_oldest_remaining_address_the_default() {
    let t = spawn_app().await;
    let (id, bearer) = customer(&t, "oldest@example.com").await;
    let mut ids = Vec::new();
    for street in ["1 A St", "2 B St", "3 C St"] {
        let (status, body) = add(&t, &bearer, address(street)).await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["data"]["id"].as_str().unwrap().to_owned());
    }
    let (status, _) = t
        .request(
            "PATCH",
            &format!("/customers/me/addresses/{}", ids[2]),
            Some(json!({ "isDefault": true })),
            Some(&bearer),
        )
        .await;
    assert_eq!(status, 200);

    let (status, body) = t
        .request(
            "DELETE",
            &format!("/customers/me/addresses/{}", ids[2]),
            None,
            Some(&bearer),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    let book = list(&t, &bearer).await;
    assert_eq!(defaults(&book), [ids[0].clone()]);
    let (_, me) = t.get_as(&format!("/customers/{id}"), &bearer).await;
    assert_eq!(me["data"]["address"]["street"], "1 A St");
    // The last one gone, there is no default address left to ship to.
    for gone in &ids[..2] {
        let (status, _) = t
            .request(
                "DELETE",
                &format!("/customers/me/addresses/{gone}"),
                None,
                Some(&bearer),
            )
            .await;
        assert_eq!(status, 200);
    }
    let (_, me) = t.get_as(&format!("/customers/{id}"), &bearer).await;
    assert_eq!(me["data"]["address"], Value::Null);
    assert!(list(&t, &bearer).await.is_empty());
    t.stop().await;
}

#[tokio::test]
async fn two_concurrent_make_default_requests_leave_exactly_one_default() {
    let t = spawn_app().await;
    let (_, bearer) = customer(&t, "race@example.com").await;
    let mut ids = Vec::new();
    for n in 0..6 {
        let (_, body) = add(&t, &bearer, address(&format!("{n} Race St"))).await;
        ids.push(body["data"]["id"].as_str().unwrap().to_owned());
    }

    for round in 0..5 {
        let (a, b) = (&ids[1 + round % 5], &ids[(2 + round) % 6]);
        let (path_a, path_b) = (
            format!("/customers/me/addresses/{a}"),
            format!("/customers/me/addresses/{b}"),
        );
        let make = |path: &'static str| json!({ "isDefault": true, "label": path });
        let ((sa, ba), (sb, bb)) = tokio::join!(
            t.request("PATCH", &path_a, Some(make("a")), Some(&bearer)),
            t.request("PATCH", &path_b, Some(make("b")), Some(&bearer))
        );
        assert_eq!((sa, sb), (200, 200), "{ba} {bb}");

        let book = list(&t, &bearer).await;
        let now = defaults(&book);
        assert_eq!(now.len(), 1, "round {round}: {book:?}");
        assert!(now[0] == *a || now[0] == *b, "round {round}: {now:?}");
    }
    t.stop().await;
}

#[tokio::test]
async fn a_twenty_first_address_is_refused_and_not_stored() {
    let t = spawn_app().await;
    let (_, bearer) = customer(&t, "full@example.com").await;
    for n in 0..20 {
        let (status, body) = add(&t, &bearer, address(&format!("{n} Full St"))).await;
        assert_eq!(status, 201, "{body}");
    }

    let (status, body) = add(&t, &bearer, address("21 Full St")).await;

    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "UNPROCESSABLE");
    assert_eq!(list(&t, &bearer).await.len(), 20);
    t.stop().await;
}

#[tokio::test]
async fn a_bad_address_is_refused_naming_the_field_and_nothing_is_written() {
    let t = spawn_app().await;
    let (_, bearer) = customer(&t, "bad@example.com").await;
    let (_, kept) = add(&t, &bearer, address("1 Kept St")).await;
    let kept_path = format!(
        "/customers/me/addresses/{}",
        kept["data"]["id"].as_str().unwrap()
    );

    let mut blank_city = address("2 Bad St");
    blank_city["city"] = json!("   ");
    let (status, body) = add(&t, &bearer, blank_city).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["details"].get("city").is_some(), "{body}");

    let (status, body) = add(&t, &bearer, json!({ "street": "3 Bad St" })).await;
    assert_eq!(status, 400, "{body}");

    let (status, body) = t
        .request(
            "PATCH",
            &kept_path,
            Some(json!({ "zipCode": "", "street": "changed" })),
            Some(&bearer),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["details"].get("zipCode").is_some(), "{body}");

    let (status, body) = t
        .request(
            "PATCH",
            "/customers/me/addresses/not-an-id",
            Some(json!({ "city": "X" })),
            Some(&bearer),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["details"].get("id").is_some(), "{body}");

    let book = list(&t, &bearer).await;
    assert_eq!(book.len(), 1);
    assert_eq!(book[0]["street"], "1 Kept St");
    t.stop().await;
}

#[tokio::test]
async fn another_customers_address_is_not_found() {
    let t = spawn_app().await;
    let (_, owner) = customer(&t, "owner@example.com").await;
    let (_, other) = customer(&t, "other@example.com").await;
    let (_, theirs) = add(&t, &owner, address("1 Private St")).await;
    let path = format!(
        "/customers/me/addresses/{}",
        theirs["data"]["id"].as_str().unwrap()
    );

    let (patched, _) = t
        .request(
            "PATCH",
            &path,
            Some(json!({ "city": "Elsewhere" })),
            Some(&other),
        )
        .await;
    let (deleted, _) = t.request("DELETE", &path, None, Some(&other)).await;
    let (anonymous, _) = t
        .request("GET", "/customers/me/addresses", None, None)
        .await;

    assert_eq!((patched, deleted, anonymous), (404, 404, 401));
    assert!(list(&t, &other).await.is_empty());
    let book = list(&t, &owner).await;
    assert_eq!(book[0]["city"], "Springfield");
    t.stop().await;
}

#[tokio::test]
async fn an_address_given_at_registration_is_the_first_of_the_book() {
    let t = spawn_app().await;
    let session = t.register("legacy@example.com").await;
    let bearer = token(&session);

    let book = list(&t, &bearer).await;
    assert_eq!(book.len(), 1, "{book:?}");
    assert_eq!(book[0]["street"], "12 St James's Square");
    assert_eq!(book[0]["isDefault"], true);

    let (status, body) = add(&t, &bearer, address("2 New St")).await;
    assert_eq!(status, 201, "{body}");
    let book = list(&t, &bearer).await;
    assert_eq!(book.len(), 2);
    assert_eq!(defaults(&book), [book[0]["id"].as_str().unwrap()]);
    t.stop().await;
}

#[tokio::test]
async fn concurrent_additions_are_all_kept() {
    let t = spawn_app().await;
    let (_, bearer) = customer(&t, "many@example.com").await;

    let adds = (0..8).map(|n| {
        let body = address(&format!("{n} Busy St"));
        let bearer = bearer.clone();
        let t = &t;
        async move { add(t, &bearer, body).await.0 }
    });
    let statuses = futures::future::join_all(adds).await;

    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let book = list(&t, &bearer).await;
    assert_eq!(book.len(), 8, "{book:?}");
    assert_eq!(defaults(&book).len(), 1);
    t.stop().await;
}
