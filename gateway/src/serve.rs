//! The gateway's accept loop: each connection starts in the fast lane (`crate::lane`) and is
//! handed to hyper and the router, with the bytes already read, at the first request the lane
//! does not take. On shutdown no connection is accepted any more, idle ones close, and those
//! in flight get `grace` to finish (event streams end at once, so clients reconnect elsewhere).
//! A client address holds at most `MAX_CONNECTIONS_PER_CLIENT` connections (`per_client`).
//! Each connection is served on one of the connection threads (`workers`), one per core.

use std::{
    net::SocketAddr,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use axum::{Router, extract::ConnectInfo};
use bytes::{Buf, Bytes};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto::Builder,
    service::TowerToHyperService,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    AppState,
    lane::{Ending, Lane},
};

mod drain;
mod per_client;
mod workers;

/// Serves `listener` until `cancel` fires, then waits up to `grace` for open connections.
/// Connections are accepted here and served on the connection threads (`workers`), each
/// with a lane like `lane`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    state: AppState,
    lane: Arc<Lane>,
    cancel: CancellationToken,
    grace: Duration,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    let per_client = per_client::PerClient::new(state.clients.max_connections);
    let serving = workers::Serving {
        router,
        state,
        cancel: cancel.clone(),
        connections: TaskTracker::new(),
    };
    let mut workers = workers::Workers::start(workers::count(), &serving, &lane)?;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = cancel.cancelled() => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait rather than spin (as axum does).
                tracing::warn!(error = %e, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(slot) = per_client.admit(peer.ip()) else {
            refuse_one_more(&stream, peer);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let Ok(stream) = stream.into_std() else {
            continue;
        };
        if let Err(back) = workers.hand(workers::Accepted { stream, peer, slot }) {
            // No thread took it (they are gone): served here instead.
            if let Ok(stream) = TcpStream::from_std(back.stream) {
                workers::spawn(&serving, stream, peer, back.slot, lane.clone());
            }
        }
    }
    let give_up = workers.close();
    let connections = serving.connections;
    connections.close();
    if tokio::time::timeout(grace, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            ?grace,
            "in-flight requests did not finish in time; stopping anyway"
        );
    }
    give_up.cancel();
    Ok(())
}

/// Answers a connection over its address's cap with a 503 (if the socket takes it at once:
/// the accept loop never waits on a client) and closes it.
fn refuse_one_more(stream: &TcpStream, peer: SocketAddr) {
    const BODY: &str = r#"{"error":{"code":"UPSTREAM_UNAVAILABLE","message":"too many connections from one address"}}"#;
    // Counted, and logged at debug only: a flood of these must not flood the log too.
    metrics::counter!("gateway_connections_refused_total").increment(1);
    tracing::debug!(client = %peer.ip(), "too many connections from one address; refused");
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = stream.try_write(answer.as_bytes());
}

async fn connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    state: AppState,
    lane: Arc<Lane>,
    cancel: CancellationToken,
) {
    let read = match lane.serve(&state, &mut stream, peer, &cancel).await {
        Ending::Closed => return,
        Ending::HandOver(read) => {
            // How often the lane declines: what it does not serve costs hyper's extra work.
            metrics::counter!("gateway_hand_overs_total").increment(1);
            read.freeze()
        }
    };
    let io = TokioIo::new(Prefixed { read, stream });
    let max_body = state.max_body_bytes;
    let service = tower::service_fn(move |mut request: http::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let answered = drain::serve(router.clone(), request, max_body);
        async move { Ok::<_, std::convert::Infallible>(answered.await) }
    });
    let mut builder = Builder::new(TokioExecutor::new());
    // Without a timer hyper's header timeout is off: a trickled head held the connection.
    // hyper counts from when it waits for a head, so this also closes an idle connection.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(state.clients.head_timeout);
    let conn = builder.serve_connection_with_upgrades(io, TowerToHyperService::new(service));
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        () = cancel.cancelled() => conn.as_mut().graceful_shutdown(),
    }
    let _ = conn.await;
}

/// A connection whose first bytes were already read: they are read again first. Closed with
/// a lingering close (`linger`) when hyper lets go of it.
struct Prefixed {
    read: Bytes,
    stream: TcpStream,
}

impl Drop for Prefixed {
    /// The socket lives on in a second descriptor of it, which lingers.
    fn drop(&mut self) {
        use std::os::fd::AsFd;
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let Ok(fd) = self.stream.as_fd().try_clone_to_owned() else {
            return;
        };
        let _guard = runtime.enter();
        if let Ok(stream) = TcpStream::from_std(std::net::TcpStream::from(fd)) {
            runtime.spawn(linger(stream));
        }
    }
}

/// How long a closed connection's unread input is still read and thrown away.
const LINGER: Duration = Duration::from_secs(2);

/// A lingering close, as nginx's `lingering_close`: the answer is followed by a FIN, then what
/// the client still sends is read and thrown away until it closes too, for at most [`LINGER`].
/// Closing a socket with unread input makes the kernel reset the connection, and a client
/// still writing a refused body (a 413 upload) then lost the answer in its buffer and saw
/// "broken pipe" instead.
async fn linger(mut stream: TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if stream.shutdown().await.is_err() {
        return;
    }
    let until = tokio::time::Instant::now() + LINGER;
    let mut sink = [0u8; 16 * 1024];
    while let Ok(Ok(n)) = tokio::time::timeout_at(until, stream.read(&mut sink)).await {
        if n == 0 {
            break;
        }
    }
}

impl AsyncRead for Prefixed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.read.is_empty() {
            return Pin::new(&mut self.stream).poll_read(cx, buf);
        }
        let n = self.read.len().min(buf.remaining());
        buf.put_slice(&self.read[..n]);
        self.read.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
