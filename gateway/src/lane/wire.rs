//! The fast lane's wire format: a request head parsed with httparse into `http` types (or
//! declined, for hyper to serve), heads written for the upstream and for the client, and the
//! end of a chunked body found while the body is passed on untouched.

use std::ops::Range;

use axum::http::{HeaderMap, HeaderName, Method};
use bytes::{Buf, BytesMut};

/// Most headers a head may have in the fast lane (more: hyper serves it).
const MAX_HEADERS: usize = 64;
/// Longest request head the fast lane waits for (longer: hyper serves or refuses it).
pub const MAX_HEAD: usize = 16 * 1024;

/// A request head the fast lane takes: where its parts lie in the buffer it was parsed from
/// (so that the buffer can be split and read on while the head is in use).
pub struct Head {
    /// `GET`, `HEAD` or `DELETE`.
    pub method: Method,
    /// The raw path (`/api/...`).
    pub path: Range<usize>,
    /// The query, without its `?`.
    pub query: Option<Range<usize>>,
    /// `Authorization`, when it is visible ASCII.
    pub authorization: Option<Range<usize>>,
    /// The value of the configured trusted proxy header, when it is visible ASCII.
    pub proxy_header: Option<Range<usize>>,
    /// `x-request-id` as it came.
    pub request_id: Option<Range<usize>>,
    /// `x-forwarded-for` as it came.
    pub forwarded_for: Option<Range<usize>>,
    /// The other header lines to pass on (`name: value\r\n` each): not the hop-by-hop ones,
    /// `host`, `content-length`, nor any `x-user-*` (only the gateway sets those).
    pub lines: Vec<u8>,
    /// The client asked to close the connection after this answer.
    pub close: bool,
    /// The head's length.
    pub len: usize,
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
/// not a WebSocket, health or document route, HTTP/1.1, `GET`, `HEAD` or `DELETE`, no body,
/// no `Origin` (CORS answers go through tower-http), no `Expect` or `Upgrade`. `proxy_header`:
/// the trusted proxy header's name, if one is configured.
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
    let method = match method {
        "GET" => Method::GET,
        "HEAD" => Method::HEAD,
        "DELETE" => Method::DELETE,
        _ => return Parsed::Declined,
    };
    if !proxied(target) || !target.bytes().all(uri_char) {
        return Parsed::Declined;
    }
    let at = |part: &[u8]| {
        let start = part.as_ptr() as usize - buf.as_ptr() as usize;
        start..start + part.len()
    };
    let whole = at(target.as_bytes());
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
        proxy_header: None,
        request_id: None,
        forwarded_for: None,
        lines: Vec::with_capacity(len),
        close: false,
        len,
    };
    let mut hosts = 0;
    for h in parsed.headers.iter() {
        let name = h.name;
        let special = Special::of(name);
        match special {
            Some(Special::Decline) => return Parsed::Declined,
            Some(Special::ContentLength) if h.value != b"0" => return Parsed::Declined,
            Some(Special::Connection) => {
                let tokens = std::str::from_utf8(h.value).unwrap_or_default();
                for token in tokens.split(',').map(str::trim) {
                    if token.eq_ignore_ascii_case("close") {
                        head.close = true;
                    } else if token.eq_ignore_ascii_case("upgrade") {
                        return Parsed::Declined;
                    }
                }
            }
            Some(Special::Host) => hosts += 1,
            Some(Special::Authorization) => {
                head.authorization = visible(h.value).then(|| at(h.value));
            }
            Some(Special::RequestId) => head.request_id = Some(at(h.value)),
            Some(Special::ForwardedFor) => head.forwarded_for = Some(at(h.value)),
            _ => {}
        }
        if proxy_header.is_some_and(|p| name.eq_ignore_ascii_case(p.as_str())) {
            head.proxy_header = visible(h.value).then(|| at(h.value));
        }
        if special.is_some_and(|s| s != Special::Authorization) {
            continue;
        }
        head.lines.extend_from_slice(name.as_bytes());
        head.lines.extend_from_slice(b": ");
        head.lines.extend_from_slice(h.value);
        head.lines.extend_from_slice(b"\r\n");
    }
    if hosts > 1 {
        return Parsed::Declined;
    }
    Parsed::Complete(head)
}

/// A request header the fast lane looks at or does not pass on: all others go through as
/// they came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Special {
    /// `transfer-encoding`, `upgrade`, `expect`, `origin`: hyper serves the request.
    Decline,
    ContentLength,
    Connection,
    Host,
    Authorization,
    RequestId,
    ForwardedFor,
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
            ],
            11 => &[("x-user-role", Self::Dropped)],
            12 => &[("x-request-id", Self::RequestId)],
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

/// Where a request goes: the path on the service, with the query it came with.
pub struct Target<'a> {
    /// The service URL's path (usually empty).
    pub base_path: &'a str,
    /// The path after `/api`.
    pub path: &'a str,
    /// The query, without its `?`.
    pub query: Option<&'a str>,
}

/// The upstream request head, in one buffer: the request line and `host`, the client's lines
/// and the gateway's: `x-request-id`, `x-forwarded-for` (the client appended to any addresses
/// it had), and the caller as `x-user-id` / `x-user-role` when a token was verified.
pub struct RequestHead<'a> {
    /// The client's method.
    pub method: &'a Method,
    /// Where on the service.
    pub target: Target<'a>,
    /// The service's `host:port`.
    pub authority: &'a str,
    /// The client's header lines to pass on.
    pub lines: &'a [u8],
    /// The request id (the client's, or one made for it).
    pub request_id: &'a [u8],
    /// The client's `x-forwarded-for`, if any.
    pub forwarded_for: Option<&'a [u8]>,
    /// The client's address.
    pub client: Option<std::net::IpAddr>,
    /// The verified caller: user id and role.
    pub user: Option<(&'a str, &'a str)>,
}

impl RequestHead<'_> {
    /// The bytes to send.
    pub fn write(&self) -> Vec<u8> {
        use std::io::Write;
        let target = &self.target;
        let mut out = Vec::with_capacity(
            192 + target.base_path.len()
                + target.path.len()
                + target.query.map_or(0, str::len)
                + self.authority.len()
                + self.lines.len()
                + self.request_id.len()
                + self.forwarded_for.map_or(0, <[u8]>::len),
        );
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(target.base_path.as_bytes());
        out.extend_from_slice(target.path.as_bytes());
        if let Some(query) = target.query {
            out.push(b'?');
            out.extend_from_slice(query.as_bytes());
        }
        out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
        out.extend_from_slice(self.authority.as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.lines);
        out.extend_from_slice(b"x-request-id: ");
        out.extend_from_slice(self.request_id);
        out.extend_from_slice(b"\r\n");
        match (self.forwarded_for, self.client) {
            (Some(prior), Some(ip)) => {
                out.extend_from_slice(b"x-forwarded-for: ");
                out.extend_from_slice(prior);
                let _ = write!(out, ", {ip}\r\n");
            }
            (None, Some(ip)) => {
                let _ = write!(out, "x-forwarded-for: {ip}\r\n");
            }
            (Some(prior), None) => {
                out.extend_from_slice(b"x-forwarded-for: ");
                out.extend_from_slice(prior);
                out.extend_from_slice(b"\r\n");
            }
            (None, None) => {}
        }
        if let Some((id, role)) = self.user {
            out.extend_from_slice(b"x-user-id: ");
            out.extend_from_slice(id.as_bytes());
            out.extend_from_slice(b"\r\nx-user-role: ");
            out.extend_from_slice(role.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

/// `name: value` lines.
pub fn write_headers(out: &mut Vec<u8>, headers: &HeaderMap) {
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// How the end of a response body is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body (a `HEAD` answer, 204, 304).
    Empty,
    /// `Content-Length`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the upstream closes the connection.
    Close,
}

/// A parsed upstream response head.
pub struct ResponseHead {
    /// Its status.
    pub status: axum::http::StatusCode,
    /// Its header lines as they came (`name: value\r\n` each), less the hop-by-hop ones;
    /// the framing ones are kept, as the body is passed on as it is.
    pub lines: Vec<u8>,
    /// Bit `i` is set when the head has a header named `watch[i]`.
    pub seen: u64,
    /// Its `Content-Type` is `text/event-stream`.
    pub event_stream: bool,
    /// Where its body ends.
    pub framing: Framing,
    /// The upstream will close the connection after this answer.
    pub close: bool,
}

/// Headers that concern one connection only, and are not passed on (RFC 9110, 7.6.1). Unlike
/// the router lane's list (`routes::proxy`), `transfer-encoding` is not among them: this lane
/// passes a body on as it came, framing and all.
const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "upgrade",
];

fn hop_by_hop(name: &str) -> bool {
    HOP_BY_HOP.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Parses the response head at the start of `buf` (consuming it): `Ok(None)` until it is
/// whole, `Err` when it is malformed. Up to 64 header names in `watch` are looked for.
pub fn parse_response(
    buf: &mut BytesMut,
    method: &Method,
    watch: &[HeaderName],
) -> Result<Option<ResponseHead>, &'static str> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut headers);
    let len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => return Err("head too long"),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err("malformed response head"),
    };
    let code = parsed.code.ok_or("no status")?;
    let status = axum::http::StatusCode::from_u16(code).map_err(|_| "bad status")?;
    if status.is_informational() {
        return Err("informational answer");
    }
    let mut close = parsed.version == Some(0);
    let mut length = None;
    let mut coding = None;
    for h in parsed.headers.iter() {
        let value = std::str::from_utf8(h.value).unwrap_or_default();
        if h.name.eq_ignore_ascii_case("connection") {
            close |= value
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("close"));
        } else if h.name.eq_ignore_ascii_case("content-length") {
            let n = value
                .trim()
                .parse::<u64>()
                .map_err(|_| "bad content-length")?;
            if length.is_some_and(|l| l != n) {
                return Err("conflicting content-length");
            }
            length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            coding = Some(
                value
                    .rsplit(',')
                    .next()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("chunked")),
            );
        }
    }
    let framing = if *method == Method::HEAD
        || status == axum::http::StatusCode::NO_CONTENT
        || status == axum::http::StatusCode::NOT_MODIFIED
    {
        Framing::Empty
    } else {
        match (coding, length) {
            (Some(true), _) => Framing::Chunked,
            (Some(false), _) | (None, None) => Framing::Close,
            (None, Some(n)) => Framing::Length(n),
        }
    };
    close |= framing == Framing::Close;
    let mut lines = Vec::with_capacity(len);
    let mut seen = 0u64;
    let mut event_stream = false;
    for h in parsed.headers.iter() {
        if hop_by_hop(h.name) || (coding.is_some() && h.name.eq_ignore_ascii_case("content-length"))
        {
            continue;
        }
        for (i, name) in watch.iter().enumerate().take(64) {
            if h.name.eq_ignore_ascii_case(name.as_str()) {
                seen |= 1 << i;
            }
        }
        if h.name.eq_ignore_ascii_case("content-type") {
            event_stream |=
                h.value.len() >= 17 && h.value[..17].eq_ignore_ascii_case(b"text/event-stream");
        }
        lines.extend_from_slice(h.name.as_bytes());
        lines.extend_from_slice(b": ");
        lines.extend_from_slice(h.value);
        lines.extend_from_slice(b"\r\n");
    }
    buf.advance(len);
    Ok(Some(ResponseHead {
        status,
        lines,
        seen,
        event_stream,
        framing,
        close,
    }))
}

/// Follows a chunked body passed on byte for byte, to find where it ends.
#[derive(Debug, Default)]
pub struct Chunked {
    state: ChunkState,
    size: u64,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    #[default]
    Size,
    Extension,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    TrailerStart,
    TrailerLine,
    TrailerLf,
    EndLf,
    Done,
}

impl Chunked {
    /// Reads `bytes`, the next part of the body: `Ok(Some(n))` when the body ends after the
    /// first `n` of them, `Ok(None)` when it goes on, `Err` when they are not chunked coding.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<usize>, &'static str> {
        use ChunkState as S;
        let mut at = 0;
        while at < bytes.len() {
            if self.state == S::Data {
                let take = usize::try_from(self.size)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len() - at);
                at += take;
                self.size -= take as u64;
                if self.size == 0 {
                    self.state = S::DataCr;
                }
                continue;
            }
            let b = bytes[at];
            at += 1;
            self.state = match (self.state, b) {
                (S::Size, b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F') => {
                    let digit = u64::from(char::from(b).to_digit(16).unwrap_or(0));
                    self.size = self
                        .size
                        .checked_mul(16)
                        .and_then(|s| s.checked_add(digit))
                        .ok_or("chunk size overflows")?;
                    S::Size
                }
                (S::Size, b';' | b' ' | b'\t') | (S::Extension, b';' | b' ' | b'\t') => {
                    S::Extension
                }
                (S::Size | S::Extension, b'\r') => S::SizeLf,
                (S::Extension, _) => S::Extension,
                (S::SizeLf, b'\n') if self.size == 0 => S::TrailerStart,
                (S::SizeLf, b'\n') => S::Data,
                (S::DataCr, b'\r') => S::DataLf,
                (S::DataLf, b'\n') => S::Size,
                (S::TrailerStart, b'\r') => S::EndLf,
                (S::TrailerStart | S::TrailerLine, b) if b != b'\r' => S::TrailerLine,
                (S::TrailerLine, b'\r') => S::TrailerLf,
                (S::TrailerLf, b'\n') => S::TrailerStart,
                (S::EndLf, b'\n') => {
                    self.state = S::Done;
                    return Ok(Some(at));
                }
                _ => return Err("malformed chunked body"),
            };
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> std::net::SocketAddr {
        "127.0.0.1:5000".parse().unwrap()
    }

    fn parse(text: &str) -> Parsed {
        parse_request(text.as_bytes(), None)
    }

    #[test]
    fn a_plain_get_is_taken_with_what_the_door_and_the_service_need() {
        let text = "GET /api/products/1?x=2 HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\
                    Authorization: Bearer t\r\nX-User-Id: forged\r\nX-Request-Id: r1\r\n\
                    Keep-Alive: 5\r\nX-Forwarded-For: 10.0.0.1\r\n\r\nGET";
        let Parsed::Complete(head) = parse(text) else {
            panic!("not taken")
        };
        let part =
            |range: &Option<Range<usize>>| range.as_ref().map(|r| super::text(text.as_bytes(), r));
        assert!(!head.close);
        assert_eq!(super::text(text.as_bytes(), &head.path), "/api/products/1");
        assert_eq!(part(&head.query), Some("x=2"));
        assert_eq!(part(&head.authorization), Some("Bearer t"));
        assert_eq!(part(&head.request_id), Some("r1"));
        assert_eq!(part(&head.forwarded_for), Some("10.0.0.1"));
        assert_eq!(
            String::from_utf8_lossy(&head.lines),
            "X-A: b\r\nAuthorization: Bearer t\r\n"
        );
        assert_eq!(head.len, text.len() - 3);
    }

    #[test]
    fn the_trusted_proxy_header_is_read_only_when_configured() {
        let text = "GET /api/p HTTP/1.1\r\nX-Real-Ip: 10.1.1.1\r\n\r\n";
        let name = HeaderName::from_static("x-real-ip");
        let Parsed::Complete(head) = parse_request(text.as_bytes(), Some(&name)) else {
            panic!("not taken")
        };
        let value = head.proxy_header.map(|r| super::text(text.as_bytes(), &r));
        assert_eq!(value, Some("10.1.1.1"));
        let Parsed::Complete(head) = parse(text) else {
            panic!("not taken")
        };
        assert_eq!(head.proxy_header, None);
    }

    #[test]
    fn what_the_fast_lane_does_not_serve_is_declined() {
        for text in [
            "POST /api/orders HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}",
            "GET /api/products HTTP/1.0\r\n\r\n",
            "GET /api/health HTTP/1.1\r\n\r\n",
            "GET /api/ws/orders/1 HTTP/1.1\r\n\r\n",
            "GET /api/docs HTTP/1.1\r\n\r\n",
            "GET /health HTTP/1.1\r\n\r\n",
            "GET /api/products HTTP/1.1\r\norigin: http://shop\r\n\r\n",
            "GET /api/products HTTP/1.1\r\nconnection: upgrade\r\n\r\n",
            "DELETE /api/x HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n",
            "GET /api/products HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n",
            "GET http://x/api/products HTTP/1.1\r\n\r\n",
            "GET /api/products HTTP/1.1\r\nbad header\r\n\r\n",
            "GET /api/products/{x} HTTP/1.1\r\n\r\n",
            "GET /api/products?q=\"x\" HTTP/1.1\r\n\r\n",
        ] {
            assert!(matches!(parse(text), Parsed::Declined), "{text}");
        }
    }

    #[test]
    fn special_headers_are_found_whatever_their_case_and_only_they() {
        for (name, special) in [
            ("Transfer-Encoding", Special::Decline),
            ("ORIGIN", Special::Decline),
            ("Expect", Special::Decline),
            ("upgrade", Special::Decline),
            ("Content-Length", Special::ContentLength),
            ("Connection", Special::Connection),
            ("Host", Special::Host),
            ("Authorization", Special::Authorization),
            ("X-Request-Id", Special::RequestId),
            ("X-Forwarded-For", Special::ForwardedFor),
            ("X-User-Id", Special::Dropped),
            ("x-user-role", Special::Dropped),
            ("Keep-Alive", Special::Dropped),
            ("TE", Special::Dropped),
            ("Trailer", Special::Dropped),
            ("Proxy-Authorization", Special::Dropped),
            ("Proxy-Authenticate", Special::Dropped),
        ] {
            assert_eq!(Special::of(name), Some(special), "{name}");
        }
        for name in ["accept", "x-user", "cookie", "x-request-ie", "user-agent"] {
            assert_eq!(Special::of(name), None, "{name}");
        }
    }

    #[test]
    fn a_partial_head_waits_and_connection_close_is_noticed() {
        assert!(matches!(
            parse("GET /api/products HTTP/1.1\r\nho"),
            Parsed::Partial
        ));
        let parsed = parse("GET /api/p HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n");
        assert!(matches!(parsed, Parsed::Complete(Head { close: true, .. })));
    }

    #[test]
    fn the_upstream_head_has_the_target_host_lines_and_the_gateways_headers() {
        let mut head = RequestHead {
            method: &Method::GET,
            target: Target {
                base_path: "/base",
                path: "/products/1",
                query: Some("q=2"),
            },
            authority: "svc:80",
            lines: b"x-a: 1\r\n",
            request_id: b"r1",
            forwarded_for: Some(b"10.0.0.1"),
            client: Some(peer().ip()),
            user: Some(("u1", "admin")),
        };
        assert_eq!(
            String::from_utf8(head.write()).unwrap(),
            "GET /base/products/1?q=2 HTTP/1.1\r\nhost: svc:80\r\nx-a: 1\r\nx-request-id: r1\r\n\
             x-forwarded-for: 10.0.0.1, 127.0.0.1\r\nx-user-id: u1\r\nx-user-role: admin\r\n\r\n"
        );
        head.forwarded_for = None;
        head.user = None;
        assert!(
            String::from_utf8(head.write())
                .unwrap()
                .ends_with("\r\nx-request-id: r1\r\nx-forwarded-for: 127.0.0.1\r\n\r\n")
        );
    }

    #[test]
    fn a_response_head_keeps_its_framing_and_drops_hop_by_hop_headers() {
        let mut buf = BytesMut::from(
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\nKeep-Alive: x\r\nX-A: 1\r\n\r\nhello",
        );
        let watch = [
            HeaderName::from_static("x-b"),
            HeaderName::from_static("x-a"),
        ];
        let head = parse_response(&mut buf, &Method::GET, &watch)
            .unwrap()
            .unwrap();
        assert_eq!(head.framing, Framing::Length(5));
        assert!(!head.close);
        assert_eq!(head.seen, 0b10);
        assert!(!head.event_stream);
        assert_eq!(&head.lines[..], b"Content-Length: 5\r\nX-A: 1\r\n");
        assert_eq!(&buf[..], b"hello");
    }

    #[test]
    fn response_framings_follow_rfc_9112() {
        let framing = |text: &str, method: &Method| {
            let mut buf = BytesMut::from(text);
            let head = parse_response(&mut buf, method, &[]).unwrap().unwrap();
            (head.framing, head.close)
        };
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n";
        assert_eq!(framing(chunked, &Method::GET), (Framing::Chunked, false));
        assert_eq!(framing(chunked, &Method::HEAD), (Framing::Empty, false));
        let none = "HTTP/1.1 200 OK\r\n\r\n";
        assert_eq!(framing(none, &Method::GET), (Framing::Close, true));
        let empty = "HTTP/1.1 204 No Content\r\n\r\n";
        assert_eq!(framing(empty, &Method::DELETE), (Framing::Empty, false));
        let closing = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        assert_eq!(framing(closing, &Method::GET), (Framing::Length(0), true));
        let mut bad =
            BytesMut::from("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
        assert!(parse_response(&mut bad, &Method::GET, &[]).is_err());
        let mut stream = BytesMut::from(
            "HTTP/1.1 200 OK\r\ncontent-type: Text/Event-Stream; charset=utf-8\r\ntransfer-encoding: chunked\r\n\r\n",
        );
        let head = parse_response(&mut stream, &Method::GET, &[])
            .unwrap()
            .unwrap();
        assert!(head.event_stream);
    }

    #[test]
    fn a_chunked_body_ends_after_its_last_chunk_and_trailers_however_it_is_split() {
        let body = b"5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nNEXT";
        let end = body.len() - 4;
        for split in 0..body.len() {
            let mut chunked = Chunked::default();
            let first = chunked.feed(&body[..split]).unwrap();
            let found = match first {
                Some(n) => n,
                None => split + chunked.feed(&body[split..]).unwrap().expect("ends"),
            };
            assert_eq!(found, end, "split at {split}");
        }
    }

    #[test]
    fn a_body_that_is_not_chunked_coding_is_an_error() {
        assert!(Chunked::default().feed(b"zz\r\n").is_err());
        assert!(Chunked::default().feed(b"1\r\nab").is_err());
        assert!(Chunked::default().feed(b"fffffffffffffffff\r\n").is_err());
    }
}
