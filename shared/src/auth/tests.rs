//! Unit tests of identity: where tokens are read, signing and verifying.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::*;
use crate::error::ApiError;

#[test]
fn a_token_in_the_query_is_read_only_on_streams_and_websockets() {
    for path in [
        "/orders/65a1b2c3d4e5f60718293a4b/stream",
        "/api/orders/65a1b2c3d4e5f60718293a4b/stream/",
        "/ws/orders",
        "/api/ws/chat/abc",
    ] {
        assert!(takes_query_token(path), "{path}");
    }
    for path in [
        "/orders",
        "/api/alerts",
        "/api/customers/streamline",
        "/wsx/a",
    ] {
        assert!(!takes_query_token(path), "{path}");
    }
    let parts = |uri: &str| {
        axum::http::Request::builder()
            .uri(uri)
            .body(())
            .unwrap()
            .into_parts()
            .0
    };
    assert_eq!(bearer_token(&parts("/orders?token=t")), None);
    assert_eq!(
        bearer_token(&parts("/ws/orders?token=t")).as_deref(),
        Some("t")
    );
}

#[tokio::test]
async fn a_signed_token_verifies_and_names_its_subject_and_role() {
    let signer = Signer::generate(Duration::from_secs(60));
    let verifier = Verifier::new(signer.key_source(), None).unwrap();

    let (token, claims) = signer
        .sign("65a1b2c3d4e5f60718293a4b", Role::Admin)
        .unwrap();

    let verified = verifier.verify(&token).await.unwrap();
    assert_eq!(verified, claims);
    assert_eq!(verified.role, Role::Admin);
}

#[test]
fn the_published_key_set_verifies_the_signers_tokens() {
    let signer = Signer::generate(Duration::from_secs(60));
    let (token, _) = signer.sign("x", Role::Customer).unwrap();
    let jwk = &signer.jwks().keys[0];
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[ISSUER]);
    assert!(jsonwebtoken::decode::<Claims>(&token, &key, &validation).is_ok());
    assert_eq!(jwk.common.key_id.as_deref(), Some(signer.kid.as_str()));
}

#[tokio::test]
async fn a_remembered_token_still_expires() {
    let signer = Signer::generate(Duration::from_secs(60));
    let verifier = Verifier::new(signer.key_source(), None).unwrap();
    let (token, mut claims) = signer.sign("x", Role::Customer).unwrap();
    verifier.verify(&token).await.unwrap();
    assert!(verifier.remembered(&token).is_some());

    claims.exp = chrono::Utc::now().timestamp() - 1;
    verifier.remember(&token, &claims);

    assert!(
        verifier.remembered(&token).is_none(),
        "an expired entry is not used"
    );
}

#[tokio::test]
async fn a_token_from_another_key_is_refused() {
    let ours = Verifier::new(Signer::generate(Duration::from_secs(60)).key_source(), None).unwrap();
    let theirs = Signer::generate(Duration::from_secs(60));

    let (token, _) = theirs.sign("x", Role::Admin).unwrap();

    assert!(matches!(
        ours.verify(&token).await,
        Err(ApiError::Unauthorized(_))
    ));
}

#[tokio::test]
async fn an_expired_token_is_refused_as_expired() {
    let signer = Signer::generate(Duration::from_secs(0));
    let verifier = Verifier::new(signer.key_source(), None).unwrap();
    let (token, _) = signer.sign("x", Role::Customer).unwrap();
    let mut claims: Claims = jsonwebtoken::dangerous::insecure_decode(&token)
        .unwrap()
        .claims;
    claims.exp -= 60;
    let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
    header.kid = Some(signer.kid.clone());
    let expired = jsonwebtoken::encode(&header, &claims, &signer.key).unwrap();

    let err = verifier.verify(&expired).await.unwrap_err();

    assert!(
        matches!(err, ApiError::Unauthorized(ref m) if m == "token expired"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_token_signed_with_a_shared_secret_is_refused() {
    let signer = Signer::generate(Duration::from_secs(60));
    let verifier = Verifier::new(signer.key_source(), None).unwrap();
    let claims = signer.sign("x", Role::Customer).unwrap().1;
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &Claims {
            role: Role::Admin,
            ..claims
        },
        &jsonwebtoken::EncodingKey::from_secret(b"guess"),
    )
    .unwrap();

    assert!(matches!(
        verifier.verify(&forged).await,
        Err(ApiError::Unauthorized(_))
    ));
}

#[tokio::test]
async fn requests_that_meet_a_new_key_together_all_wait_for_one_fetch_of_the_key_set() {
    // A key set served slowly over real HTTP, as customer-service serves it.
    let signer = std::sync::Arc::new(Signer::generate(Duration::from_secs(60)));
    let served = signer.clone();
    let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = fetches.clone();
    let app = axum::Router::new().route(
        "/.well-known/jwks.json",
        axum::routing::get(move || {
            let (served, counted) = (served.clone(), counted.clone());
            async move {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(200)).await;
                axum::Json(served.jwks())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/.well-known/jwks.json",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let verifier = Verifier::new(KeySource::Jwks(url), None).unwrap();
    let (first, _) = signer
        .sign("65a1b2c3d4e5f60718293a4b", Role::Admin)
        .unwrap();
    let (second, _) = signer
        .sign("65a1b2c3d4e5f60718293a4c", Role::Admin)
        .unwrap();

    let (a, b) = tokio::join!(verifier.verify(&first), verifier.verify(&second));

    assert!(a.is_ok(), "{a:?}");
    assert!(b.is_ok(), "the second waited for the first's fetch: {b:?}");
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 1);
}
