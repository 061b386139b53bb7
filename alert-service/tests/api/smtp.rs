//! A small SMTP server for the tests: real SMTP over TCP (greeting, EHLO, MAIL, RCPT, DATA
//! with dot-unstuffing, RSET, NOOP, QUIT), keeping what it received, and able to go down and
//! come back on the same port. Also a reader of the received MIME message (headers, and the
//! text and HTML parts decoded from quoted-printable or base64).

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use base64::Engine;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// One message the sink accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// `MAIL FROM`.
    pub from: String,
    /// Every `RCPT TO`.
    pub to: Vec<String>,
    /// The message as sent (CRLF line ends, dots unstuffed).
    pub data: String,
}

/// A running sink.
pub struct Sink {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl Sink {
    /// A sink on a free port.
    pub async fn start() -> Self {
        Self::start_on(0, Arc::default()).await
    }

    /// A sink on `port`, adding to `received`.
    async fn start_on(port: u16, received: Arc<Mutex<Vec<Received>>>) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("the sink binds");
        let addr = listener.local_addr().expect("an address");
        let kept = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, kept.clone()));
            }
        });
        Self {
            addr,
            received,
            task,
        }
    }

    /// `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// What was received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("not poisoned").clone()
    }

    /// Stops listening (connections are refused from now on); what was received is kept.
    pub fn stop(self) -> (u16, Arc<Mutex<Vec<Received>>>) {
        self.task.abort();
        (self.addr.port(), self.received.clone())
    }

    /// Listens again on the port a stopped sink had.
    pub async fn restart((port, received): (u16, Arc<Mutex<Vec<Received>>>)) -> Self {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            // The aborted accept loop lets go of the port when its task is dropped.
            if TcpListener::bind(("127.0.0.1", port)).await.is_ok() {
                return Self::start_on(port, received).await;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "port {port} never freed"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(stream: TcpStream, received: Arc<Mutex<Vec<Received>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if !say(&mut write, "220 sink ESMTP ready\r\n").await {
        return;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let answer = if upper.starts_with("EHLO") {
            "250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".to_owned()
        } else if upper.starts_with("HELO") || upper == "NOOP" {
            "250 ok\r\n".to_owned()
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&command[10..]);
            to.clear();
            "250 ok\r\n".to_owned()
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&command[8..]));
            "250 ok\r\n".to_owned()
        } else if upper == "RSET" {
            (from, to) = (String::new(), Vec::new());
            "250 ok\r\n".to_owned()
        } else if upper == "DATA" {
            if !say(&mut write, "354 end with <CRLF>.<CRLF>\r\n").await {
                return;
            }
            let Some(data) = read_data(&mut lines).await else {
                return;
            };
            received.lock().expect("not poisoned").push(Received {
                from: from.clone(),
                to: to.clone(),
                data,
            });
            "250 queued\r\n".to_owned()
        } else if upper == "QUIT" {
            let _ = say(&mut write, "221 bye\r\n").await;
            return;
        } else {
            "502 not implemented\r\n".to_owned()
        };
        if !say(&mut write, &answer).await {
            return;
        }
    }
}

/// `<a@b> SIZE=1` → `a@b`.
fn address(raw: &str) -> String {
    raw.trim()
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn say(write: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) -> bool {
    write.write_all(text.as_bytes()).await.is_ok()
}

async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(lines: &mut R) -> Option<String> {
    let mut data = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        if line == ".\r\n" || line == ".\n" {
            return Some(data);
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}

/// A received message read back: its headers (unfolded) and its decoded text and HTML parts.
#[derive(Debug)]
pub struct Mail {
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub html: String,
}

impl Mail {
    /// The first header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn split_head(message: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = message.split_once("\r\n\r\n").unwrap_or((message, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    (headers, body)
}

fn decode(encoding: Option<&str>, body: &str) -> String {
    match encoding.map(str::to_ascii_lowercase).as_deref() {
        Some("base64") => {
            let joined: String = body.split_whitespace().collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(joined)
                .expect("base64");
            String::from_utf8(bytes).expect("UTF-8")
        }
        Some("quoted-printable") => {
            let soft = body.replace("=\r\n", "");
            let bytes = soft.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                let hex = (bytes[i] == b'=')
                    .then(|| soft.get(i + 1..i + 3))
                    .flatten()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(b) = hex {
                    out.push(b);
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            String::from_utf8(out).expect("UTF-8")
        }
        _ => body.to_owned(),
    }
}

/// Reads a `multipart/alternative` message with a text and an HTML part.
pub fn parse(message: &str) -> Mail {
    let (headers, body) = split_head(message);
    let kind = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.clone())
        .expect("a content type");
    let boundary = kind
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .expect("a boundary")
        .trim_matches('"')
        .to_owned();
    let (mut text, mut html) = (String::new(), String::new());
    for part in body.split(&format!("--{boundary}")).skip(1) {
        let (part_headers, part_body) = split_head(part.trim_start_matches("\r\n"));
        let get = |name: &str| {
            part_headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let decoded = decode(get("content-transfer-encoding"), part_body.trim_end());
        match get("content-type") {
            Some(t) if t.starts_with("text/plain") => text = decoded,
            Some(t) if t.starts_with("text/html") => html = decoded,
            _ => {}
        }
    }
    Mail {
        headers,
        text,
        html,
    }
}
