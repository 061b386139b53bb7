//! Placing and reading orders: prices from product-service, exact totals, validation, access.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{
        NOWHERE, Options, order_config, spawn_app, spawn_replica, spawn_with,
        spawn_without_fulfilment,
    },
    requests::{call, order_body},
};

#[tokio::test]
async fn an_order_is_priced_by_product_service_and_its_total_is_exact() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 19.99, 50).await;
    let pin = t.product("Pin", 0.1, 50).await;
    let buyer = t.customer();

    let (status, body, headers) = t
        .place_with_key(&buyer.bearer, &order_body(&[(&lamp, 3), (&pin, 3)]), None)
        .await;

    assert_eq!(status, 201, "{body}");
    let order = &body["data"];
    assert_eq!(order["total"], json!(60.27));
    // The one pricing function: `total` stays the sum of the lines (no discounts here), the
    // quote adds shipping (free from 50.00) and 8 % tax, and `quote.total` is what is paid.
    assert_eq!(
        order["quote"],
        json!({ "subtotal": 60.27, "couponDiscount": 0.0, "tierDiscount": 0.0,
            "pointsDiscount": 0.0, "shipping": 0.0, "tax": 4.82, "total": 65.09 })
    );
    assert_eq!(order["items"][0]["name"], "Lamp");
    assert_eq!(order["items"][0]["price"], json!(19.99));
    assert_eq!(order["items"][0]["subtotal"], json!(59.97));
    assert_eq!(order["items"][1]["subtotal"], json!(0.3));
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["customerId"], buyer.id.as_str());
    assert_eq!(order["statusHistory"][0]["status"], "PENDING");
    assert!(order["estimatedDelivery"].is_string());
    let id = order["id"].as_str().unwrap();
    assert_eq!(headers["location"], format!("/orders/{id}").as_str());
    let processing = t.wait_for_status(id, "PROCESSING").await;
    assert_eq!(processing["statusHistory"].as_array().unwrap().len(), 2);
    t.wait_for_stock(&lamp, 47).await;
    t.stop().await;
}

#[tokio::test]
async fn every_bad_field_is_named_with_400_and_nothing_is_written() {
    let t = spawn_without_fulfilment().await;
    let buyer = t.customer();
    let p = "64b000000000000000000001";
    let bodies = [
        (json!({ "items": [] }), vec!["items"]),
        (json!({}), vec!["items"]),
        (
            json!({ "items": [
                { "productId": "nope", "quantity": 1 },
                { "productId": p, "quantity": 0 },
                { "productId": "64b000000000000000000002", "quantity": 1001 },
                { "productId": "64b000000000000000000003", "quantity": -1 }
            ] }),
            vec![
                "items[0].productId",
                "items[1].quantity",
                "items[2].quantity",
                "items[3].quantity",
            ],
        ),
        (
            json!({ "items": [{ "productId": p, "quantity": 1 }], "shippingAddress": { "street": "", "city": " ", "zipCode": "z", "country": "c" } }),
            vec!["shippingAddress.street", "shippingAddress.city"],
        ),
        (
            json!({ "items": [{ "productId": p, "quantity": 1 }], "total": 1 }),
            vec!["total"],
        ),
        (
            json!({ "items": [{ "quantity": 1 }] }),
            vec!["items[0].productId"],
        ),
        (
            json!({ "items": [{ "productId": p, "quantity": 1 }, { "productId": p, "quantity": 2 }] }),
            vec!["items"],
        ),
    ];
    let many: Vec<Value> = (0..101)
        .map(|n| json!({ "productId": format!("{n:024x}"), "quantity": 1 }))
        .collect();

    for (body, fields) in bodies {
        let (status, answer) = t.place(&buyer.bearer, &body).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["error"]["code"], "VALIDATION_ERROR");
        for field in fields {
            assert!(
                answer["error"]["details"][field].is_string(),
                "{field} not named in {answer}"
            );
        }
    }
    let (too_many, _) = t.place(&buyer.bearer, &json!({ "items": many })).await;
    let malformed = t
        .orders
        .app
        .client
        .post(t.orders.app.url("/orders"))
        .header("authorization", &buyer.bearer)
        .header("content-type", "application/json")
        .body("{\"items\": [")
        .send()
        .await
        .unwrap();
    let (bad_key, key_answer, _) = t
        .place_with_key(&buyer.bearer, &order_body(&[(p, 1)]), Some("has spaces"))
        .await;

    assert_eq!(too_many, 400);
    assert_eq!(malformed.status().as_u16(), 400);
    assert_eq!(bad_key, 400);
    assert!(key_answer["error"]["details"]["Idempotency-Key"].is_string());
    assert_eq!(t.order_count().await, 0);
    t.stop().await;
}

#[tokio::test]
async fn an_unknown_product_is_named_by_its_line_and_nothing_is_written() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 5.0, 5).await;
    let buyer = t.customer();

    let (status, body) = t
        .place(
            &buyer.bearer,
            &order_body(&[(&lamp, 1), ("64b0000000000000000000ff", 1)]),
        )
        .await;

    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["details"]["items[1].productId"],
        "no such product"
    );
    assert_eq!(t.order_count().await, 0);
    t.stop().await;
}

#[tokio::test]
async fn product_service_being_down_answers_503_and_writes_nothing() {
    let names = shared::testing::TestNames::new();
    let replica = spawn_replica(order_config(&names, NOWHERE, NOWHERE)).await;
    let bearer = names.bearer(
        &bson::oid::ObjectId::new().to_hex(),
        shared::auth::Role::Customer,
    );

    let (status, body) = call(
        &replica.app.client,
        Method::POST,
        &replica.app.url("/orders"),
        Some(&bearer),
        Some(&order_body(&[("64b000000000000000000001", 1)])),
    )
    .await;

    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "UPSTREAM_UNAVAILABLE");
    replica.app.stop_and_clean().await;
}

#[tokio::test]
async fn without_a_shipping_address_the_customers_own_address_is_used() {
    let t = spawn_with(Options {
        customers: true,
        fulfilment: false,
        ..Options::default()
    })
    .await;
    let customers = t.customers.as_ref().unwrap();
    let address = json!({ "street": "12 St James's Square", "city": "London", "zipCode": "SW1Y 4JH", "country": "UK" });
    let (status, session) = call(
        &customers.client,
        Method::POST,
        &customers.url("/auth/register"),
        None,
        Some(&json!({ "name": "Ada Lovelace", "email": "ada@example.com", "password": "correct horse battery", "address": address })),
    )
    .await;
    assert_eq!(status, 201, "{session}");
    let bearer = format!(
        "Bearer {}",
        session["data"]["accessToken"].as_str().unwrap()
    );
    let lamp = t.product("Lamp", 5.0, 5).await;
    let homeless = t.customer();

    let (status, body) = t
        .place(
            &bearer,
            &json!({ "items": [{ "productId": lamp, "quantity": 1 }] }),
        )
        .await;
    let (refused, refusal) = t
        .place(
            &homeless.bearer,
            &json!({ "items": [{ "productId": lamp, "quantity": 1 }] }),
        )
        .await;

    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["shippingAddress"], address);
    assert_eq!(refused, 400, "{refusal}");
    assert!(refusal["error"]["details"]["shippingAddress"].is_string());
    t.stop().await;
}

#[tokio::test]
async fn lists_are_paginated_newest_first_and_customers_see_only_their_own() {
    let t = spawn_app().await;
    let lamp = t.product("Lamp", 1.5, 100).await;
    let (alice, bob) = (t.customer(), t.customer());
    let mut placed = Vec::new();
    for _ in 0..3 {
        placed.push(t.place_ok(&alice, &[(&lamp, 1)]).await["id"].clone());
    }
    t.place_ok(&bob, &[(&lamp, 1)]).await;

    let (_, first) = t
        .request(
            Method::GET,
            "/orders?page=1&limit=2",
            Some(&alice.bearer),
            None,
        )
        .await;
    let (_, second) = t
        .request(
            Method::GET,
            "/orders?page=2&limit=2",
            Some(&alice.bearer),
            None,
        )
        .await;
    let (_, everyone) = t
        .request(Method::GET, "/orders", Some(&t.admin), None)
        .await;
    let (_, bobs) = t
        .request(
            Method::GET,
            &format!("/orders?customerId={}", bob.id),
            Some(&t.admin),
            None,
        )
        .await;
    let (bad, _) = t
        .request(Method::GET, "/orders?limit=0", Some(&alice.bearer), None)
        .await;

    let ids = |v: &Value| {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&first), [placed[2].clone(), placed[1].clone()]);
    assert_eq!(ids(&second), [placed[0].clone()]);
    assert_eq!(first["meta"], json!({ "page": 1, "limit": 2, "total": 3 }));
    assert_eq!(everyone["meta"]["total"], 4);
    assert_eq!(bobs["meta"]["total"], 1);
    assert_eq!(bad, 400);
    t.stop().await;
}
