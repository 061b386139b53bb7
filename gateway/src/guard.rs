//! The door every `/api` request passes before it is proxied: who is calling (token checked
//! with customer-service's public key), how often (rate limits), whether they may (role
//! rules), and whether the request is well-formed (validation). Only then are the caller's id
//! and role forwarded as `x-user-id` / `x-user-role` — any such header from outside is removed.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, Request},
    http::{HeaderMap, HeaderName, HeaderValue, Method},
    response::{IntoResponse, Response},
};
use shared::{
    ApiError,
    auth::{Claims, Role, bearer_token},
};

use crate::{
    access::Access,
    api,
    ratelimit::{RouteClass, Verdict},
    state::AppState,
    validate,
};

const USER_ID: HeaderName = HeaderName::from_static("x-user-id");
const USER_ROLE: HeaderName = HeaderName::from_static("x-user-role");

/// Admits `request` and hands it to `next` (the proxy or the WebSocket relay), or refuses it.
/// A plain function rather than a middleware layer: no boxed future and no state clone of its
/// own per request.
pub async fn guard<F, Fut>(state: AppState, request: Request, next: F) -> Response
where
    F: FnOnce(AppState, Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let class = RouteClass::of(request.method(), request.uri().path());
    let logout = is_logout(&request);
    let label = crate::telemetry::RouteLabel(api::label(request.method(), request.uri().path()));
    let mut response = match admit(&state, class, request).await {
        Ok((request, verdict, claims)) => {
            let mut response = next(state.clone(), request).await;
            if logout
                && response.status().is_success()
                && let Some(claims) = &claims
            {
                // customer-service has revoked it in Redis; refuse it here from now on
                // rather than when its announcement arrives.
                state.infra.verifier.note_revoked(claims);
            }
            rate_headers(response.headers_mut(), verdict);
            response
        }
        Err(refusal) => refused(class, refusal),
    };
    response.extensions_mut().insert(label);
    response
}

/// What refuses a request: the error, and the rate limit's verdict when it was consulted.
pub(crate) type Refusal = (ApiError, Option<Verdict>);

/// The answer to a refused request (counted when it was rate limited).
pub(crate) fn refused(class: RouteClass, (error, verdict): Refusal) -> Response {
    if matches!(error, ApiError::RateLimited { .. }) {
        metrics::counter!("gateway_rate_limited_total", "class" => class.as_str()).increment(1);
    }
    let mut response = error.into_response();
    if let Some(verdict) = verdict {
        rate_headers(response.headers_mut(), verdict);
    }
    response
}

fn is_logout(request: &Request) -> bool {
    request.method() == axum::http::Method::POST
        && request.uri().path().trim_end_matches('/') == "/api/auth/logout"
}

/// What the door needs to know of a request, borrowed from wherever it was parsed.
pub(crate) struct Knock<'a> {
    /// Which quota it counts against.
    pub class: RouteClass,
    /// Its method.
    pub method: &'a Method,
    /// The raw path (`/api/...`).
    pub path: &'a str,
    /// The raw query.
    pub query: Option<&'a str>,
    /// The bearer token, if one came.
    pub token: Option<&'a str>,
    /// More than one `Authorization` header came: refused, because the gateway and the
    /// service behind it could each read another one (a revoked token first, a valid one
    /// last passed the fast lane, which read the last, while the service read the first).
    pub authorization_twice: bool,
    /// The configured trusted proxy header's value, if it came.
    pub proxy_header: Option<&'a str>,
    /// The TCP peer.
    pub peer: Option<SocketAddr>,
}

/// Who a request is from and the rate limit's verdict, once the door let it through.
pub(crate) struct Admitted {
    /// The rate limit's verdict (its headers go on the answer).
    pub verdict: Verdict,
    /// The verified caller, if a token came.
    pub claims: Option<Claims>,
    /// The route's entry in the API table, if it has one.
    pub route: Option<&'static crate::api::RouteSpec>,
}

/// The door (identity, rate limit, role rule, validation of path and query), for either lane.
pub(crate) async fn check(state: &AppState, knock: Knock<'_>) -> Result<Admitted, Refusal> {
    let class = knock.class;
    let ip_key = || {
        format!(
            "ip:{}",
            client_address(state, knock.proxy_header, knock.peer)
        )
    };
    if knock.authorization_twice {
        // Counted against the address, as a bad token is.
        let verdict = state.limits.check(class, ip_key()).await;
        let error = ApiError::field("authorization", "more than one Authorization header");
        return Err((
            if verdict.allowed {
                error
            } else {
                limited(verdict)
            },
            Some(verdict),
        ));
    }
    let claims: Option<Claims> = match knock.token {
        None => None,
        Some(token) => match state.infra.verifier.verify(token).await {
            Ok(claims) => Some(claims),
            Err(e) => {
                // A bad token still counts against the address it came from.
                let verdict = state.limits.check(class, ip_key()).await;
                return Err((
                    if verdict.allowed { e } else { limited(verdict) },
                    Some(verdict),
                ));
            }
        },
    };
    let key = match &claims {
        Some(c) => format!("user:{}", c.sub),
        None => ip_key(),
    };
    let verdict = state.limits.check(class, key).await;
    if !verdict.allowed {
        return Err((limited(verdict), Some(verdict)));
    }
    let refuse = |e: ApiError| (e, Some(verdict));
    // The route is looked up once and serves both the role rule and validation.
    let found = api::find(knock.method, knock.path);
    let access = found
        .as_ref()
        .map_or(Access::Public, |(route, _)| route.access);
    match (access, &claims) {
        (Access::Authenticated | Access::Admin | Access::SuperAdmin, None) => {
            return Err(refuse(ApiError::Unauthorized(
                "a bearer token is required".to_owned(),
            )));
        }
        (Access::Admin, Some(c)) if !c.role.is_staff() => {
            return Err(refuse(ApiError::Forbidden("admins only".to_owned())));
        }
        (Access::SuperAdmin, Some(c)) if c.role != Role::SuperAdmin => {
            return Err(refuse(ApiError::Forbidden(
                "the super admin only".to_owned(),
            )));
        }
        _ => {}
    }
    let route = validate::check_target(found, knock.path, knock.query).map_err(refuse)?;
    Ok(Admitted {
        verdict,
        claims,
        route,
    })
}

/// Checks `request` at the door and returns it ready to forward: the caller's `x-user-*`
/// headers set, any such header from outside removed, its body validated.
async fn admit(
    state: &AppState,
    class: RouteClass,
    request: Request,
) -> Result<(Request, Verdict, Option<Claims>), Refusal> {
    let (mut parts, body) = request.into_parts();
    let token = bearer_token(&parts);
    let proxy_header = state
        .trusted_proxy_header
        .as_ref()
        .and_then(|name| parts.headers.get(name))
        .and_then(|v| v.to_str().ok());
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let knock = Knock {
        class,
        method: &parts.method,
        path: parts.uri.path(),
        query: parts.uri.query(),
        token: token.as_deref(),
        authorization_twice: parts
            .headers
            .get_all(axum::http::header::AUTHORIZATION)
            .iter()
            .nth(1)
            .is_some(),
        proxy_header,
        peer,
    };
    let Admitted {
        verdict,
        claims,
        route,
    } = check(state, knock).await?;
    let refuse = |e: ApiError| (e, Some(verdict));
    parts.headers.remove(USER_ID);
    parts.headers.remove(USER_ROLE);
    if let Some(c) = &claims
        && let Ok(id) = HeaderValue::from_str(&c.sub)
    {
        parts.headers.insert(USER_ID, id);
        parts
            .headers
            .insert(USER_ROLE, HeaderValue::from_static(c.role.as_str()));
    }
    let request = validate::check_body(
        Request::from_parts(parts, body),
        state.max_body_bytes,
        route,
    )
    .await
    .map_err(refuse)?;
    Ok((request, verdict, claims))
}

fn limited(verdict: Verdict) -> ApiError {
    ApiError::RateLimited {
        retry_after_secs: verdict.retry_after_secs,
    }
}

/// The client's address: the configured trusted proxy header's last entry, or the peer.
fn client_address(
    state: &AppState,
    proxy_header: Option<&str>,
    peer: Option<SocketAddr>,
) -> String {
    let from_header = state.trusted_proxy_header.as_ref().and_then(|_| {
        proxy_header
            .and_then(|v| v.rsplit(',').next())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    });
    from_header.unwrap_or_else(|| peer.map_or_else(|| "unknown".to_owned(), |p| p.ip().to_string()))
}

/// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (IETF draft names).
fn rate_headers(headers: &mut HeaderMap, verdict: Verdict) {
    const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
    const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
    const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
    headers.insert(LIMIT, HeaderValue::from(verdict.limit));
    headers.insert(REMAINING, HeaderValue::from(verdict.remaining));
    headers.insert(RESET, HeaderValue::from(verdict.retry_after_secs));
}
