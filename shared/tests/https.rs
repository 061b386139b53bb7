//! Outbound HTTPS: a JWKS host behind a private CA is refused until `EXTRA_CA_CERTS` names
//! that CA, read by the shared configuration and used by the shared start-up's verifier.

use std::{path::PathBuf, time::Duration};

use axum::{Json, Router, routing::get};
use shared::{
    ApiError,
    auth::Role,
    config::{Env, ServiceConfig, ServiceDefaults},
    http::{EXTRA_CA_CERTS, Trust, client_builder},
    server::Infra,
    testing::{TestNames, https::HttpsServer},
};
use tokio_util::sync::CancellationToken;

/// A service with nothing but token verification: no database, broker or Redis to wait for.
const DEFAULTS: ServiceDefaults = ServiceDefaults {
    name: "tls-test",
    port: 0,
    database: None,
    uses_broker: false,
    uses_redis: false,
};

/// An HTTPS host serving the test signer's public keys at `/.well-known/jwks.json`.
async fn jwks_host(names: &TestNames) -> HttpsServer {
    let jwks = names.signer.jwks();
    let router = Router::new().route(
        "/.well-known/jwks.json",
        get(move || {
            let jwks = jwks.clone();
            async move { Json(jwks) }
        }),
    );
    HttpsServer::start(router).await
}

/// The CA's PEM in a file of the test's own, as an operator would mount it.
fn ca_file(names: &TestNames, server: &HttpsServer) -> PathBuf {
    let path = std::env::temp_dir().join(format!("extra-ca-{}.pem", names.id));
    std::fs::write(&path, &server.ca_pem).expect("write the CA file");
    path
}

/// The shared start-up over `JWKS_URL` (and `EXTRA_CA_CERTS`, when given).
async fn infra(pairs: &[(&str, &str)], cancel: &CancellationToken) -> Infra {
    let config = ServiceConfig::from_env(&Env::from_pairs(pairs), DEFAULTS).expect("config");
    Infra::connect(&config, cancel).await.expect("infra")
}

#[tokio::test]
async fn tokens_are_verified_with_keys_from_an_https_jwks_host_whose_ca_is_in_extra_ca_certs() {
    let (names, cancel) = (TestNames::new(), CancellationToken::new());
    let host = jwks_host(&names).await;
    let ca = ca_file(&names, &host);
    let url = host.url("/.well-known/jwks.json");
    let infra = infra(
        &[("JWKS_URL", &url), (EXTRA_CA_CERTS, ca.to_str().unwrap())],
        &cancel,
    )
    .await;
    let (token, _) = names.signer.sign("someone", Role::Customer).unwrap();

    let claims = infra.verifier.verify(&token).await;

    let _ = std::fs::remove_file(&ca);
    assert_eq!(claims.expect("verified over https").sub, "someone");
}

#[tokio::test]
async fn an_https_jwks_host_under_an_unknown_ca_is_unavailable_without_extra_ca_certs() {
    let (names, cancel) = (TestNames::new(), CancellationToken::new());
    let host = jwks_host(&names).await;
    let url = host.url("/.well-known/jwks.json");
    let infra = infra(&[("JWKS_URL", &url)], &cancel).await;
    let (token, _) = names.signer.sign("someone", Role::Customer).unwrap();

    let result = infra.verifier.verify(&token).await;

    assert!(
        matches!(result, Err(ApiError::UpstreamUnavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_client_refuses_the_unknown_ca_for_its_certificate_and_accepts_it_once_added() {
    let names = TestNames::new();
    let host = jwks_host(&names).await;
    let url = host.url("/.well-known/jwks.json");
    let client = |trust: &Trust| {
        client_builder(trust)
            .timeout(Duration::from_secs(5))
            .build()
            .expect("a client")
    };

    let refused = client(&Trust::system()).get(&url).send().await;
    let accepted = client(&host.trust()).get(&url).send().await;

    let error = refused.expect_err("an unknown CA is refused");
    let chain = std::iter::successors(Some(&error as &dyn std::error::Error), |e| e.source())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ");
    assert!(chain.contains("UnknownIssuer"), "{chain}");
    assert_eq!(accepted.expect("the added CA is trusted").status(), 200);
}
