//! The fast lane's wire format: a request head parsed with httparse (or declined, for hyper to
//! serve); the head written for the service in `write`, the service's answer in `answer`.

use std::ops::Range;

use axum::http::{HeaderName, Method};

/// Most headers a head may have in the fast lane (more: hyper serves it).
const MAX_HEADERS: usize = 64;
/// Longest request head the fast lane waits for (longer: hyper serves or refuses it).
pub const MAX_HEAD: usize = 16 * 1024;
/// Longest body the fast lane takes (longer: hyper serves or refuses it). Its buffer holds a
/// whole request at most, so a head and a body of these sizes bound what one connection
/// holds.
pub const MAX_BODY: usize = 64 * 1024;

/// A request head the fast lane takes: where its parts lie in the buffer it was parsed from
/// (so that the buffer can be split and read on while the head is in use).
pub struct Head {
    /// `GET`, `HEAD`, `DELETE`, or `POST`, `PUT`, `PATCH` with a JSON body (or none).
    pub method: Method,
    /// The raw path (`/api/...`).
    pub path: Range<usize>,
    /// The query, without its `?`.
    pub query: Option<Range<usize>>,
    /// `Authorization`, when it is visible ASCII.
    pub authorization: Option<Range<usize>>,
    /// More than one `Authorization` header came (the door refuses the request).
    pub authorization_twice: bool,
    /// The value of the configured trusted proxy header, when it is visible ASCII.
    pub proxy_header: Option<Range<usize>>,
    /// `x-request-id` as it came.
    pub request_id: Option<Range<usize>>,
    /// `x-forwarded-for` as it came.
    pub forwarded_for: Option<Range<usize>>,
    /// `traceparent` as it came (the last one, if several).
    pub traceparent: Option<Range<usize>>,
    /// `tracestate` as it came (the last one, if several).
    pub tracestate: Option<Range<usize>>,
    /// The other header lines to pass on (`name: value\r\n` each): not the hop-by-hop ones,
    /// `host`, `content-length`, the trace context (written apart), nor any `x-user-*` (only
    /// the gateway sets those).
    pub lines: Vec<u8>,
    /// The client asked to close the connection after this answer.
    pub close: bool,
    /// The head's length.
    pub len: usize,
    /// The body's length (`content-length`; 0 without one), after the head.
    pub body: usize,
    /// `content-type` as it came (also among `lines`).
    pub content_type: Option<Range<usize>>,
}

/// `frame[range]` as text (the parser checked it is ASCII).
pub fn text<'a>(frame: &'a [u8], range: &Range<usize>) -> &'a str {
    frame
        .get(range.clone())
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .unwrap_or_default()
}

/// What the bytes read so far hold. (Made once per request and matched at once: boxing the
/// head would cost an allocation for nothing.)
#[allow(clippy::large_enum_variant)]
pub enum Parsed {
    /// Not a whole head yet.
    Partial,
    /// A request the fast lane serves.
    Complete(Head),
    /// Anything else (a body, an upgrade, CORS, HTTP/1.0, a malformed head...): hyper serves
    /// the connection from here on, starting with these very bytes.
    Declined,
}

/// Parses the request head at the start of `buf`.
///
/// The fast lane takes what the proxy route would: an origin-form `/api/...` target that is
/// not a WebSocket, health or document route, HTTP/1.1, no `Origin` (CORS answers go through
/// tower-http), no `Expect`, `Upgrade` or `Transfer-Encoding`; `GET`, `HEAD` or `DELETE`
/// without a body, or `POST`, `PUT` or `PATCH` whose body, if any, is JSON (by content type)
/// of one plain `content-length` up to [`MAX_BODY`] (logging out is hyper's: the gateway
/// notes the revocation on its answer). Two lengths, or one that is not plain digits, are
/// hyper's to refuse. `proxy_header`: the trusted proxy header's name, if one is configured.
pub fn parse_request(buf: &[u8], proxy_header: Option<&HeaderName>) -> Parsed {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut slots);
    let len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(_) => return Parsed::Declined,
    };
    let (Some(method), Some(target), Some(1)) = (parsed.method, parsed.path, parsed.version) else {
        return Parsed::Declined;
    };
    let Some(method) = lane_method(method) else {
        return Parsed::Declined;
    };
    let with_body = crate::validate::carries_body(&method);
    if !proxied(target) || !target.bytes().all(uri_char) || with_body && logout(target) {
        return Parsed::Declined;
    }
    let whole = span(buf, target.as_bytes());
    let (path, query) = match target.find('?') {
        Some(q) => (
            whole.start..whole.start + q,
            Some(whole.start + q + 1..whole.end),
        ),
        None => (whole, None),
    };
    let mut head = Head {
        method,
        path,
        query,
        authorization: None,
        authorization_twice: false,
        proxy_header: None,
        request_id: None,
        forwarded_for: None,
        traceparent: None,
        tracestate: None,
        lines: Vec::with_capacity(len),
        close: false,
        len,
        body: 0,
        content_type: None,
    };
    if take_headers(&mut head, parsed.headers, buf, proxy_header).is_none() {
        return Parsed::Declined;
    }
    let json = || {
        head.content_type
            .as_ref()
            .and_then(|r| std::str::from_utf8(&buf[r.clone()]).ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    };
    if head.body > 0 && !json() {
        return Parsed::Declined;
    }
    Parsed::Complete(head)
}

/// Where `part`, a slice of `buf`, lies in it.
fn span(buf: &[u8], part: &[u8]) -> Range<usize> {
    let start = part.as_ptr() as usize - buf.as_ptr() as usize;
    start..start + part.len()
}

/// Notes in `head` what its headers say, and keeps the lines to pass on; `None` when one of
/// them sends the request to hyper (a declined header, a body length the lane does not take,
/// two `Host` or two `Content-Length` headers, an upgrade).
fn take_headers(
    head: &mut Head,
    headers: &[httparse::Header<'_>],
    buf: &[u8],
    proxy_header: Option<&HeaderName>,
) -> Option<()> {
    let with_body = crate::validate::carries_body(&head.method);
    let at = |part: &[u8]| span(buf, part);
    let mut hosts = 0;
    let mut lengths = 0;
    let mut authorizations = 0;
    // Every header the `Connection` header names is hop-by-hop too (RFC 9110, 7.6.1).
    let named = connection_tokens(headers);
    for h in headers {
        let name = h.name;
        let special = Special::of(name);
        match special {
            Some(Special::Decline) => return None,
            Some(Special::ContentLength) => {
                lengths += 1;
                match plain_length(h.value) {
                    Some(0) => {}
                    Some(n) if with_body && n <= MAX_BODY => head.body = n,
                    _ => return None,
                }
            }
            Some(Special::ContentType) => head.content_type = Some(at(h.value)),
            Some(Special::Connection) => {
                let tokens = std::str::from_utf8(h.value).unwrap_or_default();
                for token in tokens.split(',').map(str::trim) {
                    if token.eq_ignore_ascii_case("close") {
                        head.close = true;
                    } else if token.eq_ignore_ascii_case("upgrade") {
                        return None;
                    }
                }
            }
            Some(Special::Host) => hosts += 1,
            Some(Special::Authorization) => {
                head.authorization_twice = authorizations > 0;
                authorizations += 1;
                head.authorization = visible(h.value).then(|| at(h.value));
            }
            Some(Special::RequestId) => head.request_id = Some(at(h.value)),
            Some(Special::ForwardedFor) => head.forwarded_for = Some(at(h.value)),
            Some(Special::TraceParent) => head.traceparent = visible(h.value).then(|| at(h.value)),
            Some(Special::TraceState) => head.tracestate = visible(h.value).then(|| at(h.value)),
            _ => {}
        }
        if proxy_header.is_some_and(|p| name.eq_ignore_ascii_case(p.as_str())) {
            head.proxy_header = visible(h.value).then(|| at(h.value));
        }
        if special.is_some_and(|s| s != Special::Authorization && s != Special::ContentType)
            || named.iter().any(|token| token.eq_ignore_ascii_case(name))
        {
            continue;
        }
        push_header(&mut head.lines, name.as_bytes(), h.value);
    }
    (hosts <= 1 && lengths <= 1).then_some(())
}

/// The methods the fast lane serves.
fn lane_method(method: &str) -> Option<Method> {
    match method {
        "GET" => Some(Method::GET),
        "HEAD" => Some(Method::HEAD),
        "DELETE" => Some(Method::DELETE),
        "POST" => Some(Method::POST),
        "PUT" => Some(Method::PUT),
        "PATCH" => Some(Method::PATCH),
        _ => None,
    }
}

/// A `content-length` of plain digits (RFC 9110, 8.6), not too long to be a number; `None`
/// for anything else (a sign, spaces inside, a list).
fn plain_length(value: &[u8]) -> Option<usize> {
    if value.is_empty() || value.len() > 9 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}

/// Whether `target` logs out (the gateway notes the revoked token on the answer).
fn logout(target: &str) -> bool {
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    path.trim_end_matches('/') == "/api/auth/logout"
}

/// The tokens of every `Connection` header: the headers they name are hop-by-hop too.
fn connection_tokens<'h>(headers: &[httparse::Header<'h>]) -> Vec<&'h str> {
    headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("connection"))
        .flat_map(|h| std::str::from_utf8(h.value).unwrap_or_default().split(','))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .collect()
}

/// A request header the fast lane looks at or does not pass on: all others go through as
/// they came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Special {
    /// `transfer-encoding`, `upgrade`, `expect`, `origin`: hyper serves the request.
    Decline,
    ContentLength,
    /// Passed on as it came; read for the body's check.
    ContentType,
    Connection,
    Host,
    Authorization,
    RequestId,
    ForwardedFor,
    TraceParent,
    TraceState,
    /// Hop-by-hop, or set by the gateway only (`x-user-*`): dropped.
    Dropped,
}

impl Special {
    /// What `name` is, looked up by length first (one or two comparisons per header).
    fn of(name: &str) -> Option<Self> {
        let candidates: &[(&str, Self)] = match name.len() {
            2 => &[("te", Self::Dropped)],
            4 => &[("host", Self::Host)],
            6 => &[("expect", Self::Decline), ("origin", Self::Decline)],
            7 => &[("upgrade", Self::Decline), ("trailer", Self::Dropped)],
            9 => &[("x-user-id", Self::Dropped)],
            10 => &[
                ("connection", Self::Connection),
                ("keep-alive", Self::Dropped),
                ("tracestate", Self::TraceState),
            ],
            11 => &[
                ("x-user-role", Self::Dropped),
                ("traceparent", Self::TraceParent),
            ],
            12 => &[
                ("x-request-id", Self::RequestId),
                ("content-type", Self::ContentType),
            ],
            13 => &[("authorization", Self::Authorization)],
            14 => &[("content-length", Self::ContentLength)],
            15 => &[("x-forwarded-for", Self::ForwardedFor)],
            17 => &[("transfer-encoding", Self::Decline)],
            18 => &[("proxy-authenticate", Self::Dropped)],
            19 => &[("proxy-authorization", Self::Dropped)],
            _ => &[],
        };
        candidates
            .iter()
            .find(|(known, _)| name.eq_ignore_ascii_case(known))
            .map(|(_, special)| *special)
    }
}

/// Whether `value` is what `HeaderValue::from_bytes` accepts (no control characters but tab),
/// checked without making one.
pub fn valid_value(value: &[u8]) -> bool {
    value.iter().all(|b| (*b >= 32 && *b != 127) || *b == b'\t')
}

/// Whether `value` is what `HeaderValue::to_str` accepts as text.
fn visible(value: &[u8]) -> bool {
    value.iter().all(|b| *b == b'\t' || (32..127).contains(b))
}

/// A character a path or query may hold as it is (RFC 3986: unreserved, sub-delims, `:`,
/// `@`, `/`, `?`, and `%` of an escape). Anything else goes to hyper, which decides.
fn uri_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b)
}

/// Whether the router would send `target` to the proxy (`/api/{*rest}`) rather than to one
/// of the routes beside it.
fn proxied(target: &str) -> bool {
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    let Some(rest) = path.strip_prefix("/api/") else {
        return false;
    };
    !(rest.is_empty()
        || rest.starts_with("ws/")
        || matches!(rest, "health" | "openapi.json" | "docs"))
}

mod answer;
mod write;

pub use answer::{Chunked, Framing, ResponseHead, parse_response};
pub use write::{RequestHead, Target, push_header, push_status_line};

#[cfg(test)]
mod tests;
