//! What the fast lane writes to the client: a service's answer with its head edited as the
//! router lane would, or a whole answer made here (a refusal, an error), with the headers of
//! both lanes.

use axum::{
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::Response,
};
use shared::telemetry::REQUEST_ID;
use tokio::{io::AsyncWriteExt, net::TcpStream};

use super::{Lane, wire};
use crate::ratelimit::Verdict;

impl Lane {
    /// Writes a whole answer made here (a refusal, an error).
    pub(super) async fn answer(
        &self,
        client: &mut TcpStream,
        response: Response,
        method: &Method,
        id: &HeaderValue,
        close: bool,
    ) -> (StatusCode, bool) {
        let (mut parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        self.finish(&mut parts.headers, id);
        parts
            .headers
            .insert(header::CONTENT_LENGTH, body.len().into());
        if !parts.headers.contains_key(header::DATE) {
            let now = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT");
            if let Ok(date) = HeaderValue::try_from(now.to_string()) {
                parts.headers.insert(header::DATE, date);
            }
        }
        if close {
            parts
                .headers
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        let mut out = response_head(parts.status, &parts.headers);
        if *method != Method::HEAD {
            out.extend_from_slice(&body);
        }
        let written = client.write_all(&out).await.is_ok();
        (parts.status, written)
    }

    /// The head of a service's answer as the client gets it: the service's lines, then the
    /// rate limit's headers, the request id and the router layers' headers (each unless the
    /// service set its own; `Vary` is added to).
    pub(super) fn passed_on_head(
        &self,
        head: &wire::ResponseHead,
        id: &HeaderValue,
        verdict: Verdict,
        close: bool,
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(head.lines.len() + 512);
        wire::push_status_line(&mut out, head.status);
        out.extend_from_slice(&head.lines);
        for (name, n) in [
            (&b"ratelimit-limit: "[..], u64::from(verdict.limit)),
            (b"ratelimit-remaining: ", u64::from(verdict.remaining)),
            (b"ratelimit-reset: ", verdict.retry_after_secs),
        ] {
            out.extend_from_slice(name);
            push_decimal(&mut out, n);
            out.extend_from_slice(b"\r\n");
        }
        let extra = std::iter::once((&self.watch[0], id))
            .chain(self.added.iter().map(|(name, value)| (name, value)));
        for (i, (name, value)) in extra.enumerate() {
            if *name == header::VARY || head.seen & (1 << i) == 0 {
                wire::push_header(&mut out, name.as_str().as_bytes(), value.as_bytes());
            }
        }
        if close {
            out.extend_from_slice(b"connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    /// Adds the request id (unless the service set one) and the router layers' headers.
    fn finish(&self, headers: &mut HeaderMap, id: &HeaderValue) {
        if !headers.contains_key(REQUEST_ID) {
            headers.insert(REQUEST_ID, id.clone());
        }
        for (name, value) in &self.added {
            if *name == header::VARY {
                headers.append(name.clone(), value.clone());
            } else if !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
    }
}

/// `n` in decimal.
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// `HTTP/1.1 <status>`, the headers and the blank line.
fn response_head(status: StatusCode, headers: &HeaderMap) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    wire::push_status_line(&mut out, status);
    for (name, value) in headers {
        wire::push_header(&mut out, name.as_str().as_bytes(), value.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn decimals_are_written_as_itoa_would() {
        for n in [0, 7, 10, 999_999_999, u64::MAX] {
            let mut out = Vec::new();
            super::push_decimal(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }
}
