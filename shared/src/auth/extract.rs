//! The extractors of a request's caller ([`Caller`], [`Admin`], [`MaybeCaller`]) and where its
//! bearer token may come from.

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{header, request::Parts},
};

use crate::error::ApiError;

use super::{Claims, Role, Verifier};

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
    /// Whether the caller is staff (an admin or the super admin).
    pub fn is_admin(&self) -> bool {
        self.role.is_staff()
    }

    /// Whether the caller is the super admin.
    pub fn is_super_admin(&self) -> bool {
        self.role == Role::SuperAdmin
    }

    /// 403 unless the caller is the super admin.
    pub fn require_super_admin(&self) -> Result<(), ApiError> {
        if self.is_super_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden("the super admin only".to_owned()))
        }
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
        super::actor::note(super::actor::Actor {
            id: claims.sub.clone(),
            role: claims.role,
        });
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
