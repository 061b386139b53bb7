//! What the fast lane writes: the request head (and body) for the service, and the header
//! and status lines of the answers it writes to the client.

use axum::http::Method;

/// Where a request goes: the path on the service, with the query it came with.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    /// The service URL's path (usually empty).
    pub base_path: &'a str,
    /// The path after `/api`.
    pub path: &'a str,
    /// The query, without its `?`.
    pub query: Option<&'a str>,
}

/// The upstream request head, in one buffer: the request line and `host`, the client's lines
/// and the gateway's: `x-request-id`, the trace context, `x-forwarded-for` (the client appended to any addresses
/// it had), and the caller as `x-user-id` / `x-user-role` when a token was verified.
#[derive(Clone, Copy)]
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
    /// The trace context to pass on: `traceparent` and `tracestate` (the gateway's span's, or
    /// the client's as they came when not tracing).
    pub trace: (Option<&'a [u8]>, Option<&'a [u8]>),
    /// The client's `x-forwarded-for`, if any.
    pub forwarded_for: Option<&'a [u8]>,
    /// The client's address.
    pub client: Option<std::net::IpAddr>,
    /// The verified caller: user id and role.
    pub user: Option<(&'a str, &'a str)>,
    /// The body, sent after the head with its `content-length`, when the method carries one
    /// (`POST`, `PUT`, `PATCH`; none for the others).
    pub body: Option<&'a [u8]>,
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
                + self.trace.0.map_or(0, <[u8]>::len)
                + self.trace.1.map_or(0, <[u8]>::len)
                + self.forwarded_for.map_or(0, <[u8]>::len)
                + self.body.map_or(0, <[u8]>::len),
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
        push_header(&mut out, b"x-request-id", self.request_id);
        if let Some(traceparent) = self.trace.0 {
            push_header(&mut out, b"traceparent", traceparent);
        }
        if let Some(tracestate) = self.trace.1 {
            push_header(&mut out, b"tracestate", tracestate);
        }
        if let Some(ip) = self.client {
            // The client appended to the addresses before it.
            out.extend_from_slice(b"x-forwarded-for: ");
            if let Some(prior) = self.forwarded_for {
                out.extend_from_slice(prior);
                out.extend_from_slice(b", ");
            }
            let _ = write!(out, "{ip}\r\n");
        } else if let Some(prior) = self.forwarded_for {
            push_header(&mut out, b"x-forwarded-for", prior);
        }
        if let Some((id, role)) = self.user {
            push_header(&mut out, b"x-user-id", id.as_bytes());
            push_header(&mut out, b"x-user-role", role.as_bytes());
        }
        if let Some(body) = self.body {
            let _ = write!(out, "content-length: {}\r\n\r\n", body.len());
            out.extend_from_slice(body);
        } else {
            out.extend_from_slice(b"\r\n");
        }
        out
    }
}

/// One `name: value` line.
pub fn push_header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// `HTTP/1.1 <code> <reason>`, the status line of an answer to the client.
pub fn push_status_line(out: &mut Vec<u8>, status: axum::http::StatusCode) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
}
