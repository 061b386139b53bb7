//! Service identity: short-lived tokens one service mints to call another's internal route,
//! instead of a long-lived admin token in its configuration.
//!
//! The key is the suite's service key, `SERVICE_TOKEN_KEY` (Ed25519, PKCS#8 PEM, like
//! `JWT_PRIVATE_KEY`, and kept in the same secret): the caller signs with it, the callee
//! verifies with its public half. It is not customer-service's signing key, so a service
//! holding it can mint service tokens and nothing else: no customer's or admin's token.
//!
//! A service token is a JWT (`EdDSA`) with `{sub: <calling service>, role: "service", aud:
//! <callee's route family>, iss: <calling service>, iat, exp, jti}`, living [`TTL`]. It can
//! never pass as a user's token: the access-token [`super::Verifier`] checks another key, the
//! issuer `customer-service` and a role of `customer` or `admin`. A callee accepts it only where
//! it asks for a [`ServiceVerifier`] with its audience, that is on its internal routes.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The role every service token carries.
pub const ROLE: &str = "service";
/// How long a service token lives: long enough for one call and its retries, short enough that
/// a leaked one is worthless within minutes.
pub const TTL: Duration = Duration::from_secs(60);
/// The audience of customer-service's internal contact look-up
/// (`GET /internal/customers/{id}/contact`).
pub const CUSTOMER_CONTACT: &str = "customer-service/contact";
/// The audience of customer-service's list of the staff to mail (`GET /internal/staff`).
pub const STAFF_RECIPIENTS: &str = "customer-service/staff";

/// The claims of a service token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceClaims {
    /// The calling service (`alert-service`).
    pub sub: String,
    /// Always [`ROLE`].
    pub role: String,
    /// What it may call.
    pub aud: String,
    /// The calling service, as `sub`.
    pub iss: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Unique token id, for the logs.
    pub jti: String,
}

fn parse_key(pem: &str) -> Result<ed25519_dalek::SigningKey, String> {
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    ed25519_dalek::SigningKey::from_pkcs8_pem(&pem.replace("\\n", "\n"))
        .map_err(|e| format!("not an Ed25519 PKCS#8 PEM private key: {e}"))
}

/// Mints service tokens for one calling service. Cheap to clone.
#[derive(Clone)]
pub struct ServiceSigner {
    service: String,
    key: EncodingKey,
    public: DecodingKey,
}

impl std::fmt::Debug for ServiceSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceSigner")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl ServiceSigner {
    /// `service`'s signer over the PEM key `pem` (`\n` may stand for newlines).
    pub fn from_pem(service: &str, pem: &str) -> Result<Self, String> {
        Self::from_key(service, &parse_key(pem)?)
    }

    /// A signer over a fresh random key (tests).
    pub fn generate(service: &str) -> Self {
        let key = ed25519_dalek::SigningKey::from_bytes(&rand::random());
        Self::from_key(service, &key).expect("a freshly generated key encodes")
    }

    fn from_key(service: &str, key: &ed25519_dalek::SigningKey) -> Result<Self, String> {
        use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey, spki::der::pem::LineEnding};
        let der = key.to_pkcs8_der().map_err(|e| e.to_string())?;
        let public = key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            service: service.to_owned(),
            key: EncodingKey::from_ed_der(der.as_bytes()),
            public: DecodingKey::from_ed_pem(public.as_bytes()).map_err(|e| e.to_string())?,
        })
    }

    /// A token for `audience`, valid for [`TTL`] from now.
    pub fn mint(&self, audience: &str) -> Result<String, ApiError> {
        self.mint_for(audience, TTL)
    }

    /// A token for `audience` valid for `ttl` (tests make expired ones with a zero TTL).
    pub fn mint_for(&self, audience: &str, ttl: Duration) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = ServiceClaims {
            sub: self.service.clone(),
            role: ROLE.to_owned(),
            aud: audience.to_owned(),
            iss: self.service.clone(),
            iat: now,
            exp: now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
            jti: uuid::Uuid::now_v7().to_string(),
        };
        let header = jsonwebtoken::Header::new(Algorithm::EdDSA);
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(ApiError::internal)
    }

    /// The verifier of this key's tokens.
    pub fn verifier(&self) -> ServiceVerifier {
        ServiceVerifier {
            key: self.public.clone(),
        }
    }
}

/// Checks service tokens against the public half of the service key. Cheap to clone.
#[derive(Clone)]
pub struct ServiceVerifier {
    key: DecodingKey,
}

impl std::fmt::Debug for ServiceVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceVerifier").finish_non_exhaustive()
    }
}

impl ServiceVerifier {
    /// The verifier for the key whose private half is `pem` (a service holding the key checks
    /// with its public half).
    pub fn from_private_pem(pem: &str) -> Result<Self, String> {
        Ok(ServiceSigner::from_key("", &parse_key(pem)?)?.verifier())
    }

    /// The claims of `token` if it is a service token for `audience`, signed with the service
    /// key and not expired; 401 otherwise (a user's token included).
    pub fn verify(&self, token: &str, audience: &str) -> Result<ServiceClaims, ApiError> {
        let refused =
            |why: &str| ApiError::Unauthorized(format!("not a valid service token: {why}"));
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        validation.leeway = 5;
        let claims = jsonwebtoken::decode::<ServiceClaims>(token, &self.key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => refused("expired"),
                jsonwebtoken::errors::ErrorKind::InvalidAudience => refused("another audience"),
                _ => refused("bad signature or claims"),
            })?
            .claims;
        if claims.role != ROLE || claims.iss != claims.sub {
            return Err(refused("not a service"));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Role, Signer};

    #[test]
    fn a_minted_token_passes_for_its_audience_only() {
        let signer = ServiceSigner::generate("alert-service");
        let token = signer.mint(CUSTOMER_CONTACT).unwrap();

        let claims = signer.verifier().verify(&token, CUSTOMER_CONTACT).unwrap();
        let other = signer.verifier().verify(&token, "order-service/other");

        assert_eq!(claims.sub, "alert-service");
        assert_eq!(claims.role, ROLE);
        assert!(claims.exp - claims.iat <= 60);
        assert!(matches!(other, Err(ApiError::Unauthorized(_))));
    }

    #[test]
    fn expired_tokens_other_keys_and_user_tokens_are_refused() {
        let signer = ServiceSigner::generate("alert-service");
        let verifier = signer.verifier();
        let now = chrono::Utc::now().timestamp();
        let claims = ServiceClaims {
            sub: "alert-service".to_owned(),
            role: ROLE.to_owned(),
            aud: CUSTOMER_CONTACT.to_owned(),
            iss: "alert-service".to_owned(),
            iat: now - 700,
            exp: now - 600,
            jti: "old".to_owned(),
        };
        let mut admin_like = claims.clone();
        (admin_like.role, admin_like.exp) = ("admin".to_owned(), now + 60);
        let stranger = ServiceSigner::generate("alert-service");
        let admin = Signer::generate(Duration::from_secs(900))
            .sign("000000000000000000000001", Role::Admin)
            .unwrap()
            .0;

        assert!(
            verifier
                .verify(&resign(&signer, &claims), CUSTOMER_CONTACT)
                .is_err()
        );
        assert!(
            verifier
                .verify(&resign(&signer, &admin_like), CUSTOMER_CONTACT)
                .is_err()
        );
        let foreign = stranger.mint(CUSTOMER_CONTACT).unwrap();
        assert!(verifier.verify(&foreign, CUSTOMER_CONTACT).is_err());
        assert!(verifier.verify(&admin, CUSTOMER_CONTACT).is_err());
        assert!(verifier.verify("garbage", CUSTOMER_CONTACT).is_err());
    }

    fn resign(signer: &ServiceSigner, claims: &ServiceClaims) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::EdDSA),
            claims,
            &signer.key,
        )
        .unwrap()
    }

    #[test]
    fn the_verifier_from_the_private_pem_checks_the_signers_tokens() {
        use ed25519_dalek::pkcs8::{EncodePrivateKey, spki::der::pem::LineEnding};
        let key = ed25519_dalek::SigningKey::from_bytes(&rand::random());
        let pem = key.to_pkcs8_pem(LineEnding::LF).unwrap();
        let one_line = pem.replace('\n', "\\n");
        let signer = ServiceSigner::from_pem("alert-service", &one_line).unwrap();
        let verifier = ServiceVerifier::from_private_pem(&pem).unwrap();

        let token = signer.mint(CUSTOMER_CONTACT).unwrap();

        assert!(verifier.verify(&token, CUSTOMER_CONTACT).is_ok());
        assert!(ServiceSigner::from_pem("x", "not a key").is_err());
    }
}
