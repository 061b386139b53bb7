//! A TCP proxy over std threads that the `network` drill puts between order-service and the
//! broker: severing it shuts every connection through it and refuses new ones, as a broken
//! network does; restoring lets connections through again.

use std::{
    io,
    net::{Shutdown, SocketAddr, TcpListener, TcpStream},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

/// A running proxy; dropping it stops it.
pub struct Proxy {
    /// The local port it listens on.
    pub port: u16,
    open: Arc<AtomicBool>,
    stopped: Arc<AtomicBool>,
    live: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `target`.
    pub fn start(target: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let proxy = Self {
            port,
            open: Arc::new(AtomicBool::new(true)),
            stopped: Arc::new(AtomicBool::new(false)),
            live: Arc::new(Mutex::new(Vec::new())),
        };
        let (open, stopped, live) = (
            proxy.open.clone(),
            proxy.stopped.clone(),
            proxy.live.clone(),
        );
        std::thread::spawn(move || {
            for inbound in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(inbound) = inbound else { continue };
                if !open.load(Ordering::SeqCst) {
                    continue;
                }
                let Ok(outbound) = TcpStream::connect(target) else {
                    continue;
                };
                if let Err(error) = pipe(inbound, outbound, &live) {
                    eprintln!("warning: drill proxy: {error}");
                }
            }
        });
        Ok(proxy)
    }

    /// Cuts every connection and refuses new ones.
    pub fn sever(&self) {
        self.open.store(false, Ordering::SeqCst);
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        for stream in live.drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.sever();
        // Wakes the accepting thread so it sees `stopped`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Copies both ways on two threads; both streams are kept so `sever` can shut them.
fn pipe(inbound: TcpStream, outbound: TcpStream, live: &Mutex<Vec<TcpStream>>) -> io::Result<()> {
    let (mut in_read, mut in_write) = (inbound.try_clone()?, inbound.try_clone()?);
    let (mut out_read, mut out_write) = (outbound.try_clone()?, outbound.try_clone()?);
    {
        let mut live = live.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|s| s.peer_addr().is_ok());
        live.push(inbound);
        live.push(outbound);
    }
    std::thread::spawn(move || {
        let _ = io::copy(&mut in_read, &mut out_write);
        let _ = out_write.shutdown(Shutdown::Both);
    });
    std::thread::spawn(move || {
        let _ = io::copy(&mut out_read, &mut in_write);
        let _ = in_write.shutdown(Shutdown::Both);
    });
    Ok(())
}
