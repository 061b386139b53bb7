//! Refresh rotation, reuse detection, sign-out, sign-in limits and the published key set.

use std::time::Duration;

use customer_service::config::LoginLimits;
use serde_json::json;
use shared::auth::{KeySource, Verifier};

use crate::helpers::{PASSWORD, spawn_app, spawn_with, token};

#[tokio::test]
async fn a_refresh_token_is_exchanged_once_for_a_new_pair() {
    let t = spawn_app().await;
    let first = t.register("rot@example.com").await;

    let (status, body) = t.refresh(&first["refreshToken"]).await;

    assert_eq!(status, 200, "{body}");
    let second = &body["data"];
    assert_ne!(second["refreshToken"], first["refreshToken"]);
    assert_ne!(second["accessToken"], first["accessToken"]);
    assert_eq!(second["customer"]["id"], first["customer"]["id"]);
    let (status, _) = t.get_as("/auth/me", &token(second)).await;
    assert_eq!(status, 200);
    t.stop().await;
}

#[tokio::test]
async fn reusing_a_refresh_token_is_refused_and_revokes_its_successors() {
    let t = spawn_app().await;
    let first = t.register("reuse@example.com").await;
    let (_, rotated) = t.refresh(&first["refreshToken"]).await;

    let (status, body) = t.refresh(&first["refreshToken"]).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");

    // The thief may hold the rotated token: the whole family is gone.
    let (status, _) = t.refresh(&rotated["data"]["refreshToken"]).await;
    assert_eq!(status, 401);
    // A fresh sign-in starts a new family that works.
    let (status, login) = t.login("reuse@example.com", PASSWORD).await;
    assert_eq!(status, 200);
    let (status, _) = t.refresh(&login["data"]["refreshToken"]).await;
    assert_eq!(status, 200);
    t.stop().await;
}

#[tokio::test]
async fn an_unknown_refresh_token_is_refused() {
    let t = spawn_app().await;

    let (status, body) = t.refresh(&"made-up").await;

    assert_eq!(status, 401, "{body}");
    t.stop().await;
}

#[tokio::test]
async fn signing_out_revokes_the_access_token_and_the_refresh_token() {
    let t = spawn_app().await;
    let session = t.register("bye@example.com").await;
    let access = token(&session);

    let (status, _) = t
        .request(
            "POST",
            "/auth/logout",
            Some(json!({ "refreshToken": session["refreshToken"] })),
            Some(&access),
        )
        .await;

    assert_eq!(status, 204);
    let (status, body) = t.get_as("/auth/me", &access).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["message"], "token revoked");
    let (status, _) = t.refresh(&session["refreshToken"]).await;
    assert_eq!(status, 401);
    t.stop().await;
}

#[tokio::test]
async fn signing_out_without_a_body_ends_the_whole_session_and_no_other() {
    let t = spawn_app().await;
    let first = t.register("session@example.com").await;
    let (_, rotated) = t.refresh(&first["refreshToken"]).await;
    let rotated = &rotated["data"];
    let (_, elsewhere) = t.login("session@example.com", PASSWORD).await;
    let elsewhere = &elsewhere["data"];

    let (status, _) = t
        .request("POST", "/auth/logout", None, Some(&token(rotated)))
        .await;

    assert_eq!(status, 204);
    for access in [token(&first), token(rotated)] {
        let (status, body) = t.get_as("/auth/me", &access).await;
        assert_eq!(status, 401, "every access token of the session: {body}");
        assert_eq!(body["error"]["message"], "token revoked");
    }
    let (status, _) = t.refresh(&rotated["refreshToken"]).await;
    assert_eq!(status, 401, "the session's refresh token");
    assert_eq!(t.get_as("/auth/me", &token(elsewhere)).await.0, 200);
    let (status, _) = t.refresh(&elsewhere["refreshToken"]).await;
    assert_eq!(status, 200, "another sign-in's session goes on");
    t.stop().await;
}

#[tokio::test]
async fn a_detected_reuse_refuses_the_access_token_of_the_descendant_pair() {
    let t = spawn_app().await;
    let first = t.register("descendant@example.com").await;
    let (_, rotated) = t.refresh(&first["refreshToken"]).await;
    let rotated = &rotated["data"];
    assert_eq!(t.get_as("/auth/me", &token(rotated)).await.0, 200);

    let (status, _) = t.refresh(&first["refreshToken"]).await;

    assert_eq!(status, 401);
    let (status, body) = t.get_as("/auth/me", &token(rotated)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["message"], "token revoked");
    t.stop().await;
}

#[tokio::test]
async fn signing_out_needs_a_valid_token() {
    let t = spawn_app().await;

    let (status, body) = t.request("POST", "/auth/logout", None, None).await;
    let (forged, _) = t
        .request("POST", "/auth/logout", None, Some("not.a.token"))
        .await;

    assert_eq!(status, 401, "{body}");
    assert_eq!(forged, 401);
    t.stop().await;
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_account_but_not_others() {
    let t = spawn_app().await;
    t.register("target@example.com").await;
    t.register("bystander@example.com").await;

    for _ in 0..3 {
        let (status, _) = t.login("target@example.com", "guess").await;
        assert_eq!(status, 401);
    }
    let res = t
        .app
        .client
        .post(t.app.url("/auth/login"))
        .json(&json!({ "email": "target@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();

    assert_eq!(
        res.status(),
        429,
        "even the right password waits out the lock"
    );
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    assert_eq!(t.login("bystander@example.com", PASSWORD).await.0, 200);
    t.stop().await;
}

#[tokio::test]
async fn one_client_making_too_many_attempts_is_slowed_down() {
    let t = spawn_with(LoginLimits {
        max_failures: 100,
        lock: Duration::from_secs(60),
        per_client_per_minute: 3,
        delay: Duration::ZERO,
        burst_alert: 1000,
    })
    .await;

    let mut statuses = Vec::new();
    for n in 0..4 {
        statuses.push(
            t.login(&format!("nobody{n}@example.com"), "whatever")
                .await
                .0,
        );
    }

    assert_eq!(statuses, [401, 401, 401, 429]);
    t.stop().await;
}

#[tokio::test]
async fn other_services_verify_tokens_with_the_published_key_set() {
    let t = spawn_app().await;
    let session = t.register("jwks@example.com").await;
    let verifier =
        Verifier::new(KeySource::Jwks(t.app.url("/.well-known/jwks.json")), None).unwrap();

    let claims = verifier.verify(&token(&session)).await.unwrap();

    assert_eq!(claims.sub, session["customer"]["id"].as_str().unwrap());
    let other = shared::testing::TestNames::new();
    let foreign = other.bearer("x", shared::auth::Role::Admin);
    assert!(
        verifier
            .verify(foreign.trim_start_matches("Bearer "))
            .await
            .is_err()
    );
    t.stop().await;
}
