//! Revoked tokens at the door: revoked by another process (announced over Redis pub/sub),
//! revoked before the gateway started (read from Redis), and logged out through this gateway
//! (refused at once, before any announcement).

use std::time::Duration;

use axum::{Router, http::StatusCode, routing::post};
use shared::{
    auth::{Claims, Role, Verifier},
    store::Redis,
    testing::{TestNames, eventually, redis_url},
};
use tokio_util::sync::CancellationToken;

use crate::helpers::{TestGateway, spawn_echo, spawn_gateway, spawn_gateway_with};

const ID: &str = "65a1b2c3d4e5f60718293a4b";

/// A token of the test's signer and its claims.
fn token(names: &TestNames) -> (String, Claims) {
    let (token, claims) = names.signer.sign(ID, Role::Customer).expect("sign");
    (format!("Bearer {token}"), claims)
}

/// Another process of the suite (customer-service, say): its own Redis connection and
/// verifier over the test's prefix.
async fn another_process(names: &TestNames, cancel: &CancellationToken) -> Verifier {
    let config = shared::config::RedisConfig {
        url: redis_url(),
        prefix: names.redis_prefix.clone(),
    };
    let redis = Redis::start(&config, cancel.clone()).expect("redis url");
    eventually("redis", Duration::from_secs(10), || async {
        redis.connection().await.ok()
    })
    .await;
    Verifier::new(names.signer.key_source(), Some(redis)).expect("verifier")
}

async fn status(gw: &TestGateway, bearer: &str) -> u16 {
    gw.app
        .client
        .get(gw.app.url(&format!("/api/products/{ID}")))
        .header("authorization", bearer)
        .send()
        .await
        .expect("the gateway answers")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_token_revoked_by_another_process_is_refused_within_a_deadline() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let (bearer, claims) = token(&gw.names);
    assert_eq!(status(&gw, &bearer).await, 200);
    let cancel = CancellationToken::new();
    let other = another_process(&gw.names, &cancel).await;

    other.revoke(&claims).await.expect("revoked");

    eventually(
        "the revoked token refused",
        Duration::from_secs(5),
        || async { (status(&gw, &bearer).await == 401).then_some(()) },
    )
    .await;
    let hits = echo.hits();
    assert_eq!(status(&gw, &bearer).await, 401, "and it stays refused");
    assert_eq!(echo.hits(), hits, "nothing more reached the service");
    cancel.cancel();
    gw.stop().await;
}

#[tokio::test]
async fn a_token_revoked_before_the_gateway_started_is_refused() {
    let names = TestNames::new();
    let (bearer, claims) = token(&names);
    let cancel = CancellationToken::new();
    another_process(&names, &cancel)
        .await
        .revoke(&claims)
        .await
        .expect("revoked");
    let echo = spawn_echo().await;
    let gw =
        crate::helpers::spawn_gateway_named(names, &[("PRODUCT_SERVICE_URL", echo.url.clone())])
            .await;

    assert_eq!(status(&gw, &bearer).await, 401);
    assert_eq!(echo.hits(), 0);
    cancel.cancel();
    gw.stop().await;
}

#[tokio::test]
async fn a_token_logged_out_through_the_gateway_is_refused_by_it_at_once() {
    // A customer-service that accepts the logout and tells nobody: only the gateway's own
    // note of the logout can refuse the token afterwards.
    let customers = Router::new().route("/auth/logout", post(|| async { StatusCode::NO_CONTENT }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let customers_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, customers).await });
    let echo = spawn_echo().await;
    let gw = spawn_gateway_with(
        &[
            ("PRODUCT_SERVICE_URL", echo.url.clone()),
            ("CUSTOMER_SERVICE_URL", customers_url),
        ],
        &[],
    )
    .await;
    let (bearer, _) = token(&gw.names);
    assert_eq!(status(&gw, &bearer).await, 200);

    let logout = gw
        .app
        .client
        .post(gw.app.url("/api/auth/logout"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();

    assert_eq!(logout.status(), 204);
    assert_eq!(
        status(&gw, &bearer).await,
        401,
        "refused on the very next request"
    );
    gw.stop().await;
}
