//! An upstream answer on the wire: its head parsed (framing found, hop-by-hop headers left
//! out, the rest kept as it came) and the end of a chunked body found while the body is passed
//! on untouched.

use axum::http::{HeaderName, Method};
use bytes::{Buf, BytesMut};

use super::{MAX_HEAD, MAX_HEADERS};

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

/// `Content-Length` or `Transfer-Encoding`.
fn framing(name: &str) -> bool {
    name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("transfer-encoding")
}

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
    let framed = Framed::of(parsed.headers)?;
    let framing = if *method == Method::HEAD
        || status == axum::http::StatusCode::NO_CONTENT
        || status == axum::http::StatusCode::NOT_MODIFIED
    {
        Framing::Empty
    } else {
        match (framed.chunked, framed.length) {
            (Some(true), _) => Framing::Chunked,
            (Some(false), _) | (None, None) => Framing::Close,
            (None, Some(n)) => Framing::Length(n),
        }
    };
    let close = parsed.version == Some(0) || framed.close || framing == Framing::Close;
    let kept = Kept::of(parsed.headers, framed.chunked.is_some(), watch, len);
    let (lines, seen, event_stream) = (kept.lines, kept.seen, kept.event_stream);
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

/// What an answer's headers say of its framing.
struct Framed {
    /// `Content-Length`, when one came (several must agree).
    length: Option<u64>,
    /// `Transfer-Encoding` came: `true` when its last coding is `chunked`.
    chunked: Option<bool>,
    /// `Connection: close`.
    close: bool,
}

impl Framed {
    fn of(headers: &[httparse::Header<'_>]) -> Result<Self, &'static str> {
        let mut framed = Framed {
            length: None,
            chunked: None,
            close: false,
        };
        for h in headers {
            let value = std::str::from_utf8(h.value).unwrap_or_default();
            if h.name.eq_ignore_ascii_case("connection") {
                framed.close |= value
                    .split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("close"));
            } else if h.name.eq_ignore_ascii_case("content-length") {
                let n = value
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| "bad content-length")?;
                if framed.length.is_some_and(|l| l != n) {
                    return Err("conflicting content-length");
                }
                framed.length = Some(n);
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                framed.chunked = Some(
                    value
                        .rsplit(',')
                        .next()
                        .is_some_and(|t| t.trim().eq_ignore_ascii_case("chunked")),
                );
            }
        }
        Ok(framed)
    }
}

/// An answer's header lines as they are passed on, and what was seen among them.
struct Kept {
    lines: Vec<u8>,
    /// Bit `i` is set when a header named `watch[i]` came.
    seen: u64,
    event_stream: bool,
}

impl Kept {
    /// Leaves out the hop-by-hop headers, those the `Connection` header names (but not the
    /// framing ones: the body is passed on as it came), and a `Content-Length` beside a
    /// `Transfer-Encoding` (`encoded`).
    fn of(
        headers: &[httparse::Header<'_>],
        encoded: bool,
        watch: &[HeaderName],
        capacity: usize,
    ) -> Self {
        let named = super::connection_tokens(headers);
        let mut kept = Kept {
            lines: Vec::with_capacity(capacity),
            seen: 0,
            event_stream: false,
        };
        for h in headers {
            if hop_by_hop(h.name)
                || (encoded && h.name.eq_ignore_ascii_case("content-length"))
                || named.iter().any(|token| token.eq_ignore_ascii_case(h.name)) && !framing(h.name)
            {
                continue;
            }
            for (i, name) in watch.iter().enumerate().take(64) {
                if h.name.eq_ignore_ascii_case(name.as_str()) {
                    kept.seen |= 1 << i;
                }
            }
            if h.name.eq_ignore_ascii_case("content-type") {
                kept.event_stream |=
                    h.value.len() >= 17 && h.value[..17].eq_ignore_ascii_case(b"text/event-stream");
            }
            super::push_header(&mut kept.lines, h.name.as_bytes(), h.value);
        }
        kept
    }
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
