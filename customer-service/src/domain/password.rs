//! Passwords: length rules, and argon2id hashing off the async runtime.

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use shared::ApiError;

/// A password that satisfies the rules: 8 to 128 characters. Never logged.
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    /// Checks the rules.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.chars().count() {
            0..=7 => Err("must be at least 8 characters".to_owned()),
            8..=128 => Ok(Self(raw.to_owned())),
            _ => Err("must be at most 128 characters".to_owned()),
        }
    }

    /// The argon2id hash (PHC string), computed on a blocking thread.
    pub async fn hash(self) -> Result<String, ApiError> {
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(self.0.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| ApiError::internal(e.to_string()))
        })
        .await
        .map_err(ApiError::internal)?
    }
}

/// Whether `attempt` matches the PHC `hash`, computed on a blocking thread. With no hash (an
/// unknown account) a dummy hash is checked, so both cases take the same time.
pub async fn verify(attempt: String, hash: Option<String>) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        let stored = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&stored).map_err(|e| ApiError::internal(e.to_string()))?;
        let matches = Argon2::default()
            .verify_password(attempt.as_bytes(), &parsed)
            .is_ok();
        Ok(matches && stored != DUMMY_HASH)
    })
    .await
    .map_err(ApiError::internal)?
}

/// The argon2id hash of a random string nobody knows, for timing-equal failures.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0TUrbYw0G8w+dGb3SFW1sUZu/kVOTIPFzUzU3wTC/L8";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hash = Password::parse("correct horse")
            .unwrap()
            .hash()
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse".into(), Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(!verify("anything".into(), None).await.unwrap());
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("secret-enough").unwrap()),
            "Password(***)"
        );
    }
}
