//! HTTP for xtask's probes and the seed: reqwest's blocking client (one per process), and a
//! [`Request`] that can be sent again as it is (the seed retries 429s and 503s).

use std::{io, sync::OnceLock, time::Duration};

use serde_json::Value;

/// A response read whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// The `Retry-After` header.
    pub retry_after: Option<String>,
    /// The body as text (invalid UTF-8 replaced).
    pub text: String,
}

impl Response {
    /// The body as JSON, `Null` when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

/// The process's client: no proxy from the environment (every call goes to this machine's
/// ports), no connection reuse across the suite's restarts.
fn client() -> &'static reqwest::blocking::Client {
    static CLIENT: OnceLock<reqwest::blocking::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        // reqwest is built without a provider (the workspace uses ring throughout); an
        // error means one is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::blocking::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .user_agent("cargo-xtask")
            .build()
            .expect("an HTTP client (no TLS settings to get wrong)")
    })
}

/// One request: a method, a URL, headers and maybe a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
}

impl Request {
    /// `method` of `url` (`http://127.0.0.1:5000/api/products?limit=1`).
    pub fn new(method: &str, url: &str) -> Self {
        Self {
            method: method.to_owned(),
            url: url.to_owned(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A JSON body (already written), sent with `Content-Type: application/json`.
    pub fn json(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// `POST http://.../api/products`, for messages.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.url)
    }

    /// Sends the request and reads the whole answer within `timeout`. A connection that is
    /// refused (nothing listens yet) is an error of kind `ConnectionRefused`.
    pub fn send(&self, timeout: Duration) -> io::Result<Response> {
        let method = reqwest::Method::from_bytes(self.method.as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let mut request = client()
            .request(method, &self.url)
            .timeout(timeout)
            .header("accept", "application/json");
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        if let Some(body) = &self.body {
            request = request
                .header("content-type", "application/json")
                .body(body.clone());
        }
        let response = request.send().map_err(transport)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response.bytes().map_err(transport)?;
        Ok(Response {
            status,
            retry_after,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

/// reqwest's error as an `io::Error`, failed connections as `ConnectionRefused`.
fn transport(error: reqwest::Error) -> io::Error {
    let kind = if error.is_connect() {
        io::ErrorKind::ConnectionRefused
    } else if error.is_timeout() {
        io::ErrorKind::TimedOut
    } else {
        io::ErrorKind::Other
    };
    // The root cause (`Connection refused (os error 111)`), as a socket error reads; reqwest's
    // outer lines only repeat the URL the caller names anyway.
    let mut cause: &dyn std::error::Error = &error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let text = cause.to_string();
    io::Error::new(kind, text)
}

/// `GET http://127.0.0.1:<port><path>` within `timeout`.
pub fn get(port: u16, path: &str, timeout: Duration) -> io::Result<Response> {
    Request::new("GET", &format!("http://127.0.0.1:{port}{path}")).send(timeout)
}

/// `value` as indented JSON (two spaces a level), ending with a newline: for files people
/// read and diff, like `bench/results/*.json`.
pub fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_owned());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use std::{
        io::{Read as _, Write as _},
        net::TcpListener,
    };

    use super::*;

    #[test]
    fn a_request_reaches_a_server_and_its_answer_is_read() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().expect("accept");
            let mut request = [0_u8; 2048];
            let n = socket.read(&mut request).expect("request");
            socket
                .write_all(
                    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 3\r\n\
                      Transfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n",
                )
                .expect("answer");
            String::from_utf8_lossy(&request[..n]).into_owned()
        });
        let response = Request::new("POST", &format!("http://127.0.0.1:{port}/api/x"))
            .header("Authorization", "Bearer t")
            .json(r#"{"name":"Café"}"#)
            .send(Duration::from_secs(5))
            .expect("answered");
        assert_eq!(response.status, 503);
        assert_eq!(response.retry_after.as_deref(), Some("3"));
        assert_eq!(response.json()["a"], 1);
        let seen = server.join().expect("server").to_ascii_lowercase();
        assert!(seen.starts_with("post /api/x http/1.1\r\n"), "{seen}");
        assert!(seen.contains("authorization: bearer t\r\n"), "{seen}");
        assert!(
            seen.contains("content-type: application/json\r\n"),
            "{seen}"
        );
        assert!(seen.ends_with("{\"name\":\"café\"}"), "{seen}");
    }

    #[test]
    fn nothing_listening_is_connection_refused() {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let error = get(port, "/health", Duration::from_secs(2)).expect_err("refused");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn pretty_output_indents_one_member_a_line_in_document_order() {
        let value = serde_json::json!({"name": "gateway", "empty": [], "runs": [{"rps": 1.5}]});
        assert_eq!(
            pretty(&value),
            "{\n  \"name\": \"gateway\",\n  \"empty\": [],\n  \"runs\": [\n    {\n      \"rps\": 1.5\n    }\n  ]\n}\n"
        );
    }
}
