//! nginx as the yardstick: a plain reverse proxy to product-service with a keep-alive
//! upstream, run from our own config (`.local/bench/nginx.conf`) in the foreground as our
//! child, with its pid, logs and temporary files under `.local/bench/nginx/`.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// Where nginx listens and what it proxies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// The port nginx listens on (127.0.0.1).
    pub listen: u16,
    /// product-service's port (127.0.0.1).
    pub upstream: u16,
    /// A second port where nginx answers every request `200` with no body: the OTLP/HTTP
    /// endpoint of the traced rows, which takes the spans and drops them (what an exporter
    /// pays is measured, not a collector's work).
    pub otlp_sink: u16,
    /// nginx's prefix folder: pid file, error log, temporary files.
    pub prefix: PathBuf,
}

/// Idle keep-alive connections each worker keeps to product-service; more than the
/// benchmark's connections, so no request waits for a new TCP connection once warm (the
/// gateway's pool keeps as many).
pub const UPSTREAM_KEEPALIVE: u32 = 64;

impl Proxy {
    /// The configuration: as many workers as cores, no access log, `/api/products/...`
    /// proxied to `/products/...` over HTTP/1.1 keep-alive; and the OTLP sink.
    pub fn render(&self) -> String {
        let prefix = self.prefix.display();
        let temp = |name: &str| format!("{prefix}/tmp/{name}");
        format!(
            "# Written by `cargo xtask bench gateway`: a plain reverse proxy to product-service,
# the yardstick the gateway is measured against. Regenerated on every run.
worker_processes auto;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;

events {{
    worker_connections 4096;
}}

http {{
    access_log off;
    client_body_temp_path {client};
    proxy_temp_path {proxy};
    fastcgi_temp_path {fastcgi};
    uwsgi_temp_path {uwsgi};
    scgi_temp_path {scgi};

    upstream product_service {{
        server 127.0.0.1:{upstream};
        keepalive {UPSTREAM_KEEPALIVE};
    }}

    server {{
        listen 127.0.0.1:{listen};

        location /api/products/ {{
            proxy_pass http://product_service/products/;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }}
    }}

    server {{
        listen 127.0.0.1:{otlp_sink};

        location / {{
            return 200;
        }}
    }}
}}
",
            client = temp("client_body"),
            proxy = temp("proxy"),
            fastcgi = temp("fastcgi"),
            uwsgi = temp("uwsgi"),
            scgi = temp("scgi"),
            upstream = self.upstream,
            listen = self.listen,
            otlp_sink = self.otlp_sink,
        )
    }

    /// `nginx -p <prefix> -e <prefix>/error.log -c <config>` (in the foreground: the
    /// config says `daemon off`, so the child is nginx's master process).
    pub fn command(&self, nginx: &Path, config: &Path) -> Command {
        let mut cmd = Command::new(nginx);
        cmd.arg("-p")
            .arg(&self.prefix)
            // Before the config is read nginx logs to its compiled-in path; point it here.
            .arg("-e")
            .arg(self.prefix.join("error.log"))
            .arg("-c")
            .arg(config);
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy() -> Proxy {
        Proxy {
            listen: 41080,
            upstream: 41002,
            otlp_sink: 41081,
            prefix: PathBuf::from("/w/.local/bench/nginx"),
        }
    }

    #[test]
    fn the_config_proxies_products_to_a_keepalive_upstream() {
        let text = proxy().render();
        assert!(text.contains("server 127.0.0.1:41002;\n        keepalive 64;"));
        assert!(text.contains("listen 127.0.0.1:41080;"));
        assert!(text.contains("proxy_pass http://product_service/products/;"));
        assert!(text.contains("proxy_http_version 1.1;"));
        assert!(text.contains("proxy_set_header Connection \"\";"));
        assert!(text.contains("access_log off;"));
        assert!(
            text.contains(
                "listen 127.0.0.1:41081;\n\n        location / {\n            return 200;"
            )
        );
    }

    #[test]
    fn the_config_keeps_every_file_under_the_prefix_and_stays_in_the_foreground() {
        let text = proxy().render();
        assert!(text.contains("daemon off;"));
        assert!(text.contains("pid /w/.local/bench/nginx/nginx.pid;"));
        assert!(text.contains("error_log /w/.local/bench/nginx/error.log warn;"));
        for line in text.lines().filter(|l| l.contains("_temp_path")) {
            assert!(line.contains(" /w/.local/bench/nginx/tmp/"), "{line}");
        }
        // Balanced braces: nginx would refuse the file otherwise.
        assert_eq!(text.matches('{').count(), text.matches('}').count());
    }

    #[test]
    fn the_command_names_prefix_error_log_and_config() {
        let cmd = proxy().command(Path::new("/usr/sbin/nginx"), Path::new("/w/n.conf"));
        let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy()).collect();
        assert_eq!(
            args,
            [
                "-p",
                "/w/.local/bench/nginx",
                "-e",
                "/w/.local/bench/nginx/error.log",
                "-c",
                "/w/n.conf"
            ]
        );
    }
}
