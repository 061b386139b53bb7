//! The fast lane's wire format: a request head parsed with httparse into `http` types (or
//! declined, for hyper to serve), heads written for the upstream and for the client, and the
//! end of a chunked body found while the body is passed on untouched.

use axum::{
    body::Body,
    extract::{ConnectInfo, Request},
    http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, Version, header},
};
use bytes::{Buf, BytesMut};

/// Most headers a head may have in the fast lane (more: hyper serves it).
const MAX_HEADERS: usize = 64;
/// Longest request head the fast lane waits for (longer: hyper serves or refuses it).
pub const MAX_HEAD: usize = 16 * 1024;

/// What the bytes read so far hold. (Made once per request and matched at once: boxing the
/// request would cost an allocation for nothing.)
#[allow(clippy::large_enum_variant)]
pub enum Parsed {
    /// Not a whole head yet.
    Partial,
    /// A request the fast lane serves (its head consumed from the buffer), and whether the
    /// client asked to close the connection after it.
    Complete(Request, bool),
    /// Anything else (a body, an upgrade, CORS, HTTP/1.0, a malformed head...): hyper serves
    /// the connection from here on, starting with these very bytes.
    Declined,
}

/// Parses the request head at the start of `buf`, consuming it if the fast lane takes it.
///
/// The fast lane takes what the proxy route would: an origin-form `/api/...` target that is
/// not a WebSocket, health or document route, HTTP/1.1, `GET`, `HEAD` or `DELETE`, no body,
/// no `Origin` (CORS answers go through tower-http), no `Expect` or `Upgrade`.
pub fn parse_request(buf: &mut BytesMut, peer: std::net::SocketAddr) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
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
    if !proxied(target) {
        return Parsed::Declined;
    }
    let Ok(uri) = Uri::try_from(target) else {
        return Parsed::Declined;
    };
    let mut map = HeaderMap::with_capacity(parsed.headers.len());
    let mut close = false;
    let mut seen_host = false;
    for h in parsed.headers.iter() {
        let Ok(name) = HeaderName::from_bytes(h.name.as_bytes()) else {
            return Parsed::Declined;
        };
        let Ok(value) = HeaderValue::from_bytes(h.value) else {
            return Parsed::Declined;
        };
        if name == header::TRANSFER_ENCODING
            || name == header::UPGRADE
            || name == header::EXPECT
            || name == header::ORIGIN
            || (name == header::HOST && std::mem::replace(&mut seen_host, true))
            || (name == header::CONTENT_LENGTH && value.as_bytes() != b"0")
        {
            return Parsed::Declined;
        }
        if name == header::CONNECTION {
            let tokens = value.to_str().unwrap_or_default();
            for token in tokens.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    close = true;
                } else if token.eq_ignore_ascii_case("upgrade") {
                    return Parsed::Declined;
                }
            }
        }
        // What concerns this connection only is not kept (`proxy::strip`, done here).
        if hop_by_hop(name.as_str()) || name == header::HOST || name == header::CONTENT_LENGTH {
            continue;
        }
        map.append(name, value);
    }
    buf.advance(len);
    let mut request = Request::new(Body::empty());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.version_mut() = Version::HTTP_11;
    *request.headers_mut() = map;
    request.extensions_mut().insert(ConnectInfo(peer));
    Parsed::Complete(request, close)
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

/// `method target HTTP/1.1`, `host`, `headers`, then `x-forwarded-for` with `client`
/// appended to any addresses it had: a request head for the upstream, written in one go.
pub fn request_head(
    method: &Method,
    target: &Target<'_>,
    authority: &str,
    headers: &HeaderMap,
    client: Option<std::net::IpAddr>,
) -> Vec<u8> {
    use std::io::Write;
    const FORWARDED_FOR: &str = "x-forwarded-for";
    let lines: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    let mut out = Vec::with_capacity(
        128 + target.base_path.len()
            + target.path.len()
            + target.query.map_or(0, str::len)
            + authority.len()
            + lines,
    );
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.base_path.as_bytes());
    out.extend_from_slice(target.path.as_bytes());
    if let Some(query) = target.query {
        out.push(b'?');
        out.extend_from_slice(query.as_bytes());
    }
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(authority.as_bytes());
    out.extend_from_slice(b"\r\n");
    let mut prior = None;
    for (name, value) in headers {
        if name.as_str() == FORWARDED_FOR {
            prior = Some(value);
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    match (prior, client) {
        (Some(prior), Some(ip)) => {
            out.extend_from_slice(b"x-forwarded-for: ");
            out.extend_from_slice(prior.as_bytes());
            let _ = write!(out, ", {ip}\r\n");
        }
        (None, Some(ip)) => {
            let _ = write!(out, "x-forwarded-for: {ip}\r\n");
        }
        (Some(prior), None) => {
            out.extend_from_slice(b"x-forwarded-for: ");
            out.extend_from_slice(prior.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        (None, None) => {}
    }
    out.extend_from_slice(b"\r\n");
    out
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

/// Headers that concern one connection only, and are not passed on (RFC 9110, 7.6.1).
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

    fn parse(text: &str) -> (Parsed, BytesMut) {
        let mut buf = BytesMut::from(text);
        (parse_request(&mut buf, peer()), buf)
    }

    #[test]
    fn a_plain_get_is_taken_and_its_head_consumed() {
        let (parsed, rest) =
            parse("GET /api/products/1?x=2 HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\r\nGET");
        let Parsed::Complete(request, close) = parsed else {
            panic!("not taken")
        };
        assert!(!close);
        assert_eq!(request.uri(), "/api/products/1?x=2");
        assert_eq!(request.headers()["x-a"], "b");
        assert_eq!(&rest[..], b"GET");
    }

    #[test]
    fn what_the_fast_lane_does_not_serve_is_declined_and_left_in_the_buffer() {
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
        ] {
            let (parsed, rest) = parse(text);
            assert!(matches!(parsed, Parsed::Declined), "{text}");
            assert_eq!(&rest[..], text.as_bytes(), "{text}");
        }
    }

    #[test]
    fn a_partial_head_waits_and_connection_close_is_noticed() {
        assert!(matches!(
            parse("GET /api/products HTTP/1.1\r\nho").0,
            Parsed::Partial
        ));
        let (parsed, _) = parse("GET /api/p HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n");
        assert!(matches!(parsed, Parsed::Complete(_, true)));
    }

    #[test]
    fn the_upstream_head_has_the_target_host_headers_and_the_client_appended_to_x_forwarded_for() {
        let mut headers = HeaderMap::new();
        headers.insert("x-a", HeaderValue::from_static("1"));
        headers.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
        let target = Target {
            base_path: "/base",
            path: "/products/1",
            query: Some("q=2"),
        };
        let ip = Some(peer().ip());
        let head = request_head(&Method::GET, &target, "svc:80", &headers, ip);
        assert_eq!(
            String::from_utf8(head).unwrap(),
            "GET /base/products/1?q=2 HTTP/1.1\r\nhost: svc:80\r\nx-a: 1\r\n\
             x-forwarded-for: 10.0.0.1, 127.0.0.1\r\n\r\n"
        );
        let head = request_head(&Method::HEAD, &target, "svc:80", &HeaderMap::new(), ip);
        assert!(
            String::from_utf8(head)
                .unwrap()
                .ends_with("\r\nx-forwarded-for: 127.0.0.1\r\n\r\n")
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
