//! Outbound HTTP: every reqwest client of the suite is built from [`client_builder`], so every
//! one speaks TLS the same way.
//!
//! reqwest runs on rustls with the ring provider (the one lapin and mongodb use; never
//! aws-lc-rs or OpenSSL) and verifies servers against the system's root certificates, plus
//! the CAs of `EXTRA_CA_CERTS` (a PEM bundle, read once at start into [`Trust`]) for an LLM,
//! webhook receiver or JWKS host behind a private CA.

use std::{path::Path, sync::Arc};

use crate::config::{ConfigError, Env};

/// The variable naming a PEM file of extra CA certificates that every client trusts.
pub const EXTRA_CA_CERTS: &str = "EXTRA_CA_CERTS";

/// Which certificate authorities outbound clients trust: the system's roots, plus extra CAs.
/// Cheap to clone.
#[derive(Clone, Default)]
pub struct Trust {
    extra: Arc<[reqwest::Certificate]>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("extra_cas", &self.extra.len())
            .finish()
    }
}

impl Trust {
    /// The system's roots only.
    pub fn system() -> Self {
        Self::default()
    }

    /// The system's roots plus every certificate of `pem` (one or more `CERTIFICATE` blocks).
    pub fn with_pem(pem: &[u8]) -> Result<Self, String> {
        let extra = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| e.to_string())?;
        if extra.is_empty() {
            return Err("holds no PEM certificate".to_owned());
        }
        let trust = Self {
            extra: extra.into(),
        };
        // A certificate rustls refuses as a root would otherwise surface at the first client
        // built, somewhere in a running service; refuse it here, at start.
        client_builder(&trust).build().map_err(|e| e.to_string())?;
        Ok(trust)
    }

    /// The system's roots plus the certificates of the PEM file at `path`.
    pub fn with_pem_file(path: &Path) -> Result<Self, String> {
        let pem =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::with_pem(&pem).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// From `EXTRA_CA_CERTS`: the system's roots alone when unset; an unreadable file or one
    /// without a certificate is an error naming the variable.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        // The name spelt out, as every read is, so `xtask`'s settings checks find it.
        match env.get("EXTRA_CA_CERTS") {
            None => Ok(Self::system()),
            Some(path) => {
                Self::with_pem_file(Path::new(path.trim())).map_err(|reason| ConfigError {
                    name: EXTRA_CA_CERTS.to_owned(),
                    reason,
                })
            }
        }
    }

    /// How many extra CAs are trusted besides the system's roots.
    pub fn extra_cas(&self) -> usize {
        self.extra.len()
    }
}

/// A reqwest builder over rustls (ring) that trusts the system's roots and `trust`'s extra CAs;
/// callers add their timeouts and build.
pub fn client_builder(trust: &Trust) -> reqwest::ClientBuilder {
    install_ring();
    reqwest::Client::builder()
        .tls_backend_rustls()
        .tls_certs_merge(trust.extra.iter().cloned())
}

/// reqwest is built without a provider of its own (its default would bring aws-lc-rs, a second
/// C crypto library), so it takes the process default, which must be set before a client is
/// built. Another component having set one first is fine: any provider verifies the same.
fn install_ring() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_the_variable_only_the_system_roots_are_trusted() {
        let trust = Trust::from_env(&Env::from_pairs(&[])).unwrap();
        assert_eq!(trust.extra_cas(), 0);
        client_builder(&trust).build().expect("a client builds");
    }

    #[test]
    fn a_missing_file_is_an_error_naming_the_variable() {
        let env = Env::from_pairs(&[(EXTRA_CA_CERTS, "/nonexistent/extra-ca.pem")]);
        let err = Trust::from_env(&env).unwrap_err();
        assert_eq!(err.name, EXTRA_CA_CERTS);
        assert!(err.reason.contains("/nonexistent/extra-ca.pem"), "{err}");
    }

    #[test]
    fn a_file_without_a_certificate_is_refused() {
        let err = Trust::with_pem(b"not a certificate\n").unwrap_err();
        assert!(err.contains("no PEM certificate"), "{err}");
    }
}
