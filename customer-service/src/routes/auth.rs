//! `/auth/*`: register, sign in, refresh, sign out, and who am I.

use std::net::SocketAddr;

use axum::{
    Json, Router,
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
};
use bson::oid::ObjectId;
use chrono::Utc;
use serde_json::Value;
use shared::{
    ApiError,
    api::auth::{Credentials, Logout, Refresh, Registration},
    auth::{Caller, Role},
    error::ok,
    events::{Envelope, keys},
    extract::{Valid, ValidOrDefault},
};

use crate::{
    burst,
    domain::{Customer, CustomerView, Email, Name, Password, Phone, Problems, password},
    session::{self, Session},
    state::AppState,
    store::{customers, refresh_tokens},
    throttle,
};

/// `/auth/register`, `/auth/login`, `/auth/refresh`, `/auth/logout`, `/auth/me`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
}

#[tracing::instrument(skip_all)]
async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    Valid(body): Valid<Registration>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut problems = Problems::default();
    let name = problems.check("name", Name::parse(&body.name));
    let email = problems.check("email", Email::parse(&body.email));
    let password = problems.check("password", Password::parse(&body.password));
    let phone = body
        .phone
        .as_deref()
        .map(|p| problems.check("phone", Phone::parse(p)));
    let address = body.address.as_ref().map(|a| a.trimmed());
    problems.into_result()?;
    let (Some(name), Some(email), Some(password)) = (name, email, password) else {
        return Err(ApiError::internal("validated fields missing"));
    };

    let now = Utc::now();
    let customer = Customer {
        id: ObjectId::new(),
        name: name.as_str().to_owned(),
        email: email.as_str().to_owned(),
        password_hash: password.hash().await?,
        role: Role::Customer,
        phone: phone.flatten().map(Phone::into_string),
        address,
        created_at: now,
        updated_at: now,
        erased_at: None,
        disabled_at: None,
    };
    let event = Envelope::new(
        keys::CUSTOMER_REGISTERED,
        crate::DEFAULTS.name,
        shared::telemetry::request_id(&headers),
        serde_json::json!({ "customerId": customer.id.to_hex(), "name": customer.name, "email": customer.email, "registeredAt": now }),
    );
    customers::insert(state.infra.db(), &customer, &[event]).await?;
    state.outbox.nudge_collection(customers::COLLECTION);
    tracing::info!(customer.id = %customer.id, "registered");
    let session = session::issue(&state, &customer, None).await?;
    Ok((StatusCode::CREATED, ok(session)))
}

#[tracing::instrument(skip_all)]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Valid(body): Valid<Credentials>,
) -> Result<Json<Value>, ApiError> {
    let redis = state
        .infra
        .redis
        .as_ref()
        .ok_or_else(|| ApiError::internal("no redis configured"))?;
    let limits = state.config.limits;
    let ip = throttle::client_ip(peer, &headers);
    throttle::count_client(redis, limits, ip).await?;
    let refused = || ApiError::Unauthorized("wrong email or password".to_owned());
    let Ok(email) = Email::parse(&body.email) else {
        return Err(refused());
    };
    throttle::check(redis, email.as_str(), ip).await?;
    let customer = customers::by_email(state.infra.db(), email.as_str()).await?;
    let hash = customer.as_ref().map(|c| c.password_hash.clone());
    if !password::verify(body.password, hash).await? {
        if throttle::record_failure(redis, limits, email.as_str(), ip).await?
            == throttle::Burst::Started
        {
            burst::raise(&state, &headers, limits, email.as_str()).await?;
        }
        return Err(refused());
    }
    let Some(customer) = customer else {
        return Err(refused());
    };
    throttle::clear(redis, email.as_str(), ip).await?;
    if customer.disabled_at.is_some() {
        // Said only to whoever knows the password.
        return Err(ApiError::Forbidden(
            "this account is disabled; ask the shop".to_owned(),
        ));
    }
    Ok(ok(session::issue(&state, &customer, None).await?))
}

#[tracing::instrument(skip_all)]
async fn refresh(
    State(state): State<AppState>,
    Valid(body): Valid<Refresh>,
) -> Result<Json<Value>, ApiError> {
    let db = state.infra.db();
    let token = match refresh_tokens::exchange(db, &session::digest(&body.refresh_token)).await? {
        refresh_tokens::Exchange::Fresh(token) => token,
        refresh_tokens::Exchange::Reused { family } => {
            // Someone holds a copy: end the session, access tokens included.
            session::end(&state, &family).await?;
            tracing::warn!(%family, "refresh token reused; session ended");
            return Err(ApiError::Unauthorized(
                "refresh token already used; sign in again".to_owned(),
            ));
        }
        refresh_tokens::Exchange::Invalid => {
            return Err(ApiError::Unauthorized(
                "invalid or expired refresh token".to_owned(),
            ));
        }
    };
    let customer = customers::by_id(db, token.customer_id)
        .await?
        .filter(|c| c.erased_at.is_none())
        .ok_or_else(|| ApiError::Unauthorized("account no longer exists".to_owned()))?;
    if customer.disabled_at.is_some() {
        return Err(ApiError::Unauthorized(
            "this account is disabled".to_owned(),
        ));
    }
    let session: Session = session::issue(&state, &customer, Some(token.family)).await?;
    Ok(ok(session))
}

/// Ends the caller's session: the access token, every other access token of its session and
/// the session's refresh tokens; and, when a refresh token is given, that token's session too.
/// Body optional.
#[tracing::instrument(skip_all)]
async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    ValidOrDefault(body): ValidOrDefault<Logout>,
) -> Result<StatusCode, ApiError> {
    // Refused here at once, and by every other verifier through Redis (key and channel).
    // The token itself too: one signed before sessions were named has no `sid`.
    state.infra.verifier.revoke(&caller.claims).await?;
    if !caller.claims.sid.is_empty() {
        session::end(&state, &caller.claims.sid).await?;
    }
    if let Some(token) = body.refresh_token {
        let db = state.infra.db();
        if let Some(stored) = refresh_tokens::by_hash(db, &session::digest(&token)).await?
            && stored.customer_id.to_hex() == caller.id
            && stored.family != caller.claims.sid
        {
            session::end(&state, &stored.family).await?;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all)]
async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let id = ObjectId::parse_str(&caller.id)
        .map_err(|_| ApiError::Unauthorized("invalid subject".to_owned()))?;
    let customer = customers::by_id(state.infra.db(), id)
        .await?
        .filter(|c| c.erased_at.is_none())
        .ok_or_else(|| ApiError::Unauthorized("account no longer exists".to_owned()))?;
    Ok(ok(CustomerView::from(&customer)))
}
