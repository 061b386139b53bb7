//! The gateway's metrics (issue 14): served on an internal listener only, never on the
//! public port; every proxied request counted under its route's pattern, in both lanes.

use shared::auth::Role;

use crate::{
    helpers::{spawn_echo, spawn_gateway},
    raw::{ID, Raw},
};

#[tokio::test]
async fn metrics_are_not_served_on_the_public_port_but_on_the_internal_listener() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let client = &gw.app.client;

    let anonymous = client.get(gw.app.url("/metrics")).send().await.unwrap();
    let admin = client
        .get(gw.app.url("/metrics"))
        .header("authorization", gw.bearer(Role::Admin))
        .send()
        .await
        .unwrap();
    let internal = client.get(&gw.metrics_url).send().await.unwrap();

    assert_eq!(anonymous.status(), 404);
    assert_eq!(
        admin.status(),
        404,
        "not even for an admin: scrapers use the internal port"
    );
    assert_eq!(internal.status(), 200);
    let text = internal.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text:.300}");
    gw.stop().await;
}

/// The `http_requests_total` count with all of `labels` (`name="value"` each), summed.
fn requests(text: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .filter(|l| labels.iter().all(|label| l.contains(label)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn proxied_requests_are_counted_under_their_routes_pattern_in_both_lanes() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let get = |path: &str, version: &str| format!("GET {path} HTTP/{version}\r\nhost: x\r\n\r\n");

    // HTTP/1.1: the fast lane; HTTP/1.0: hyper and the router. One request per connection.
    for (request, status) in [
        (get(&format!("/api/products/{ID}"), "1.1"), 200),
        (get(&format!("/api/products/{ID}"), "1.0"), 200),
        (get(&format!("/api/orders/{ID}"), "1.1"), 401),
        (get(&format!("/api/orders/{ID}"), "1.0"), 401),
        (
            get(&format!("/api/products/{ID}/no-such-thing"), "1.1"),
            200,
        ),
        (get("/api/nowhere/at/all", "1.0"), 404),
    ] {
        let mut raw = Raw::connect(&gw.app.url("")).await;
        raw.send(&request).await;
        assert_eq!(raw.answer(false).await.status, status, "{request}");
    }
    let text = gw.app.client.get(&gw.metrics_url).send().await.unwrap();
    let text = text.text().await.unwrap();

    let count = |route: &str, status: &str| {
        let (route, status) = (format!("route=\"{route}\""), format!("status=\"{status}\""));
        requests(&text, &["method=\"GET\"", &route, &status])
    };
    assert_eq!(count("/api/products/{id}", "200"), 2.0, "{text}");
    assert_eq!(count("/api/orders/{id}", "401"), 2.0, "{text}");
    assert_eq!(count("unmatched", "200"), 1.0, "{text}");
    assert_eq!(count("unmatched", "404"), 1.0, "{text}");
    assert!(!text.contains("/api/{*rest}"), "{text}");
    gw.stop().await;
}
