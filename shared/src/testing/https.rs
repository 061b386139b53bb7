//! A local HTTPS server whose certificate comes from a CA made in the test: the stand-in for an
//! LLM endpoint, a webhook receiver or a JWKS host reached over `https://`.
//!
//! The CA is trusted by nobody but a client given [`HttpsServer::trust`] (or the PEM of
//! [`HttpsServer::ca_pem`] through `EXTRA_CA_CERTS`), so the same server shows both that
//! an unknown CA is refused and that the extra CA is honoured.

use std::sync::Arc;

use base64::Engine as _;
use hyper_util::{rt::TokioIo, service::TowerToHyperService};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio::net::TcpListener;
use tokio_rustls::{
    TlsAcceptor,
    rustls::{
        self,
        pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer},
    },
};
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::http::Trust;

/// `router` served over TLS on a random loopback port until dropped.
pub struct HttpsServer {
    /// `https://127.0.0.1:<port>` (the certificate names that IP address).
    pub base_url: String,
    /// The test CA's certificate, PEM-encoded.
    pub ca_pem: String,
    _stop: DropGuard,
}

impl HttpsServer {
    /// Makes a CA and a certificate for 127.0.0.1 signed by it, and serves `router` with it.
    pub async fn start(router: axum::Router) -> Self {
        let (ca_der, chain, key) = certificates();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("the test certificate and key match");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a random port");
        let port = listener.local_addr().expect("local address").port();
        let stop = CancellationToken::new();
        tokio::spawn(serve(listener, acceptor, router, stop.clone()));
        Self {
            base_url: format!("https://127.0.0.1:{port}"),
            ca_pem: pem(&ca_der),
            _stop: stop.drop_guard(),
        }
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The system's roots plus this server's CA.
    pub fn trust(&self) -> Trust {
        Trust::with_pem(self.ca_pem.as_bytes()).expect("the test CA is a valid root")
    }
}

/// The CA's certificate, and the server's chain and key.
fn certificates() -> (
    CertificateDer<'static>,
    Vec<CertificateDer<'static>>,
    PrivateKeyDer<'static>,
) {
    let ca_key = KeyPair::generate().expect("a CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "shop suite test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca_params.self_signed(&ca_key).expect("a self-signed CA");
    let issuer = Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate().expect("a server key");
    let mut params =
        CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("server parameters");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = params
        .signed_by(&key, &issuer)
        .expect("a server certificate");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    (ca.der().clone(), vec![leaf.der().clone()], key)
}

/// A DER certificate as PEM (rcgen's own `pem` feature would add a second major of `pem`).
fn pem(der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    router: axum::Router,
    stop: CancellationToken,
) {
    loop {
        let (stream, _) = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => continue,
            },
        };
        let (acceptor, router, stop) = (acceptor.clone(), router.clone(), stop.clone());
        tokio::spawn(async move {
            // A client that does not trust the CA aborts the handshake; nothing to serve then.
            let Ok(tls) = acceptor.accept(stream).await else {
                return;
            };
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), TowerToHyperService::new(router));
            tokio::select! {
                () = stop.cancelled() => {}
                _ = connection => {}
            }
        });
    }
}
