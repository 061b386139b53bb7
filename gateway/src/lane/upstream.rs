//! The fast lane's side towards the services: idle keep-alive connections per service, a
//! request sent and its answer's head read (with the connect and read timeouts), and the body
//! passed on to the client as it comes.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::http::Method;
use bytes::BytesMut;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use super::wire::{self, Chunked, Framing, ResponseHead};

/// Idle connections kept per service (as the hyper pool of the other lane).
const MAX_IDLE: usize = 64;
/// An idle connection older than this is closed rather than used.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Read buffer for answers.
const READ_BUFFER: usize = 8 * 1024;

/// Idle connections to one service.
pub struct Pool {
    /// `host:port` of a plain-HTTP service; `None` when its URL is not one (the other lane
    /// serves it then).
    pub authority: Option<String>,
    idle: Mutex<Vec<(TcpStream, Instant)>>,
}

impl Pool {
    /// A pool for the service replica at `replica`.
    pub fn new(replica: &crate::routing::Replica) -> Self {
        let authority = replica
            .base_url
            .strip_prefix("http://")
            .map(|rest| rest.split('/').next().unwrap_or_default().to_owned())
            .filter(|a| !a.is_empty() && !a.contains('@'));
        Self {
            authority,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// The most recently used idle connection that is still open.
    fn checkout(&self) -> Option<TcpStream> {
        let mut idle = self.idle.lock().ok()?;
        while let Some((stream, since)) = idle.pop() {
            // Readable while idle means closed (or junk): either way not reusable. The
            // readiness is the runtime's cached view, so this costs no system call.
            let open = matches!(
                stream.try_read(&mut [0u8; 1]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
            );
            if open && since.elapsed() < IDLE_TIMEOUT {
                return Some(stream);
            }
        }
        None
    }

    /// Keeps `stream` for the next request.
    pub fn checkin(&self, stream: TcpStream) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push((stream, Instant::now()));
        }
    }
}

/// Why a request got no answer: the service is unavailable to the caller.
#[derive(Debug)]
pub struct Unavailable(pub String);

/// Why [`send`] failed.
#[derive(Debug)]
pub enum SendError {
    /// No connection could be made: nothing was sent, another replica may take the request.
    Refused(String),
    /// The request may have reached the service: it must not be sent again.
    Unavailable(Unavailable),
}

/// A request's answer: the head, the connection it came on and what was read past the head.
pub struct Answer {
    pub head: ResponseHead,
    pub stream: TcpStream,
    pub buf: BytesMut,
}

/// Sends `request` (a whole head, no body) to the service of `pool` and reads the answer's
/// head. A reused connection that turns out closed is replaced once for `GET` and `HEAD`
/// (the request cannot have been acted on twice in a way that matters). `watch`: header
/// names whose presence in the answer is noted.
pub async fn send(
    pool: &Pool,
    request: &[u8],
    method: &Method,
    watch: &[axum::http::HeaderName],
    connect_timeout: Duration,
    read_timeout: Duration,
) -> Result<Answer, SendError> {
    let Some(authority) = pool.authority.as_deref() else {
        return Err(SendError::Unavailable(Unavailable(
            "not a plain HTTP service".to_owned(),
        )));
    };
    let retry = matches!(*method, Method::GET | Method::HEAD);
    if let Some(stream) = pool.checkout() {
        match exchange(stream, request, method, watch, read_timeout).await {
            Ok(answer) => return Ok(answer),
            Err(Failure::BeforeAnswer(_)) if retry => {}
            Err(Failure::BeforeAnswer(e) | Failure::Other(e)) => {
                return Err(SendError::Unavailable(Unavailable(e)));
            }
        }
    }
    let stream = match tokio::time::timeout(connect_timeout, TcpStream::connect(authority)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(SendError::Refused(e.to_string())),
        Err(_) => {
            return Err(SendError::Refused(
                "no connection within the timeout".to_owned(),
            ));
        }
    };
    let _ = stream.set_nodelay(true);
    exchange(stream, request, method, watch, read_timeout)
        .await
        .map_err(|(Failure::BeforeAnswer(e) | Failure::Other(e))| {
            SendError::Unavailable(Unavailable(e))
        })
}

enum Failure {
    /// The connection failed before a byte of the answer came.
    BeforeAnswer(String),
    Other(String),
}

async fn exchange(
    mut stream: TcpStream,
    request: &[u8],
    method: &Method,
    watch: &[axum::http::HeaderName],
    read_timeout: Duration,
) -> Result<Answer, Failure> {
    if let Err(e) = stream.write_all(request).await {
        return Err(Failure::BeforeAnswer(e.to_string()));
    }
    let mut buf = BytesMut::with_capacity(READ_BUFFER);
    let deadline = tokio::time::Instant::now() + read_timeout;
    loop {
        buf.reserve(READ_BUFFER);
        let read = tokio::time::timeout_at(deadline, stream.read_buf(&mut buf)).await;
        match read {
            Err(_) => return Err(Failure::Other("no answer within the timeout".to_owned())),
            Ok(Ok(0)) if buf.is_empty() => {
                return Err(Failure::BeforeAnswer("connection closed".to_owned()));
            }
            Ok(Ok(0)) => return Err(Failure::Other("connection closed mid-head".to_owned())),
            Ok(Err(e)) if buf.is_empty() => return Err(Failure::BeforeAnswer(e.to_string())),
            Ok(Err(e)) => return Err(Failure::Other(e.to_string())),
            Ok(Ok(_)) => {}
        }
        match wire::parse_response(&mut buf, method, watch) {
            Ok(Some(head)) => return Ok(Answer { head, stream, buf }),
            Ok(None) => {}
            Err(e) => return Err(Failure::Other(e.to_owned())),
        }
    }
}

/// How passing a body on ended.
pub enum Relayed {
    /// Whole; the upstream connection may be reused.
    Done(TcpStream),
    /// Whole, but the upstream connection is spent (it closed, or sent more than the body).
    DoneClosed,
    /// The client is gone or the upstream failed mid-body: the client connection must close.
    Broken,
}

/// Writes `head_out` and then the body of `answer` to `client`, as it comes. `limit`: the
/// longest wait for the next part of the body (`None` for event streams, which stay quiet
/// between events: for those the client is watched too, so a client that leaves ends the
/// stream at once, and what it sends meanwhile is kept in `client_buf`); `stop` ends an
/// event stream early (shutdown).
pub async fn relay<C>(
    client: &mut C,
    client_buf: &mut BytesMut,
    mut head_out: Vec<u8>,
    answer: Answer,
    limit: Option<Duration>,
    stop: &tokio_util::sync::CancellationToken,
) -> Relayed
where
    C: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let Answer {
        head,
        mut stream,
        mut buf,
    } = answer;
    let mut chunked = Chunked::default();
    let mut left = match head.framing {
        Framing::Length(n) => n,
        _ => 0,
    };
    // What of the body is already here goes out with the head, in one write.
    let (first, ended) = take(&mut buf, head.framing, &mut left, &mut chunked);
    let Some(first) = first else {
        return Relayed::Broken;
    };
    head_out.extend_from_slice(&first);
    if client.write_all(&head_out).await.is_err() {
        return Relayed::Broken;
    }
    let mut done = ended;
    while !done {
        buf.reserve(READ_BUFFER);
        let n = match limit {
            Some(limit) => tokio::time::timeout(limit, stream.read_buf(&mut buf))
                .await
                .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into())),
            None => {
                client_buf.reserve(1024);
                tokio::select! {
                    n = stream.read_buf(&mut buf) => n,
                    r = client.read_buf(client_buf) => match r {
                        Ok(0) | Err(_) => return Relayed::Broken,
                        Ok(_) if client_buf.len() > wire::MAX_HEAD => return Relayed::Broken,
                        Ok(_) => continue,
                    },
                    () = stop.cancelled() => return Relayed::Broken,
                }
            }
        };
        match n {
            Ok(0) if head.framing == Framing::Close => {
                let _ = client.flush().await;
                return Relayed::DoneClosed;
            }
            Ok(0) | Err(_) => return Relayed::Broken,
            Ok(_) => {}
        }
        let (part, ended) = take(&mut buf, head.framing, &mut left, &mut chunked);
        let Some(part) = part else {
            return Relayed::Broken;
        };
        if client.write_all(&part).await.is_err() {
            return Relayed::Broken;
        }
        done = ended;
    }
    if head.close || head.framing == Framing::Close || !buf.is_empty() {
        Relayed::DoneClosed
    } else {
        Relayed::Done(stream)
    }
}

/// Splits off the part of `buf` that belongs to the body; says whether the body ended there.
/// `None` when the body is malformed.
fn take(
    buf: &mut BytesMut,
    framing: Framing,
    left: &mut u64,
    chunked: &mut Chunked,
) -> (Option<BytesMut>, bool) {
    match framing {
        Framing::Empty => (Some(BytesMut::new()), true),
        Framing::Close => (Some(buf.split()), false),
        Framing::Length(_) => {
            let n = usize::try_from(*left).unwrap_or(usize::MAX).min(buf.len());
            *left -= n as u64;
            (Some(buf.split_to(n)), *left == 0)
        }
        Framing::Chunked => match chunked.feed(buf) {
            Ok(Some(end)) => (Some(buf.split_to(end)), true),
            Ok(None) => (Some(buf.split()), false),
            Err(_) => (None, false),
        },
    }
}
