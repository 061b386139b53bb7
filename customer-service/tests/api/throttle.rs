//! Sign-in throttling per account and address: a failing address waits, longer at each
//! failure, then is locked out of that account; other addresses are not; a burst against one
//! account raises `auth.login_burst`.

use std::time::Duration;

use customer_service::config::LoginLimits;
use serde_json::json;
use shared::{
    events::{Bus, ConsumerSpec, keys},
    testing::{bus_config, delete_topology},
};
use tokio_util::sync::CancellationToken;

use crate::helpers::{PASSWORD, TestApp, WAIT, spawn_app, spawn_with};

/// Signs in as if from `address` (the test client is an internal peer, so its
/// `x-forwarded-for` is believed, as the gateway's is); the status and `Retry-After`.
async fn login_from(t: &TestApp, address: &str, email: &str, password: &str) -> (u16, Option<u64>) {
    let res = t
        .app
        .client
        .post(t.app.url("/auth/login"))
        .header("x-forwarded-for", address)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap();
    let retry_after = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (res.status().as_u16(), retry_after)
}

#[tokio::test]
async fn a_lock_others_caused_does_not_refuse_the_right_password_from_another_address() {
    let t = spawn_app().await;
    t.register("owner@example.com").await;
    for _ in 0..3 {
        let (status, _) = login_from(&t, "203.0.113.7", "owner@example.com", "guess").await;
        assert_eq!(status, 401);
    }

    let attacker = login_from(&t, "203.0.113.7", "owner@example.com", PASSWORD).await;
    let owner = login_from(&t, "198.51.100.20", "owner@example.com", PASSWORD).await;

    assert_eq!(
        attacker.0, 429,
        "the failing address is locked out, right password or not"
    );
    assert!(
        attacker.1.is_some_and(|s| (1..=60).contains(&s)),
        "{attacker:?}"
    );
    assert_eq!(owner.0, 200, "the owner, from elsewhere, signs in");
    t.stop().await;
}

#[tokio::test]
async fn each_failure_makes_that_address_wait_before_trying_that_account_again() {
    let t = spawn_with(LoginLimits {
        max_failures: 5,
        lock: Duration::from_secs(60),
        per_client_per_minute: 1000,
        delay: Duration::from_secs(2),
        burst_alert: 1000,
    })
    .await;
    t.register("slow@example.com").await;
    assert_eq!(
        login_from(&t, "203.0.113.8", "slow@example.com", "guess")
            .await
            .0,
        401
    );

    let again = login_from(&t, "203.0.113.8", "slow@example.com", "guess").await;
    let elsewhere = login_from(&t, "198.51.100.21", "slow@example.com", "guess").await;

    assert_eq!(again.0, 429, "{again:?}");
    assert!(again.1.is_some_and(|s| (1..=2).contains(&s)), "{again:?}");
    assert_eq!(elsewhere.0, 401, "another address is not made to wait");
    t.stop().await;
}

#[tokio::test]
async fn a_burst_of_failures_against_one_account_from_many_addresses_raises_an_alarm() {
    let t = spawn_with(LoginLimits {
        max_failures: 3,
        lock: Duration::from_secs(60),
        per_client_per_minute: 1000,
        delay: Duration::ZERO,
        burst_alert: 4,
    })
    .await;
    let cancel = CancellationToken::new();
    let bus = Bus::start(bus_config(&t.names), "observer", cancel.clone());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let consuming = bus.consume(
        ConsumerSpec::new("observer", &[keys::LOGIN_BURST]),
        move |event| {
            let _ = tx.send(event);
            std::future::ready(Ok(()))
        },
    );
    assert!(consuming.wait_subscribed(WAIT).await);
    t.register("target@example.com").await;

    for n in 1..=4 {
        let address = format!("203.0.113.{n}");
        let (status, _) = login_from(&t, &address, "target@example.com", "guess").await;
        assert_eq!(status, 401, "one failure per address locks none of them");
    }

    let event = tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("the alarm")
        .unwrap();
    assert_eq!(event.kind, keys::LOGIN_BURST);
    assert_eq!(event.source, "customer-service");
    assert_eq!(event.data["email"], "target@example.com");
    assert_eq!(event.data["failures"], 4);
    assert_eq!(
        login_from(&t, "198.51.100.22", "target@example.com", PASSWORD)
            .await
            .0,
        200
    );
    cancel.cancel();
    delete_topology(&bus).await;
    t.stop().await;
}
