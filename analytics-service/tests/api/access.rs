//! Every analytics and dashboard route is for admins: 403 for a customer, 401 anonymous.

use reqwest::Method;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue};

use crate::helpers::spawn_app;

const ROUTES: [(&str, &str); 14] = [
    (
        "GET",
        "/analytics/daily-revenue?from=2026-01-01&to=2026-01-02",
    ),
    ("GET", "/analytics/dashboard-metrics"),
    ("GET", "/analytics/top-products"),
    ("GET", "/dashboard/business-metrics"),
    ("GET", "/dashboard/performance"),
    ("GET", "/dashboard/assistant-stats"),
    ("GET", "/analytics/rebuild"),
    ("POST", "/analytics/rebuild"),
    ("GET", "/analytics/top-products?limit=5"),
    ("GET", "/analytics/dead-letters"),
    ("POST", "/analytics/dead-letters/replay"),
    ("GET", "/analytics/discounts?from=2026-01-01&to=2026-01-02"),
    ("GET", "/analytics/funnel"),
    ("GET", "/analytics/after-sales"),
];

#[tokio::test]
async fn a_customer_gets_403_and_an_anonymous_caller_401_on_every_route() {
    let app = spawn_app().await;

    for (method, path) in ROUTES {
        let method: Method = method.parse().unwrap();
        let (status, body) = app.send(method.clone(), path, Some(&app.customer)).await;
        assert_eq!(status, 403, "{method} {path}: {body}");
        assert_eq!(body["error"]["code"], "FORBIDDEN");
        let (status, _) = app.send(method.clone(), path, None).await;
        assert_eq!(status, 401, "{method} {path}");
        let (status, _) = app.send(method.clone(), path, Some("Bearer forged")).await;
        assert_eq!(status, 401, "{method} {path}");
    }
    let url = app.app.base_url.replacen("http://", "ws://", 1) + "/ws/analytics";
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&app.customer).unwrap(),
    );
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!(
            "expected 403 before the upgrade, got {:?}",
            other.map(|_| ())
        ),
    }

    app.stop().await;
}

#[tokio::test]
async fn a_revoked_admin_token_is_refused_on_every_route() {
    let app = spawn_app().await;
    let (status, body) = app
        .send(
            Method::GET,
            "/analytics/dashboard-metrics",
            Some(&app.admin),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    shared::testing::revoke(&app.names, &app.admin).await;

    for (method, path) in ROUTES {
        let method: Method = method.parse().unwrap();
        let (status, body) = app.send(method.clone(), path, Some(&app.admin)).await;
        assert_eq!(status, 401, "{method} {path}: {body}");
        assert_eq!(body["error"]["code"], "UNAUTHORIZED");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_open_dashboard_socket_closes_with_4401_once_the_admins_token_is_revoked() {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;

    let app = spawn_app().await;
    let url = app.app.base_url.replacen("http://", "ws://", 1) + "/ws/analytics";
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", HeaderValue::from_str(&app.admin).unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert!(matches!(socket.next().await, Some(Ok(Message::Text(_)))));

    shared::testing::revoke(&app.names, &app.admin).await;

    let code = shared::testing::ws_close_code(&mut socket, crate::helpers::WAIT).await;
    assert_eq!(code, Some(4401));
    app.stop().await;
}
