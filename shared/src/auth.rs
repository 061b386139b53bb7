//! Identity: the caller's claims, token verification with customer-service's public key, and
//! the `Caller` / `MaybeCaller` extractors.
//!
//! Only customer-service signs tokens (Ed25519, `EdDSA`); everyone else verifies them with the
//! public key, given as PEM (`JWT_PUBLIC_KEY`) or fetched from customer-service's JWKS
//! (`JWKS_URL`) and refreshed when a token names a key id it does not know. A token revoked at
//! logout is refused wherever Redis is at hand (`revocations`: a local set fed by Redis
//! pub/sub, with Redis asked directly while that set is incomplete). Headers such as
//! `x-user-id` are never trusted: the token is the only proof.

mod revocations;
mod verified;

use std::{collections::HashMap, sync::Arc, time::Duration};

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{header, request::Parts},
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use crate::{error::ApiError, store::Redis};

pub use revocations::{CHANNEL as REVOCATION_CHANNEL, revoked_key};
use revocations::{Revocations, session_id};

/// Who may do what (DESIGN.md, "Identity and access").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A shopper: their own records only.
    Customer,
    /// Staff: catalog writes, order status by hand, analytics.
    Admin,
}

impl Role {
    /// `customer` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Admin => "admin",
        }
    }
}

/// The issuer every token names.
pub const ISSUER: &str = "customer-service";

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The customer's id.
    pub sub: String,
    /// The customer's role.
    pub role: Role,
    /// Unique token id; logout revokes by it.
    pub jti: String,
    /// The session (refresh family) the token was issued in: logout and a detected refresh
    /// reuse revoke it, and with it every access token of the session. Empty in tokens signed
    /// before sessions were named, which then can only be revoked one by one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sid: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Always [`ISSUER`].
    pub iss: String,
}

/// Where the public keys come from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// One fixed key: the SubjectPublicKeyInfo PEM of an Ed25519 key (`JWT_PUBLIC_KEY`).
    Static(String),
    /// customer-service's `/.well-known/jwks.json`.
    Jwks(String),
}

/// Verifies access tokens. Cheap to clone.
#[derive(Clone)]
pub struct Verifier {
    source: KeySource,
    fixed: Option<DecodingKey>,
    keys: Arc<RwLock<HashMap<String, DecodingKey>>>,
    last_fetch: Arc<RwLock<Option<std::time::Instant>>>,
    client: reqwest::Client,
    revocations: Option<Revocations>,
    /// Tokens whose signature has been checked, with their claims, until they expire: the
    /// signature check is the costly part and a token's validity never changes (revocation is
    /// still looked up on every use).
    verified: Arc<std::sync::Mutex<verified::Verified>>,
}

/// How many verified tokens are remembered; beyond, the oldest are forgotten.
const VERIFIED_CAPACITY: usize = 10_000;

impl Verifier {
    /// A verifier over `source`, checking revocations in `revocations` when given; a JWKS host
    /// is trusted by the system's root certificates.
    pub fn new(source: KeySource, revocations: Option<Redis>) -> Result<Self, ApiError> {
        Self::with_trust(source, revocations, &crate::http::Trust::system())
    }

    /// As [`Verifier::new`], fetching the JWKS with `trust`'s CAs (the service's
    /// `EXTRA_CA_CERTS`).
    pub fn with_trust(
        source: KeySource,
        revocations: Option<Redis>,
        trust: &crate::http::Trust,
    ) -> Result<Self, ApiError> {
        let fixed = match &source {
            KeySource::Static(pem) => {
                Some(DecodingKey::from_ed_pem(pem.as_bytes()).map_err(ApiError::internal)?)
            }
            KeySource::Jwks(_) => None,
        };
        let client = crate::http::client_builder(trust)
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(ApiError::internal)?;
        Ok(Self {
            source,
            fixed,
            keys: Arc::new(RwLock::new(HashMap::new())),
            last_fetch: Arc::new(RwLock::new(None)),
            client,
            revocations: revocations.map(Revocations::new),
            verified: Arc::new(std::sync::Mutex::new(verified::Verified::new(
                VERIFIED_CAPACITY,
            ))),
        })
    }

    fn remembered(&self, token: &str) -> Option<Claims> {
        let now = chrono::Utc::now().timestamp();
        self.verified.lock().ok()?.get(token, now)
    }

    fn remember(&self, token: &str, claims: &Claims) {
        if let Ok(mut verified) = self.verified.lock() {
            verified.insert(token, claims);
        }
    }

    /// Checks signature, issuer, expiry and revocation; 401 for a bad token, 503 when the keys
    /// or the revocation list cannot be reached.
    pub async fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let claims = match self.remembered(token) {
            Some(claims) => claims,
            None => {
                let claims = self.check_signature(token).await?;
                self.remember(token, &claims);
                claims
            }
        };
        self.check_revocation(&claims).await?;
        Ok(claims)
    }

    async fn check_signature(&self, token: &str) -> Result<Claims, ApiError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| ApiError::Unauthorized("malformed token".to_owned()))?;
        if header.alg != Algorithm::EdDSA {
            return Err(ApiError::Unauthorized(
                "unsupported token algorithm".to_owned(),
            ));
        }
        let kid = header.kid.unwrap_or_default();
        let cached = match &self.fixed {
            Some(key) => Some(key.clone()),
            None => self.keys.read().await.get(&kid).cloned(),
        };
        let key = match cached {
            Some(key) => key,
            None => self.refresh_for(&kid).await?,
        };
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 5;
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    ApiError::Unauthorized("token expired".to_owned())
                }
                _ => ApiError::Unauthorized("invalid token".to_owned()),
            })?
            .claims;
        Ok(claims)
    }

    async fn check_revocation(&self, claims: &Claims) -> Result<(), ApiError> {
        match &self.revocations {
            Some(revocations) => revocations.check(&claims.jti, &claims.sid).await,
            None => Ok(()),
        }
    }

    /// Resolves once the token of `claims` is revoked, checking every `every` (from the local
    /// list while it is current, so a check costs a lookup): a stream or socket opened with a
    /// token that is later revoked (a logout) selects on it and closes. While Redis cannot be
    /// asked, the token counts as not revoked: an outage must not cut every stream.
    pub async fn until_revoked(&self, claims: &Claims, every: std::time::Duration) {
        loop {
            tokio::time::sleep(every).await;
            if let Err(ApiError::Unauthorized(_)) = self.check_revocation(claims).await {
                return;
            }
        }
    }

    /// Keeps the revocation list current from Redis pub/sub until `cancel` (nothing to do
    /// without Redis). Until it is current, every check asks Redis.
    pub fn watch_revocations(&self, cancel: tokio_util::sync::CancellationToken) {
        if let Some(revocations) = &self.revocations {
            revocations.watch(cancel);
        }
    }

    /// Whether revocations are checked from the local list (subscribed and complete) rather
    /// than by asking Redis.
    pub fn revocations_are_local(&self) -> bool {
        self.revocations
            .as_ref()
            .is_some_and(Revocations::is_complete)
    }

    /// Revokes the token of `claims` until it expires: refused here at once, and by every
    /// other verifier through Redis (the key, and an announcement on the channel).
    pub async fn revoke(&self, claims: &Claims) -> Result<(), ApiError> {
        match &self.revocations {
            Some(revocations) => revocations.revoke(&claims.jti, claims.exp).await,
            None => Err(ApiError::internal("no redis configured")),
        }
    }

    /// Revokes every access token of session `sid` issued so far, until `until` (seconds since
    /// the epoch: when the last of them expires). Like [`Verifier::revoke`], one key and one
    /// announcement, so a check stays one lookup whatever the session holds.
    pub async fn revoke_session(&self, sid: &str, until: i64) -> Result<(), ApiError> {
        match &self.revocations {
            Some(revocations) => revocations.revoke(&session_id(sid), until).await,
            None => Err(ApiError::internal("no redis configured")),
        }
    }

    /// Refuses the token of `claims`, and its session, here from now on, without telling
    /// Redis: for a process that has seen the token's owner sign out (the gateway forwarding a
    /// logout), so that reuse through it does not wait for the announcement.
    pub fn note_revoked(&self, claims: &Claims) {
        if let Some(revocations) = &self.revocations {
            revocations.note(&claims.jti, claims.exp);
            if !claims.sid.is_empty() {
                revocations.note(&session_id(&claims.sid), claims.exp);
            }
        }
    }

    /// Fetches the JWKS again (at most every five seconds) and returns the key `kid`.
    async fn refresh_for(&self, kid: &str) -> Result<DecodingKey, ApiError> {
        let KeySource::Jwks(url) = &self.source else {
            return Err(ApiError::Unauthorized("unknown signing key".to_owned()));
        };
        {
            let mut last = self.last_fetch.write().await;
            if last.is_some_and(|t| t.elapsed() < Duration::from_secs(5)) {
                drop(last);
                return self
                    .keys
                    .read()
                    .await
                    .get(kid)
                    .cloned()
                    .ok_or_else(|| ApiError::Unauthorized("unknown signing key".to_owned()));
            }
            *last = Some(std::time::Instant::now());
        }
        let unavailable = |_| ApiError::UpstreamUnavailable("identity keys".to_owned());
        let set: JwkSet = self
            .client
            .get(url)
            .send()
            .await
            .map_err(unavailable)?
            .error_for_status()
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        let mut keys = self.keys.write().await;
        for jwk in &set.keys {
            if let (Some(id), Ok(key)) = (&jwk.common.key_id, DecodingKey::from_jwk(jwk)) {
                keys.insert(id.clone(), key);
            }
        }
        keys.get(kid)
            .cloned()
            .ok_or_else(|| ApiError::Unauthorized("unknown signing key".to_owned()))
    }
}

/// The authenticated caller; 401 when the request has no valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The customer's id.
    pub id: String,
    /// The customer's role.
    pub role: Role,
    /// The token's claims.
    pub claims: Claims,
}

impl Caller {
    /// Whether the caller is staff.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// 403 unless the caller is an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden("admins only".to_owned()))
        }
    }

    /// Whether the caller may see records of customer `id`: their own, or any for an admin.
    pub fn may_see(&self, id: &str) -> bool {
        self.is_admin() || self.id == id
    }
}

/// The bearer token of a request: the `Authorization` header, or, on event streams and
/// WebSockets only ([`takes_query_token`]), a `token` query parameter.
pub fn bearer_token(parts: &Parts) -> Option<String> {
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let query = parts
        .uri
        .query()
        .filter(|_| takes_query_token(parts.uri.path()));
    bearer_token_in(authorization, query).map(str::to_owned)
}

/// Whether a `token` query parameter may carry the bearer token on `path`: only on event
/// streams (`…/stream`) and WebSockets (`…/ws/…`), where browsers cannot set headers.
/// Anywhere else a token in a URL would end up in logs, browser histories and referrers, so
/// it is not read there.
pub fn takes_query_token(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    path.ends_with("/stream") || path.split('/').any(|segment| segment == "ws")
}

/// [`bearer_token`] from an `Authorization` header value and a query, as borrowed text; the
/// caller passes the query only where [`takes_query_token`] allows it.
pub fn bearer_token_in<'a>(
    authorization: Option<&'a str>,
    query: Option<&'a str>,
) -> Option<&'a str> {
    let from_header = authorization
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    from_header.or_else(|| {
        query.and_then(|q| {
            q.split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, _)| *k == "token")
                .map(|(_, v)| v)
        })
    })
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    Verifier: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts)
            .ok_or_else(|| ApiError::Unauthorized("a bearer token is required".to_owned()))?;
        let claims = Verifier::from_ref(state).verify(&token).await?;
        Ok(Self {
            id: claims.sub.clone(),
            role: claims.role,
            claims,
        })
    }
}

/// An authenticated admin: 401 without a valid token, 403 for any other role. As an extractor
/// it runs before the body is read, so a customer learns nothing about validation rules.
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);

impl<S> FromRequestParts<S> for Admin
where
    S: Send + Sync,
    Verifier: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require_admin()?;
        Ok(Self(caller))
    }
}

/// The caller when the request carries a token; `None` when it carries none. A token that is
/// present but invalid is still a 401.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

impl<S> FromRequestParts<S> for MaybeCaller
where
    S: Send + Sync,
    Verifier: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if bearer_token(parts).is_none() {
            return Ok(Self(None));
        }
        Caller::from_request_parts(parts, state)
            .await
            .map(|c| Self(Some(c)))
    }
}

/// Signs access tokens with an Ed25519 key. Only customer-service is configured with one.
#[derive(Clone)]
pub struct Signer {
    key: jsonwebtoken::EncodingKey,
    kid: String,
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let ours =
            Verifier::new(Signer::generate(Duration::from_secs(60)).key_source(), None).unwrap();
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
}
