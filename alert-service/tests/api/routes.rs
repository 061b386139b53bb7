//! `GET /alerts` and `POST /alerts/{id}/ack`: who sees what, filters, paging.

use reqwest::Method;
use serde_json::json;
use shared::events::{Envelope, keys};

use crate::helpers::spawn_app;

fn created(order: &str, customer: &str) -> Envelope {
    Envelope::new(
        keys::ORDER_CREATED,
        "order-service",
        "req",
        json!({"orderId": order, "customerId": customer, "items": [], "total": 1.0}),
    )
}

#[tokio::test]
async fn admins_see_every_alert_newest_first_and_customers_only_their_own() {
    let app = spawn_app().await;
    let (ada, ada_bearer) = app.customer();
    let (bob, _) = app.customer();
    app.publish(&created("o1", &ada)).await;
    app.publish(&created("o2", &bob)).await;
    app.publish(&Envelope::new(
        keys::PRODUCT_STOCK_LOW,
        "product-service",
        "req",
        json!({"productId": "p1", "name": "Mug", "stock": 2, "threshold": 5}),
    ))
    .await;
    let all = app.wait_total(3).await;

    assert_eq!(all[0]["type"], "product.stock_low", "newest first");
    assert!(all[0]["sequence"].as_i64() > all[1]["sequence"].as_i64());
    let (status, mine) = app.alerts("", &ada_bearer).await;
    assert_eq!(status, 200);
    assert_eq!(mine["meta"]["total"], 1);
    assert_eq!(mine["data"][0]["customerId"], ada.as_str());
    let (_, stock) = app
        .alerts("?type=product.stock_low&severity=warning", &app.admin)
        .await;
    assert_eq!(stock["meta"]["total"], 1);
    let (_, paged) = app.alerts("?limit=2&page=2", &app.admin).await;
    assert_eq!(paged["data"].as_array().unwrap().len(), 1);
    assert_eq!(paged["meta"], json!({"page": 2, "limit": 2, "total": 3}));

    app.stop().await;
}

#[tokio::test]
async fn an_admin_acknowledges_an_alert_once_and_filters_by_it() {
    let app = spawn_app().await;
    let (_, customer) = app.customer();
    app.publish(&created("o1", "c1")).await;
    app.publish(&created("o2", "c1")).await;
    let all = app.wait_total(2).await;
    let id = all[0]["id"].as_str().unwrap();

    let (status, body) = app
        .request(Method::POST, &format!("/alerts/{id}/ack"), Some(&customer))
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = app
        .request(Method::POST, &format!("/alerts/{id}/ack"), Some(&app.admin))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["acknowledged"], true);
    let first_at = body["data"]["acknowledgedAt"].clone();
    assert!(first_at.is_string());
    let (_, again) = app
        .request(Method::POST, &format!("/alerts/{id}/ack"), Some(&app.admin))
        .await;
    assert_eq!(again["data"]["acknowledgedAt"], first_at);

    let (_, acked) = app.alerts("?acknowledged=true", &app.admin).await;
    assert_eq!(acked["meta"]["total"], 1);
    assert_eq!(acked["data"][0]["id"], id);
    let (_, open) = app.alerts("?acknowledged=false", &app.admin).await;
    assert_eq!(open["meta"]["total"], 1);
    assert_ne!(open["data"][0]["id"], id);

    let missing = bson::oid::ObjectId::new().to_hex();
    let (status, _) = app
        .request(
            Method::POST,
            &format!("/alerts/{missing}/ack"),
            Some(&app.admin),
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = app
        .request(Method::POST, "/alerts/nope/ack", Some(&app.admin))
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["details"]["id"].is_string());

    app.stop().await;
}

#[tokio::test]
async fn bad_filters_name_the_field_and_anonymous_callers_get_401() {
    let app = spawn_app().await;

    let (status, body) = app.alerts("?severity=loud&limit=0", &app.admin).await;
    assert_eq!(status, 400);
    assert!(body["error"]["details"]["severity"].is_string(), "{body}");
    assert!(body["error"]["details"]["limit"].is_string(), "{body}");
    let (status, body) = app.request(Method::GET, "/alerts", None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");

    app.stop().await;
}

#[tokio::test]
async fn a_revoked_token_is_refused_on_the_routes_and_the_socket() {
    let app = spawn_app().await;
    let (status, body) = app.alerts("", &app.admin).await;
    assert_eq!(status, 200, "{body}");

    shared::testing::revoke(&app.names, &app.admin).await;

    let (status, body) = app.alerts("", &app.admin).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");
    let url = app.app.url("/ws/alerts").replacen("http://", "ws://", 1);
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
            .unwrap();
    request
        .headers_mut()
        .insert("authorization", app.admin.parse().unwrap());
    let refused = match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            response.status().as_u16() == 401
        }
        Ok((mut socket, _)) => {
            use futures::StreamExt;
            matches!(
                socket.next().await,
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(frame))))
                    if u16::from(frame.code) == 4401
            )
        }
        Err(_) => false,
    };
    assert!(refused, "the socket refuses a revoked token");
    app.stop().await;
}

#[tokio::test]
async fn an_open_socket_closes_with_4401_once_its_token_is_revoked() {
    let app = spawn_app().await;
    let mut socket = app.ws("", &app.admin).await;
    let subscribed = crate::helpers::next_message(&mut socket).await;
    assert_eq!(subscribed.expect("a first message")["type"], "subscribed");

    shared::testing::revoke(&app.names, &app.admin).await;

    let code = shared::testing::ws_close_code(&mut socket, crate::helpers::WAIT).await;
    assert_eq!(code, Some(4401));
    app.stop().await;
}
