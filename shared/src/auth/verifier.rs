//! [`Verifier`]: access tokens checked against customer-service's public key (static PEM or
//! JWKS, refreshed on an unknown key id), remembered once verified, refused once revoked.

use std::{collections::HashMap, sync::Arc, time::Duration};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use tokio::sync::RwLock;

use crate::{error::ApiError, store::Redis};

use super::{
    Claims, ISSUER,
    revocations::{Revocations, session_id},
    verified,
};

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

    pub(super) fn remembered(&self, token: &str) -> Option<Claims> {
        let now = chrono::Utc::now().timestamp();
        self.verified.lock().ok()?.get(token, now)
    }

    pub(super) fn remember(&self, token: &str, claims: &Claims) {
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
        // Held until the keys are stored: a request that needs the same new key meanwhile
        // waits for this fetch. (Released before it, such a request found the fetch "recent"
        // and the key not there yet, and was refused with a 401: the first two requests after
        // a service started, seen by the browser tests of issue 16.)
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
        drop(last);
        keys.get(kid)
            .cloned()
            .ok_or_else(|| ApiError::Unauthorized("unknown signing key".to_owned()))
    }
}
