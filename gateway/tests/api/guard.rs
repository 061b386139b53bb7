//! The door: tokens, role rules, forged headers, rate limits and validation. Every refusal
//! happens before the service sees anything.

use serde_json::Value;
use shared::auth::Role;

use crate::helpers::{spawn_echo, spawn_gateway, spawn_gateway_with};

const ID: &str = "65a1b2c3d4e5f60718293a4b";

async fn send(request: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    let res = request.send().await.unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    (status, headers, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn admin_routes_refuse_customers_and_anonymous_callers_before_the_service() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let url = gw.app.url(&format!("/api/products/{ID}"));
    let delete = || gw.app.client.delete(&url);

    let (anonymous, _, body) = send(delete()).await;
    let (customer, _, _) = send(delete().header("authorization", gw.bearer(Role::Customer))).await;
    let (forged, _, _) = send(delete().header("authorization", "Bearer not.a.token")).await;
    let (foreign, _, _) = send(delete().header(
        "authorization",
        shared::testing::TestNames::new().bearer(ID, Role::Admin),
    ))
    .await;

    assert_eq!((anonymous, customer, forged, foreign), (401, 403, 401, 401));
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");
    assert_eq!(echo.hits(), 0, "nothing reached the service");
    let (admin, _, _) = send(delete().header("authorization", gw.bearer(Role::Admin))).await;
    assert_eq!(admin, 200);
    assert_eq!(echo.hits(), 1);
    gw.stop().await;
}

#[tokio::test]
async fn identity_headers_from_outside_are_dropped() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let url = gw.app.url(&format!("/api/products/{ID}"));

    let (_, _, anonymous) = send(
        gw.app
            .client
            .get(&url)
            .header("x-user-id", ID)
            .header("x-user-role", "admin"),
    )
    .await;
    let (_, _, customer) = send(
        gw.app
            .client
            .get(&url)
            .header("authorization", gw.bearer(Role::Customer))
            .header("x-user-role", "admin"),
    )
    .await;

    assert!(
        anonymous["userId"].is_null() && anonymous["userRole"].is_null(),
        "{anonymous}"
    );
    assert_eq!(customer["userRole"], "customer");
    assert_eq!(customer["userId"], ID);
    gw.stop().await;
}

#[tokio::test]
async fn a_caller_past_its_quota_gets_429_with_retry_after_and_others_do_not() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway_with(
        &[("PRODUCT_SERVICE_URL", echo.url.clone())],
        &[("RATE_LIMIT_CATALOG_PER_MIN", "3")],
    )
    .await;
    let url = gw.app.url(&format!("/api/products/{ID}"));

    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..4 {
        let (status, headers, body) = send(gw.app.client.get(&url)).await;
        statuses.push(status);
        last = Some((headers, body));
    }
    let (headers, body) = last.unwrap();

    assert_eq!(statuses, [200, 200, 200, 429]);
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=21).contains(&retry), "{retry}");
    assert_eq!(headers["ratelimit-limit"], "3");
    assert_eq!(headers["ratelimit-remaining"], "0");
    assert_eq!(echo.hits(), 3);
    // A signed-in caller is counted by user id, not by address.
    let (status, headers, _) = send(
        gw.app
            .client
            .get(&url)
            .header("authorization", gw.bearer(Role::Customer)),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["ratelimit-remaining"], "2");
    gw.stop().await;
}

#[tokio::test]
async fn a_clickstream_flood_is_refused_by_its_own_quota_and_leaves_the_callers_others_alone() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway_with(
        &[
            ("ANALYTICS_SERVICE_URL", echo.url.clone()),
            ("PRODUCT_SERVICE_URL", echo.url.clone()),
        ],
        &[
            ("RATE_LIMIT_CLICKSTREAM_PER_MIN", "3"),
            ("RATE_LIMIT_CATALOG_PER_MIN", "3"),
        ],
    )
    .await;
    let batch = serde_json::json!({"events": [{"id": "flood-0001", "type": "page_view",
        "at": chrono::Utc::now().to_rfc3339(), "sessionId": "flood-session"}]});
    let events = gw.app.url("/api/events");

    let mut statuses = Vec::new();
    for _ in 0..6 {
        let (status, _, _) = send(gw.app.client.post(&events).json(&batch)).await;
        statuses.push(status);
    }

    assert_eq!(statuses, [200, 200, 200, 429, 429, 429]);
    assert_eq!(echo.hits(), 3, "a refused batch is not forwarded");
    // The same caller still browses: the catalog counts apart.
    let (status, headers, _) = send(
        gw.app
            .client
            .get(gw.app.url(&format!("/api/products/{ID}"))),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["ratelimit-remaining"], "2");
    // A batch too large is refused by its check, naming the field, and never forwarded.
    let big: Vec<_> = (0..101).map(|_| batch["events"][0].clone()).collect();
    let gw2 = spawn_gateway_with(&[("ANALYTICS_SERVICE_URL", echo.url.clone())], &[]).await;
    let (status, _, body) = send(
        gw2.app
            .client
            .post(gw2.app.url("/api/events"))
            .json(&serde_json::json!({"events": big})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["details"]["events"].is_string(), "{body}");
    assert_eq!(echo.hits(), 4);
    gw2.stop().await;
    gw.stop().await;
}

#[tokio::test]
async fn malformed_requests_are_refused_with_the_field_named_and_never_forwarded() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway_with(
        &[("PRODUCT_SERVICE_URL", echo.url.clone())],
        &[("MAX_BODY_BYTES", "1024")],
    )
    .await;
    let admin = gw.bearer(Role::Admin);
    let post = |path: &str| {
        gw.app
            .client
            .post(gw.app.url(path))
            .header("authorization", admin.clone())
    };

    let (too_big, _, big) = send(
        post("/api/products")
            .header("content-type", "application/json")
            .body(format!("{{\"a\":\"{}\"}}", "x".repeat(2000))),
    )
    .await;
    let (not_json, _, typed) = send(
        post("/api/products")
            .header("content-type", "text/plain")
            .body("{}"),
    )
    .await;
    let (broken, _, syntax) = send(
        post("/api/products")
            .header("content-type", "application/json")
            .body("{\n  \"name\": ,\n}"),
    )
    .await;
    let (bad_id, _, id) = send(gw.app.client.get(gw.app.url("/api/products/42"))).await;
    let (bad_page, _, page) = send(
        gw.app
            .client
            .get(gw.app.url("/api/products?page=0&limit=0")),
    )
    .await;

    assert_eq!(
        (too_big, big["error"]["code"].as_str()),
        (413, Some("PAYLOAD_TOO_LARGE"))
    );
    assert_eq!(not_json, 400);
    assert!(
        typed["error"]["details"]["content-type"].is_string(),
        "{typed}"
    );
    assert_eq!(broken, 400);
    let message = syntax["error"]["details"]["body"].as_str().unwrap();
    assert!(message.contains("line 2 column 11"), "{message}");
    assert_eq!(bad_id, 400);
    assert!(id["error"]["details"]["id"].is_string());
    assert_eq!(bad_page, 400);
    assert!(
        page["error"]["details"]["page"].is_string()
            && page["error"]["details"]["limit"].is_string(),
        "{page}"
    );
    assert_eq!(echo.hits(), 0, "nothing reached the service");
    gw.stop().await;
}

#[tokio::test]
async fn a_body_that_breaks_its_routes_schema_is_refused_naming_every_field() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[
        ("ORDER_SERVICE_URL", echo.url.clone()),
        ("PRODUCT_SERVICE_URL", echo.url.clone()),
    ])
    .await;
    let customer = gw.bearer(Role::Customer);

    let (status, _, body) = send(
        gw.app
            .client
            .post(gw.app.url("/api/orders"))
            .header("authorization", customer)
            .json(&serde_json::json!({ "items": [{ "productId": "nope", "quantity": 0 }, { "productId": "65a1b2c3d4e5f60718293a4b", "quantity": 1001 }], "shippingAddress": { "street": " ", "city": "Oslo", "zipCode": "0150", "country": "" } })),
    )
    .await;
    let (empty, _, _) = send(
        gw.app
            .client
            .post(gw.app.url("/api/products"))
            .header("authorization", gw.bearer(Role::Admin)),
    )
    .await;
    let (price, _, priced) = send(
        gw.app
            .client
            .post(gw.app.url("/api/products"))
            .header("authorization", gw.bearer(Role::Admin))
            .json(&serde_json::json!({ "name": "Lamp", "price": 19.999, "category": "Home", "stock": -1 })),
    )
    .await;

    assert_eq!(status, 400, "{body}");
    let mut fields: Vec<&String> = body["error"]["details"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "items[0].productId",
            "items[0].quantity",
            "items[1].quantity",
            "shippingAddress.country",
            "shippingAddress.street"
        ]
    );
    assert_eq!(empty, 400);
    assert_eq!(price, 400);
    let details = priced["error"]["details"].as_object().unwrap();
    assert!(
        details.contains_key("price") && details.contains_key("stock"),
        "{priced}"
    );
    assert_eq!(echo.hits(), 0, "nothing reached the services");
    gw.stop().await;
}
