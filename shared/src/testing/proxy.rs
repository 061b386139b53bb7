//! A TCP proxy in front of a dependency that a test can cut and restore.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};

/// A TCP proxy in front of a dependency that a test can cut and restore, to take one
/// service's broker or database away without disturbing other tests.
pub struct TcpProxy {
    addr: SocketAddr,
    open: watch::Sender<bool>,
    _task: tokio::task::JoinHandle<()>,
}

impl TcpProxy {
    /// Listens on a free local port and forwards every connection to `target`.
    pub async fn start(target: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (open, _) = watch::channel(true);
        let open_rx = open.subscribe();
        let live: Arc<Mutex<()>> = Arc::new(Mutex::new(()));
        let task = tokio::spawn(async move {
            let _live = live;
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !*open_rx.borrow() {
                    drop(inbound);
                    continue;
                }
                let mut open_rx = open_rx.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = open_rx.wait_for(|open| !*open) => {}
                    }
                });
            }
        });
        Ok(Self {
            addr,
            open,
            _task: task,
        })
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Cuts every connection through the proxy and refuses new ones.
    pub fn sever(&self) {
        self.open.send_replace(false);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.open.send_replace(true);
    }

    /// Replaces host and port in `url` (`scheme://[user@]host:port/...`) with the proxy's.
    pub fn rewrite(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
        let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
        let userinfo = authority
            .rsplit_once('@')
            .map(|(u, _)| format!("{u}@"))
            .unwrap_or_default();
        let slash = if path.is_empty() && !rest.contains('/') {
            ""
        } else {
            "/"
        };
        format!("{scheme}://{userinfo}{}{slash}{path}", self.addr)
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self._task.abort();
    }
}

/// The socket address in `url` (`scheme://[user@]host:port/...`).
pub fn socket_addr_of(url: &str, default_port: u16) -> SocketAddr {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let with_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:{default_port}")
    };
    let with_port = with_port.replace("localhost", "127.0.0.1");
    with_port
        .parse()
        .unwrap_or_else(|e| panic!("{url}: not host:port ({e})"))
}
