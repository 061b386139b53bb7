//! A Redis of the test's own (`redis-server --port <free> --save ''`), so that the `redis`
//! drill can stop it without touching the Redis everyone else's tests use. Stopped with
//! SIGKILL (no goodbye, nothing kept: it has no disk) and started again on the same port.

use std::{
    io::{Read as _, Write as _},
    net::TcpStream,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// One private `redis-server`.
pub(in crate::drill) struct PrivateRedis {
    port: u16,
    child: Option<Child>,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

impl PrivateRedis {
    /// Starts one on a free port and waits until it answers.
    pub(in crate::drill) fn start() -> Self {
        let mut redis = Self {
            port: free_port(),
            child: None,
        };
        redis.restart();
        redis
    }

    /// `redis://127.0.0.1:<port>`.
    pub(in crate::drill) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it (SIGKILL) and waits for the process to end.
    pub(in crate::drill) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it (again) on its port, empty, and waits until it answers PING.
    pub(in crate::drill) fn restart(&mut self) {
        self.kill();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (the Debian package) to start");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.pongs() {
            assert!(
                Instant::now() < deadline,
                "the private redis-server never answered"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn pongs(&self) -> bool {
        let Ok(mut socket) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = socket.set_read_timeout(Some(Duration::from_secs(1)));
        let mut answer = [0_u8; 7];
        socket.write_all(b"PING\r\n").is_ok()
            && socket.read_exact(&mut answer).is_ok()
            && &answer == b"+PONG\r\n"
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}
