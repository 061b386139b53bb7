//! The public API as the seed uses it: where the gateway is (`GATEWAY_URL`), one request
//! with our envelope read back, and what each answer means for the seed.

use serde_json::Value;

use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};

use crate::{ctx::Ctx, http};

/// The gateway when `GATEWAY_URL` is not set.
pub const DEFAULT_GATEWAY: &str = "http://127.0.0.1:5000";

/// How long one request may take (a registration hashes a password).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// How long a request is retried while the answer says "not now" (429, 503) or nothing
/// listens yet.
const RETRY_FOR: Duration = Duration::from_secs(120);

/// The longest `Retry-After` we wait for; a longer one fails at once, with its length.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Where the public API is: `http://host[:port][/prefix]`; requests go to `<prefix>/api/...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    /// `http://host:port/prefix`, without a trailing slash (the prefix is usually empty).
    base: String,
}

impl Gateway {
    /// `GATEWAY_URL` (empty counts as unset), else [`DEFAULT_GATEWAY`].
    pub fn from_env() -> Result<Self> {
        let url = std::env::var("GATEWAY_URL")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_GATEWAY.to_owned());
        Self::parse(url.trim()).map_err(|e| anyhow!("GATEWAY_URL: {e}"))
    }

    /// The gateway `cargo xtask up` starts: [`DEFAULT_GATEWAY`], or its port shifted by
    /// `XTASK_PORT_OFFSET`.
    pub fn local() -> Self {
        let base = match crate::services::port_offset() {
            0 => DEFAULT_GATEWAY.to_owned(),
            offset => format!("http://127.0.0.1:{}", 5000 + offset),
        };
        Self { base }
    }

    /// Parses the gateway's base URL. A trailing `/api` is accepted and dropped, so both
    /// `http://127.0.0.1:5000` and `http://127.0.0.1:5000/api` mean the same gateway.
    pub fn parse(url: &str) -> Result<Self, String> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| format!("{url:?} is not a URL (expected http://host:port): {e}"))?;
        if parsed.scheme() != "http" {
            return Err(format!(
                "{url:?}: only http:// is supported (the suite serves plain HTTP), not {}://",
                parsed.scheme()
            ));
        }
        let extra = parsed.query().is_some() || parsed.fragment().is_some();
        if extra || !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(format!("{url:?}: expected http://host[:port][/path] only"));
        }
        let (Some(host), Some(port)) = (parsed.host(), parsed.port_or_known_default()) else {
            return Err(format!("{url:?}: no host"));
        };
        let path = parsed.path().trim_end_matches('/');
        let prefix = path.strip_suffix("/api").unwrap_or(path);
        Ok(Self {
            base: format!("http://{host}:{port}{prefix}"),
        })
    }

    /// The public API's base, for messages: `http://127.0.0.1:5000/api`.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.base)
    }

    /// A request for `path` under `/api` (`/products?limit=1`).
    pub fn request(&self, method: &str, path: &str) -> http::Request {
        http::Request::new(method, &format!("{}{path}", self.api_url()))
    }

    /// Sends `request` once.
    pub fn send_once(&self, request: &http::Request) -> std::io::Result<Reply> {
        request.send(REQUEST_TIMEOUT).map(Reply::from)
    }

    /// Sends `request`, again while the answer is 429 or 503 (nothing was written; we wait
    /// `Retry-After`, or a second, and say so) or the connection is refused (nothing was
    /// sent), for up to [`RETRY_FOR`]. Any other answer, or error, is returned as it is.
    pub fn send(&self, ctx: &Ctx, request: &http::Request) -> Result<Reply> {
        let deadline = Instant::now() + RETRY_FOR;
        loop {
            let (wait, why) = match self.send_once(request) {
                Ok(reply) => match retry_after(&reply) {
                    Some(wait) if wait > MAX_RETRY_AFTER => bail!(
                        "{} (asked to retry after {}s)",
                        reply.describe(),
                        wait.as_secs()
                    ),
                    Some(wait) if Instant::now() + wait < deadline => (wait, reply.describe()),
                    _ => return Ok(reply),
                },
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    if Instant::now() >= deadline {
                        bail!("{}: {e}", self.api_url());
                    }
                    (Duration::from_secs(1), e.to_string())
                }
                Err(e) => bail!("{}: {e}", self.api_url()),
            };
            let what = request.line();
            let seconds = wait.as_secs();
            ctx.progress
                .step("seed", format!("{what}: {why}; again in {seconds}s"));
            std::thread::sleep(wait);
        }
    }
}

/// How long to wait before asking again, when the answer is 429 or 503.
fn retry_after(reply: &Reply) -> Option<Duration> {
    if !matches!(reply.status, 429 | 503) {
        return None;
    }
    let seconds = reply
        .retry_after
        .as_deref()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    Some(Duration::from_secs(seconds.max(1)))
}

/// An answer: status, the body as JSON (`Null` when it is not JSON) and as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// The body, parsed.
    pub json: Value,
    /// The body as text, for messages when it is not our envelope.
    pub text: String,
    /// The `Retry-After` header.
    pub retry_after: Option<String>,
}

impl From<http::Response> for Reply {
    fn from(response: http::Response) -> Self {
        Self {
            status: response.status,
            json: response.json(),
            retry_after: response.retry_after,
            text: response.text,
        }
    }
}

impl Reply {
    /// A reply with this status and body, for tests.
    #[cfg(test)]
    pub fn new(status: u16, body: &str) -> Self {
        Self {
            status,
            json: serde_json::from_str(body).unwrap_or(Value::Null),
            text: body.to_owned(),
            retry_after: None,
        }
    }

    /// The envelope's `error.message`, or else the start of the body.
    pub fn message(&self) -> String {
        if let Some(message) = self.json.pointer("/error/message").and_then(Value::as_str) {
            return message.to_owned();
        }
        let text = self.text.trim();
        match text.char_indices().nth(200) {
            None if text.is_empty() => "(empty body)".to_owned(),
            None => text.to_owned(),
            Some((cut, _)) => format!("{}…", &text[..cut]),
        }
    }

    /// `409: email already registered`.
    pub fn describe(&self) -> String {
        format!("{}: {}", self.status, self.message())
    }
}

/// What `POST /auth/register` meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// 201: the account was created.
    Created,
    /// 409: an account with this email exists (an earlier seed, or someone else).
    Existing,
}

/// 201 created, 409 existing, anything else an error with the status and `error.message`.
pub fn registration(reply: &Reply) -> Result<Registration> {
    match reply.status {
        201 => Ok(Registration::Created),
        409 => Ok(Registration::Existing),
        _ => bail!("{}", reply.describe()),
    }
}

/// 201, or an error with the status and `error.message`.
pub fn created(reply: &Reply) -> Result<()> {
    match reply.status {
        201 => Ok(()),
        _ => bail!("{}", reply.describe()),
    }
}

/// `meta.total` of a 200 list answer.
pub fn total(reply: &Reply) -> Result<u64> {
    if reply.status != 200 {
        bail!("{}", reply.describe());
    }
    reply
        .json
        .pointer("/meta/total")
        .and_then(Value::as_u64)
        .ok_or_else(|| anyhow!("200 without a meta.total count: {}", reply.message()))
}

/// `data.accessToken` of a 200 sign-in answer.
pub fn access_token(reply: &Reply) -> Result<String> {
    if reply.status != 200 {
        bail!("{}", reply.describe());
    }
    reply
        .json
        .pointer("/data/accessToken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("200 without data.accessToken"))
}

#[cfg(test)]
mod tests;
