//! The alarm for a burst of failed sign-ins against one account (from any number of
//! addresses): a WARN, the `customer_login_bursts_total` metric and, when the account exists,
//! `auth.login_burst` through that account's outbox, so it is published even if the broker is
//! away right now. Admins learn of it from the event; the account itself is not locked, as
//! that would let anyone lock anyone out.

use axum::http::HeaderMap;
use shared::{
    ApiError,
    events::{Envelope, keys},
};

use crate::{config::LoginLimits, state::AppState, store::customers};

/// Raises the alarm for `email`, whose failures from anywhere reached `limits.burst_alert`.
pub async fn raise(
    state: &AppState,
    headers: &HeaderMap,
    limits: LoginLimits,
    email: &str,
) -> Result<(), ApiError> {
    metrics::counter!("customer_login_bursts_total").increment(1);
    let event = Envelope::new(
        keys::LOGIN_BURST,
        crate::DEFAULTS.name,
        shared::telemetry::request_id(headers),
        serde_json::json!({
            "email": email,
            "failures": limits.burst_alert,
            "windowSecs": limits.lock.as_secs(),
            "detectedAt": chrono::Utc::now(),
        }),
    );
    let known = customers::stage_events(state.infra.db(), email, &[event]).await?;
    tracing::warn!(
        failures = limits.burst_alert,
        window_secs = limits.lock.as_secs(),
        account_exists = known,
        "burst of failed sign-ins against one account"
    );
    if known {
        state.outbox.nudge();
    }
    Ok(())
}
