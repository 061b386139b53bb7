//! Network helpers: where a connection URL points, whether something listens there, and the
//! greetings that show Redis and RabbitMQ are really serving.

use std::{
    io::{Read as _, Write as _},
    net::{TcpStream, ToSocketAddrs as _},
    time::{Duration, Instant},
};

/// How long one TCP probe may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// A host and port to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

/// The first host of a connection URL (`redis://`, `amqp://`, `mongodb://h1,h2/...`), with
/// `default_port` when the URL names none. `mongodb+srv://` names no host to probe.
pub fn endpoint(url: &str, default_port: u16) -> Result<Endpoint, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url:?} is not a URL (no scheme://)"))?;
    if scheme.ends_with("+srv") {
        return Err("a DNS seed list (+srv) names no single host to probe".to_owned());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let hosts = authority
        .rsplit_once('@')
        .map_or(authority, |(_, hosts)| hosts);
    let first = hosts.split(',').next().unwrap_or_default();
    let (host, port) = match first.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| format!("unclosed [ in {url:?}"))?;
            (host, after.strip_prefix(':'))
        }
        None => match first.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (first, None),
        },
    };
    if host.is_empty() {
        return Err(format!("no host in {url:?}"));
    }
    let port = match port {
        None | Some("") => default_port,
        Some(port) => port
            .parse()
            .map_err(|_| format!("bad port {port:?} in {url:?}"))?,
    };
    Ok(Endpoint {
        host: host.to_owned(),
        port,
    })
}

/// `text` with the password of every `scheme://user:password@` masked as `***`.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| "/?# '\"".contains(c))
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rsplit_once('@') {
            Some((userinfo, hosts)) if userinfo.contains(':') => {
                let user = userinfo.split(':').next().unwrap_or_default();
                out.push_str(&format!("{user}:***@{hosts}"));
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn connect(host: &str, port: u16, timeout: Duration) -> Option<TcpStream> {
    let addrs = (host, port).to_socket_addrs().ok()?;
    addrs
        .into_iter()
        .find_map(|addr| TcpStream::connect_timeout(&addr, timeout).ok())
}

/// Whether `host:port` accepts a TCP connection.
pub fn accepts_tcp(host: &str, port: u16) -> bool {
    connect(host, port, PROBE_TIMEOUT).is_some()
}

/// Sends `hello` and returns the first bytes of the answer (empty when there is none).
fn exchange(port: u16, hello: &[u8]) -> Vec<u8> {
    let Some(mut stream) = connect("127.0.0.1", port, PROBE_TIMEOUT) else {
        return Vec::new();
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut answer = [0_u8; 16];
    match stream
        .write_all(hello)
        .and_then(|()| stream.read(&mut answer))
    {
        Ok(n) => answer[..n].to_vec(),
        Err(_) => Vec::new(),
    }
}

/// Whether a Redis on `127.0.0.1:port` answers `PING` (a `NOAUTH` refusal counts: it serves).
pub fn redis_pongs(port: u16) -> bool {
    let answer = exchange(port, b"PING\r\n");
    answer.starts_with(b"+PONG") || answer.starts_with(b"-NOAUTH")
}

/// Whether RabbitMQ on `127.0.0.1:port` answers the AMQP 0-9-1 protocol header with a method
/// frame (`Connection.Start`): the broker is booted and a client handshake would proceed.
pub fn amqp_greets(port: u16) -> bool {
    exchange(port, b"AMQP\x00\x00\x09\x01").first() == Some(&1)
}

/// Polls `ready` every 250 ms until it holds or `timeout` passes; returns whether it held.
pub fn wait_for(timeout: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(host: &str, port: u16) -> Result<Endpoint, String> {
        Ok(Endpoint {
            host: host.to_owned(),
            port,
        })
    }

    #[test]
    fn endpoints_come_from_the_first_host_of_a_url() {
        assert_eq!(endpoint("redis://127.0.0.1:6379", 1), ep("127.0.0.1", 6379));
        assert_eq!(endpoint("redis://:pw@cache/2", 6379), ep("cache", 6379));
        assert_eq!(
            endpoint("amqp://guest:guest@127.0.0.1:5672/%2f", 1),
            ep("127.0.0.1", 5672)
        );
        assert_eq!(
            endpoint("mongodb://u:p@a:27018,b:27019/db?replicaSet=rs", 27017),
            ep("a", 27018)
        );
        assert_eq!(endpoint("mongodb://[::1]:27017", 1), ep("::1", 27017));
        assert_eq!(endpoint("mongodb://[::1]", 27017), ep("::1", 27017));
    }

    #[test]
    fn urls_without_a_probeable_host_are_errors() {
        assert!(endpoint("mongodb+srv://cluster.example.com", 27017).is_err());
        assert!(endpoint("127.0.0.1:6379", 6379).is_err());
        assert!(endpoint("redis://:6379", 6379).is_err());
        assert!(endpoint("redis://host:port", 6379).is_err());
        assert!(endpoint("redis://host:70000", 6379).is_err());
    }

    #[test]
    fn passwords_are_masked_and_the_rest_is_kept() {
        assert_eq!(
            redact("amqp://guest:guest@127.0.0.1:5672/%2f"),
            "amqp://guest:***@127.0.0.1:5672/%2f"
        );
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(
            redact("A=mongodb://u:p@h/db B=redis://:x@r"),
            "A=mongodb://u:***@h/db B=redis://:***@r"
        );
        assert_eq!(redact("no url here"), "no url here");
    }
}
