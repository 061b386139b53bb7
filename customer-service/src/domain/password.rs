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
        shared::api::rules::exact(8, 128)(raw, &()).map_err(|e| e.message().to_owned())?;
        Ok(Self(raw.to_owned()))
    }

    /// The argon2id hash (PHC string), computed on a blocking thread.
    pub async fn hash(self) -> Result<String, ApiError> {
        let _turn = hashing().acquire().await.map_err(ApiError::internal)?;
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
    verify_in(hashing(), attempt, hash).await
}

async fn verify_in(
    hashing: &tokio::sync::Semaphore,
    attempt: String,
    hash: Option<String>,
) -> Result<bool, ApiError> {
    let _turn = hashing.acquire().await.map_err(ApiError::internal)?;
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

/// How many hashes run at once: one per core. Each argon2id computation holds 19 MiB; run
/// unbounded on blocking threads, a burst of sign-ins left customer-service at 350 MiB (glibc
/// keeps a memory arena per thread) and made every one of them slower, not more of them done.
fn hashing() -> &'static tokio::sync::Semaphore {
    static HASHING: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    HASHING.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        tokio::sync::Semaphore::new(cores)
    })
}

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

    #[tokio::test]
    async fn hashing_waits_for_a_free_core() {
        let hashing = tokio::sync::Semaphore::new(2);
        let busy = hashing.acquire_many(2).await.unwrap();
        let check = verify_in(&hashing, "whatever-password".to_owned(), None);
        tokio::pin!(check);
        assert!(futures::poll!(&mut check).is_pending());
        drop(busy);
        // The freed permits go to waiters first: the check was waiting for one.
        assert_eq!(hashing.available_permits(), 1);
        assert!(!check.await.unwrap());
        assert_eq!(hashing.available_permits(), 2);
    }
}
