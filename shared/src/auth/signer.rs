//! [`Signer`]: customer-service's Ed25519 key, which alone signs access tokens.

use std::time::Duration;

use jsonwebtoken::{Algorithm, jwk::JwkSet};

use crate::error::ApiError;

use super::{Claims, ISSUER, KeySource, Role};

/// Signs access tokens with an Ed25519 key. Only customer-service is configured with one.
#[derive(Clone)]
pub struct Signer {
    pub(super) key: jsonwebtoken::EncodingKey,
    pub(super) kid: String,
    public_pem: String,
    jwk: jsonwebtoken::jwk::Jwk,
    /// How long an access token lives.
    pub access_ttl: Duration,
}

impl Signer {
    /// A signer over a PKCS#8 PEM private key.
    pub fn from_pem(pem: &str, access_ttl: Duration) -> Result<Self, String> {
        use ed25519_dalek::pkcs8::DecodePrivateKey;
        let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map_err(|e| format!("not an Ed25519 PKCS#8 PEM private key: {e}"))?;
        Self::from_key(&key, access_ttl)
    }

    /// A signer over a fresh random key (development and tests).
    pub fn generate(access_ttl: Duration) -> Self {
        let key = ed25519_dalek::SigningKey::from_bytes(&rand::random());
        Self::from_key(&key, access_ttl).expect("a freshly generated key encodes")
    }

    fn from_key(key: &ed25519_dalek::SigningKey, access_ttl: Duration) -> Result<Self, String> {
        use base64::Engine;
        use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey, spki::der::pem::LineEnding};
        let der = key.to_pkcs8_der().map_err(|e| e.to_string())?;
        let encoding = jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes());
        let public = key.verifying_key();
        let public_pem = public
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?;
        let kid = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&public.as_bytes()[..9]);
        let jwk = jsonwebtoken::jwk::Jwk {
            common: jsonwebtoken::jwk::CommonParameters {
                public_key_use: Some(jsonwebtoken::jwk::PublicKeyUse::Signature),
                key_algorithm: Some(jsonwebtoken::jwk::KeyAlgorithm::EdDSA),
                key_id: Some(kid.clone()),
                ..Default::default()
            },
            algorithm: jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(
                jsonwebtoken::jwk::OctetKeyPairParameters {
                    key_type: jsonwebtoken::jwk::OctetKeyPairType::OctetKeyPair,
                    curve: jsonwebtoken::jwk::EllipticCurve::Ed25519,
                    x: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public.as_bytes()),
                },
            ),
        };
        Ok(Self {
            key: encoding,
            kid,
            public_pem,
            jwk,
            access_ttl,
        })
    }

    /// A signed access token for `sub` with `role` in a session of its own, and its claims.
    pub fn sign(&self, sub: &str, role: Role) -> Result<(String, Claims), ApiError> {
        self.sign_in_session(sub, role, &uuid::Uuid::now_v7().to_string())
    }

    /// A signed access token for `sub` with `role` in session `sid`, and its claims.
    pub fn sign_in_session(
        &self,
        sub: &str,
        role: Role,
        sid: &str,
    ) -> Result<(String, Claims), ApiError> {
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(self.access_ttl.as_secs()).unwrap_or(i64::MAX);
        let claims = Claims {
            sub: sub.to_owned(),
            role,
            jti: uuid::Uuid::now_v7().to_string(),
            sid: sid.to_owned(),
            iat: now,
            exp: now.saturating_add(ttl),
            iss: ISSUER.to_owned(),
        };
        let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        let token =
            jsonwebtoken::encode(&header, &claims, &self.key).map_err(ApiError::internal)?;
        Ok((token, claims))
    }

    /// The public key set served at `/.well-known/jwks.json`.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.jwk.clone()],
        }
    }

    /// The public key, for verifiers in the same process.
    pub fn key_source(&self) -> KeySource {
        KeySource::Static(self.public_pem.clone())
    }
}
