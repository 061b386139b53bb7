//! The admin account: ensured at start from `ADMIN_EMAIL` / `ADMIN_PASSWORD` (the environment
//! is the source of truth for its password), retrying until the database answers. It is the
//! super admin (`Role::SuperAdmin`): the one account that manages the staff.

use bson::oid::ObjectId;
use chrono::Utc;
use secrecy::ExposeSecret;
use shared::{ApiError, auth::Role, health::Readiness};
use tokio_util::sync::CancellationToken;

use crate::{
    config::Config,
    domain::{Customer, Password, password},
    store::{self, customers},
};

/// Creates the indexes and the admin account, retrying with backoff until both are done, and
/// then marks `done`: until then `/health` says `pending` and the staff list answers 503, since
/// a list taken before the owner's account exists would leave the owner out (the weekly report
/// issued as the suite starts on a Monday reached no one that way).
pub fn ensure(
    db: mongodb::Database,
    config: std::sync::Arc<Config>,
    done: Readiness,
    cancel: CancellationToken,
) {
    tokio::spawn(async move {
        let ensured = shared::retry::STARTUP
            .until_ok(
                &cancel,
                || ensure_once(&db, &config),
                |e, wait| {
                    tracing::warn!(error = %e, ?wait, "cannot prepare the customers database yet");
                },
            )
            .await;
        if ensured.is_some() {
            done.set_ready();
        }
    });
}

async fn ensure_once(db: &mongodb::Database, config: &Config) -> Result<(), ApiError> {
    store::ensure_indexes(db).await?;
    let secret = config.admin_password.expose_secret().to_owned();
    match customers::by_email(db, &config.admin_email).await? {
        Some(existing) => {
            if !password::verify(secret.clone(), Some(existing.password_hash)).await? {
                let hash = Password::parse(&secret)
                    .map_err(|p| ApiError::internal(format!("ADMIN_PASSWORD {p}")))?
                    .hash()
                    .await?;
                customers::set_password_hash(db, &config.admin_email, &hash).await?;
                tracing::info!(email = %config.admin_email, "admin password updated from ADMIN_PASSWORD");
            }
            // The owner's account is the super admin, and is never left disabled.
            customers::make_owner(db, &config.admin_email).await
        }
        None => {
            let hash = Password::parse(&secret)
                .map_err(|p| ApiError::internal(format!("ADMIN_PASSWORD {p}")))?
                .hash()
                .await?;
            let now = Utc::now();
            let admin = Customer {
                id: ObjectId::new(),
                name: "Shop Admin".to_owned(),
                email: config.admin_email.clone(),
                password_hash: hash,
                role: Role::SuperAdmin,
                phone: None,
                address: None,
                created_at: now,
                updated_at: now,
                erased_at: None,
                disabled_at: None,
            };
            match customers::insert(db, &admin, &[]).await {
                Ok(()) | Err(ApiError::Conflict(_)) => {
                    tracing::info!(email = %config.admin_email, "admin account ready");
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
    }
}
