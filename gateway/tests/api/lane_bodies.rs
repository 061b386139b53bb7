//! Bodies in the fast lane: a `POST`, `PUT` or `PATCH` with a JSON body of a plain length is
//! read whole, checked as the router checks it and forwarded with its length, on the same
//! connection as the bodiless requests around it; anything else with a body (chunked, another
//! content type, two lengths, logging out) is handed to hyper as before. Which lane served is
//! read off `gateway_hand_overs_total`.

use serde_json::Value;
use shared::auth::Role;

use crate::{
    helpers::{TestGateway, spawn_echo, spawn_gateway},
    raw::{ID, Raw},
};

const PRODUCT: &str = r#"{"name":"Lamp","price":19.99,"category":"Home","stock":5}"#;

/// Connections the gateway handed from its fast lane to hyper so far.
async fn hand_overs(gw: &TestGateway) -> f64 {
    gw.metric("gateway_hand_overs_total").await
}

fn put(token: &str, body: &str) -> String {
    format!(
        "PUT /api/products/{ID} HTTP/1.1\r\nhost: x\r\nauthorization: {token}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_json_body_is_read_whole_checked_and_forwarded_in_the_fast_lane() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let admin = gw.bearer(Role::Admin);
    // (The start's health checks were hyper's.)
    let before = hand_overs(&gw).await;
    let mut raw = Raw::connect(&gw.app.url("")).await;

    // Trickled: the head, half the body, the rest.
    let request = put(&admin, PRODUCT);
    let (head, body) = request.split_at(request.len() - PRODUCT.len());
    let (first, rest) = body.split_at(body.len() / 2);
    for part in [head, first, rest] {
        raw.send(part).await;
        tokio::task::yield_now().await;
    }
    let answer = raw.answer(false).await;
    assert_eq!(answer.status, 200);
    let seen = answer.json();
    assert_eq!(
        (seen["method"].as_str(), seen["body"].as_str()),
        (Some("PUT"), Some(PRODUCT))
    );

    // Refused at the door with every bad field named; the service never sees it, and the
    // connection goes on.
    raw.send(&put(
        &admin,
        r#"{"name":"","price":-1,"category":"Home","stock":5}"#,
    ))
    .await;
    let bad = raw.answer(false).await;
    assert_eq!(bad.status, 400);
    let details = bad.json()["error"]["details"].clone();
    assert!(
        details.get("name").is_some() && details.get("price").is_some(),
        "{details}"
    );
    raw.send(&put(&admin, r#"{"name":"Lamp","#)).await;
    let malformed = raw.answer(false).await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.json()["error"]["code"], "VALIDATION_ERROR");
    assert_eq!(echo.hits(), 1, "nothing refused reached the service");

    // Without a token: 401 before the body is looked at.
    raw.send(&put("Bearer nope", PRODUCT)).await;
    assert_eq!(raw.answer(false).await.status, 401);

    // Two pipelined in one write, then a GET: answered in order.
    raw.send(&format!(
        "{}{}GET /api/products/{ID}?after=1 HTTP/1.1\r\nhost: x\r\n\r\n",
        put(&admin, PRODUCT),
        put(
            &admin,
            r#"{"name":"Lamp 2","price":5,"category":"Home","stock":1}"#
        )
    ))
    .await;
    let (one, two, get) = (
        raw.answer(false).await,
        raw.answer(false).await,
        raw.answer(false).await,
    );
    assert_eq!((one.status, two.status, get.status), (200, 200, 200));
    assert_eq!(one.json()["body"], PRODUCT);
    assert!(two.json()["body"].as_str().unwrap().contains("Lamp 2"));
    assert_eq!(get.json()["query"], "after=1");
    assert_eq!(echo.hits(), 4);
    assert_eq!(
        hand_overs(&gw).await - before,
        0.0,
        "all of it in the fast lane"
    );
    gw.stop().await;
}

#[tokio::test]
async fn an_empty_body_where_one_is_required_and_a_too_large_one_are_refused_as_the_router_does() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[
        ("PRODUCT_SERVICE_URL", echo.url.clone()),
        ("MAX_BODY_BYTES", "64".to_owned()),
    ])
    .await;
    let admin = gw.bearer(Role::Admin);
    // (The start's health checks were hyper's.)
    let before = hand_overs(&gw).await;
    let mut raw = Raw::connect(&gw.app.url("")).await;

    raw.send(&format!(
        "PUT /api/products/{ID} HTTP/1.1\r\nhost: x\r\nauthorization: {admin}\r\n\
         content-length: 0\r\n\r\n"
    ))
    .await;
    let empty = raw.answer(false).await;
    assert_eq!(empty.status, 400);
    assert!(
        empty.json()["error"]["details"].get("body").is_some(),
        "{:?}",
        empty.json()
    );
    let long = format!(
        r#"{{"name":"Lamp","description":"{}","price":1,"category":"Home","stock":1}}"#,
        "x".repeat(80)
    );
    raw.send(&put(&admin, &long)).await;
    assert_eq!(raw.answer(false).await.status, 413);
    assert_eq!(echo.hits(), 0);
    assert_eq!(hand_overs(&gw).await - before, 0.0);
    gw.stop().await;
}

#[tokio::test]
async fn bodies_the_lane_does_not_take_go_to_hyper_which_answers_them_as_before() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let admin = gw.bearer(Role::Admin);
    let url = gw.app.url("");
    let before = hand_overs(&gw).await;

    // Another content type: hyper's router names the content type.
    let mut raw = Raw::connect(&url).await;
    raw.send(&format!(
        "PUT /api/products/{ID} HTTP/1.1\r\nhost: x\r\nauthorization: {admin}\r\n\
         content-type: text/plain\r\ncontent-length: {}\r\n\r\n{PRODUCT}",
        PRODUCT.len()
    ))
    .await;
    let typed = raw.answer(false).await;
    assert_eq!(typed.status, 400);
    assert!(
        typed.json()["error"]["details"]
            .get("content-type")
            .is_some()
    );
    assert_eq!(hand_overs(&gw).await - before, 1.0);

    // Two lengths: refused, never forwarded.
    let mut raw = Raw::connect(&url).await;
    raw.send(&format!(
        "PUT /api/products/{ID} HTTP/1.1\r\nhost: x\r\nauthorization: {admin}\r\n\
         content-type: application/json\r\ncontent-length: {0}\r\ncontent-length: {0}5\r\n\r\n{PRODUCT}",
        PRODUCT.len()
    ))
    .await;
    assert_eq!(raw.answer(false).await.status, 400);

    // Chunked: whole at the service, through hyper.
    let mut raw = Raw::connect(&url).await;
    raw.send(&format!(
        "PUT /api/products/{ID} HTTP/1.1\r\nhost: x\r\nauthorization: {admin}\r\n\
         content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{PRODUCT}\r\n0\r\n\r\n",
        PRODUCT.len()
    ))
    .await;
    let chunked = raw.answer(false).await;
    assert_eq!(chunked.status, 200);
    assert_eq!(
        serde_json::from_slice::<Value>(&chunked.body).unwrap()["body"],
        PRODUCT
    );
    assert_eq!(hand_overs(&gw).await - before, 3.0);
    assert_eq!(echo.hits(), 1, "only the chunked one reached the service");
    gw.stop().await;
}
