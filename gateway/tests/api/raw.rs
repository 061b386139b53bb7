//! A raw HTTP/1.1 client over one TCP connection, for tests that must see the gateway's
//! answers byte for byte: keep-alive, pipelining, heads and bodies written apart, closes.

use std::time::Duration;

use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

pub const ID: &str = "65a1b2c3d4e5f60718293a4b";
pub const LIMIT: Duration = Duration::from_secs(15);

/// One answer as read off the connection.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A client that reads answers one after another from one connection.
pub struct Raw {
    pub stream: TcpStream,
    pub buf: Vec<u8>,
}

impl Raw {
    pub async fn connect(base_url: &str) -> Self {
        let addr = base_url.trim_start_matches("http://").trim_end_matches('/');
        Self {
            stream: TcpStream::connect(addr).await.expect("connect"),
            buf: Vec::new(),
        }
    }

    pub async fn send(&mut self, text: &str) {
        self.send_bytes(text.as_bytes()).await;
    }

    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    pub async fn fill(&mut self) {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(LIMIT, self.stream.read(&mut chunk))
            .await
            .expect("an answer in time")
            .expect("read");
        assert!(n > 0, "the connection closed early");
        self.buf.extend_from_slice(&chunk[..n]);
    }

    /// The next answer; `head_only` for the answer to a `HEAD`.
    pub async fn answer(&mut self, head_only: bool) -> Answer {
        let (status, headers, len) = loop {
            let mut slots = [httparse::EMPTY_HEADER; 64];
            let mut parsed = httparse::Response::new(&mut slots);
            if let httparse::Status::Complete(len) = parsed.parse(&self.buf).expect("a head") {
                let headers = parsed
                    .headers
                    .iter()
                    .map(|h| {
                        let value = String::from_utf8_lossy(h.value).into_owned();
                        (h.name.to_ascii_lowercase(), value)
                    })
                    .collect::<Vec<_>>();
                break (parsed.code.unwrap_or_default(), headers, len);
            }
            self.fill().await;
        };
        self.buf.drain(..len);
        let mut answer = Answer {
            status,
            headers,
            body: Vec::new(),
        };
        if head_only {
            return answer;
        }
        if let Some(length) = answer.header("content-length") {
            let length: usize = length.parse().expect("a length");
            while self.buf.len() < length {
                self.fill().await;
            }
            answer.body = self.buf.drain(..length).collect();
        } else if answer.header("transfer-encoding") == Some("chunked") {
            // Enough for these tests: the body ends at the first empty chunk.
            loop {
                if let Some(end) = find(&self.buf, b"\r\n0\r\n\r\n") {
                    answer.body = self.buf.drain(..end + 7).collect();
                    break;
                }
                self.fill().await;
            }
        }
        answer
    }

    /// Whether the gateway closed the connection (within the limit).
    pub async fn closed(&mut self) -> bool {
        let mut chunk = [0u8; 64];
        matches!(
            tokio::time::timeout(LIMIT, self.stream.read(&mut chunk)).await,
            Ok(Ok(0) | Err(_))
        )
    }
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
