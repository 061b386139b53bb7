//! The gateway's metrics (issue 14): served on an internal listener only, never on the
//! public port.

use shared::auth::Role;

use crate::helpers::{spawn_echo, spawn_gateway};

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
