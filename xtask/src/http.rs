//! A tiny HTTP/1.1 client over `std::net::TcpStream` (`Connection: close`, timeouts): `GET`
//! for `/health`, and any method with headers and a body for the seed; and [`Streaming`], an
//! answer read as it arrives (a Server-Sent Events stream, for `cargo xtask drill`); no HTTP
//! crate.

use std::{
    io::{self, BufRead as _, BufReader, Read, Write as _},
    net::{TcpStream, ToSocketAddrs as _},
    time::Duration,
};

/// The most of an answer we read.
const MAX_RESPONSE: u64 = 1 << 20;

/// A parsed HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header names (lower-cased) and values.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request to `host:port`: built with [`Request::new`] and the builder methods, written by
/// [`Request::to_bytes`], sent by [`Request::send`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    method: String,
    host: String,
    port: u16,
    target: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Request {
    /// `method` of `target` (the path and query, e.g. `/api/products?limit=1`) on `host:port`.
    pub fn new(method: &str, host: &str, port: u16, target: &str) -> Self {
        Self {
            method: method.to_owned(),
            host: host.to_owned(),
            port,
            target: target.to_owned(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header (after the standard ones). Names and values must not hold CR or LF.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A JSON body: sets `Content-Type: application/json`; `Content-Length` is written from it.
    pub fn json(self, body: &str) -> Self {
        let mut request = self.header("Content-Type", "application/json");
        request.body = Some(body.as_bytes().to_vec());
        request
    }

    /// `POST /api/products`, for messages.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.target)
    }

    /// The bytes sent on the wire: request line, `Host`, `User-Agent`, `Accept`,
    /// `Connection: close`, the added headers, `Content-Length` when there is a body, the body.
    ///
    /// Fails when the target, a header name or a value holds CR, LF or (in the target) a
    /// space: they would split the request, so they never reach the socket.
    pub fn to_bytes(&self) -> io::Result<Vec<u8>> {
        let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidInput, what);
        if self.target.contains([' ', '\r', '\n']) || !self.target.starts_with('/') {
            return Err(invalid(format!("bad request target {:?}", self.target)));
        }
        for (name, value) in &self.headers {
            let bad_name = name.is_empty() || name.contains([':', ' ', '\r', '\n']);
            if bad_name || value.contains(['\r', '\n']) {
                return Err(invalid(format!("bad header {name:?}: {value:?}")));
            }
        }
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: cargo-xtask\r\n\
             Accept: application/json\r\nConnection: close\r\n",
            self.method,
            self.target,
            host_header(&self.host, self.port),
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = &self.body {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(self.body.as_deref().unwrap_or_default());
        Ok(bytes)
    }

    /// Sends the request and reads the whole answer; each of connect, write and read is
    /// limited by `timeout`.
    pub fn send(&self, timeout: Duration) -> io::Result<Response> {
        let bytes = self.to_bytes()?;
        let addr = (self.host.as_str(), self.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"))?;
        let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.write_all(&bytes)?;
        let mut raw = Vec::new();
        stream.take(MAX_RESPONSE).read_to_end(&mut raw)?;
        parse_response(&raw).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}

impl Request {
    /// Sends the request and reads only the status line and headers; the body is read from
    /// the returned [`Streaming`] as it arrives. `connect` limits connecting and writing,
    /// `idle` every read (a stream quiet for longer fails the read with `WouldBlock` or
    /// `TimedOut`).
    pub fn open(&self, connect: Duration, idle: Duration) -> io::Result<Streaming> {
        let bytes = self.to_bytes()?;
        let addr = (self.host.as_str(), self.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"))?;
        let mut stream = TcpStream::connect_timeout(&addr, connect)?;
        stream.set_write_timeout(Some(connect))?;
        stream.set_read_timeout(Some(idle))?;
        stream.write_all(&bytes)?;
        Streaming::read_head(BufReader::new(stream))
    }
}

/// An answer whose body is read as it comes, de-chunked on the fly.
pub struct Streaming {
    /// Status code.
    pub status: u16,
    /// Header names (lower-cased) and values.
    pub headers: Vec<(String, String)>,
    reader: BufReader<TcpStream>,
    chunked: bool,
    /// Bytes left in the current chunk (chunked bodies only).
    left: usize,
    done: bool,
}

impl Streaming {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn read_head(mut reader: BufReader<TcpStream>) -> io::Result<Self> {
        let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Err(invalid("connection closed in the headers".to_owned()));
            }
            if line.trim_end().is_empty() {
                break;
            }
            head.push(line.trim_end().to_owned());
        }
        // The status line alone parses as a response without a body; the headers are read
        // here, since their framing (length, chunks) applies to what is still to come.
        let status_line = head.first().cloned().unwrap_or_default();
        let response =
            parse_response(format!("{status_line}\r\n\r\n").as_bytes()).map_err(invalid)?;
        let headers: Vec<(String, String)> = head
            .iter()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let chunked = headers.iter().any(|(name, value)| {
            name == "transfer-encoding" && value.to_ascii_lowercase().contains("chunked")
        });
        Ok(Self {
            status: response.status,
            headers,
            reader,
            chunked,
            left: 0,
            done: false,
        })
    }
}

impl Read for Streaming {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if !self.chunked {
            return self.reader.read(buf);
        }
        if self.left == 0 {
            let mut line = String::new();
            if self.reader.read_line(&mut line)? == 0 {
                self.done = true;
                return Ok(0);
            }
            let digits = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(digits, 16).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("bad chunk size {digits:?}"),
                )
            })?;
            if size == 0 {
                self.done = true;
                return Ok(0);
            }
            self.left = size;
        }
        let wanted = buf.len().min(self.left);
        let n = self.reader.read(&mut buf[..wanted])?;
        if n == 0 {
            self.done = true;
            return Ok(0);
        }
        self.left -= n;
        if self.left == 0 {
            let mut crlf = String::new();
            self.reader.read_line(&mut crlf)?;
        }
        Ok(n)
    }
}

/// `host:port`, with an IPv6 address in brackets.
fn host_header(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `GET http://host:port/path`, each of connect, write and read limited by `timeout`.
pub fn get(host: &str, port: u16, path: &str, timeout: Duration) -> io::Result<Response> {
    Request::new("GET", host, port, path).send(timeout)
}

/// Parses a complete response: status line, headers, and a body framed by `Content-Length`,
/// chunked encoding, or the end of the connection.
pub fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| "headers are not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut words = status_line.split(' ');
    let (Some(version), Some(code)) = (words.next(), words.next()) else {
        return Err(format!("bad status line {status_line:?}"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(format!("not HTTP/1.x: {status_line:?}"));
    }
    let status = code
        .parse()
        .map_err(|_| format!("bad status code {code:?}"))?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let mut response = Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    };
    let chunked = response
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    if chunked {
        response.body = decode_chunked(&response.body)?;
    } else if let Some(length) = response.header("content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| format!("bad Content-Length {length:?}"))?;
        if response.body.len() < length {
            return Err(format!(
                "body truncated: {} of {length} bytes",
                response.body.len()
            ));
        }
        response.body.truncate(length);
    }
    Ok(response)
}

fn decode_chunked(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("chunk size line not terminated")?;
        let line = std::str::from_utf8(&rest[..end]).map_err(|_| "bad chunk size line")?;
        let digits = line.split(';').next().unwrap_or_default().trim();
        let size =
            usize::from_str_radix(digits, 16).map_err(|_| format!("bad chunk size {digits:?}"))?;
        rest = &rest[end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..size).ok_or("chunk truncated")?;
        body.extend_from_slice(chunk);
        rest = rest
            .get(size..)
            .and_then(|r| r.strip_prefix(b"\r\n"))
            .ok_or("chunk not followed by CRLF")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_with_content_length_parses() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 2\r\n\r\n{}extra";
        let response = parse_response(raw).expect("valid response");
        assert_eq!(response.status, 200);
        assert_eq!(response.header("Content-Type"), Some("application/json"));
        assert_eq!(response.text(), "{}");
    }

    #[test]
    fn a_chunked_body_is_reassembled() {
        let raw = b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n\
                    4\r\n{\"a\"\r\n3;ext=1\r\n:1}\r\n0\r\n\r\n";
        let response = parse_response(raw).expect("valid response");
        assert_eq!(response.status, 503);
        assert_eq!(response.text(), "{\"a\":1}");
    }

    #[test]
    fn a_body_without_framing_runs_to_the_end() {
        let response = parse_response(b"HTTP/1.0 404 Not Found\r\n\r\nnope").expect("valid");
        assert_eq!((response.status, response.text().as_str()), (404, "nope"));
    }

    #[test]
    fn a_get_writes_the_standard_headers_and_no_body() {
        let bytes = Request::new("GET", "127.0.0.1", 5000, "/api/health")
            .to_bytes()
            .expect("valid request");
        assert_eq!(
            String::from_utf8(bytes).expect("ASCII"),
            "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:5000\r\nUser-Agent: cargo-xtask\r\n\
             Accept: application/json\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn a_post_with_json_writes_its_headers_length_and_body() {
        let body = r#"{"name":"Café"}"#;
        let bytes = Request::new("POST", "localhost", 5000, "/api/products")
            .header("Authorization", "Bearer abc.def")
            .json(body)
            .to_bytes()
            .expect("valid request");
        let expected = format!(
            "POST /api/products HTTP/1.1\r\nHost: localhost:5000\r\nUser-Agent: cargo-xtask\r\n\
             Accept: application/json\r\nConnection: close\r\n\
             Authorization: Bearer abc.def\r\nContent-Type: application/json\r\n\
             Content-Length: 16\r\n\r\n{body}"
        );
        // 16 bytes: the é is two.
        assert_eq!(body.len(), 16);
        assert_eq!(String::from_utf8(bytes).expect("UTF-8"), expected);
    }

    #[test]
    fn an_ipv6_host_is_bracketed() {
        let bytes = Request::new("GET", "::1", 5000, "/")
            .to_bytes()
            .expect("valid");
        assert!(
            String::from_utf8(bytes)
                .expect("ASCII")
                .contains("\r\nHost: [::1]:5000\r\n")
        );
    }

    #[test]
    fn line_breaks_in_the_target_or_headers_are_refused() {
        let base = || Request::new("GET", "h", 1, "/ok");
        for request in [
            Request::new("GET", "h", 1, "/a b"),
            Request::new("GET", "h", 1, "/a\r\nX: y"),
            Request::new("GET", "h", 1, "no-slash"),
            base().header("X-Evil", "a\r\nInjected: yes"),
            base().header("Bad Name", "v"),
            base().header("", "v"),
        ] {
            let error = request.to_bytes().expect_err("must be refused");
            assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        }
    }

    #[test]
    fn a_chunked_stream_is_read_as_it_arrives() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().expect("accept");
            let mut request = [0_u8; 1024];
            let _ = socket.read(&mut request);
            socket
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                      Transfer-Encoding: chunked\r\n\r\n7\r\nid: 1\n\n\r\n",
                )
                .expect("first chunk");
            socket
                .write_all(b"6\r\ndata: \r\n3\r\nx\n\n\r\n0\r\n\r\n")
                .expect("rest");
        });
        let mut stream = Request::new("GET", "127.0.0.1", port, "/stream")
            .open(Duration::from_secs(5), Duration::from_secs(5))
            .expect("opens");
        assert_eq!(stream.status, 200);
        assert_eq!(stream.header("content-type"), Some("text/event-stream"));
        let mut body = String::new();
        stream.read_to_string(&mut body).expect("reads to the end");
        assert_eq!(body, "id: 1\n\ndata: x\n\n");
        server.join().expect("server");
    }

    #[test]
    fn broken_responses_are_errors() {
        for raw in [
            &b"HTTP/1.1 200 OK\r\n"[..],
            b"SSH-2.0-OpenSSH\r\n\r\n",
            b"HTTP/1.1 abc OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        ] {
            assert!(parse_response(raw).is_err(), "{raw:?} should not parse");
        }
    }
}
