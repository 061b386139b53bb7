//! wrk, the load generator: the command for one measurement and what its `--latency` report
//! says (requests per second, latency percentiles in its `us`/`ms`/`s`/`m`/`h` units, errors).

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

/// One load run: where, how hard, how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Load {
    /// The full URL (`http://127.0.0.1:port/path`).
    pub url: String,
    /// Open connections, kept alive.
    pub connections: u32,
    /// wrk threads.
    pub threads: u32,
    /// How long to send.
    pub duration: Duration,
    /// Extra headers, `Name: value`.
    pub headers: Vec<String>,
    /// A Lua script for a request other than a bodiless `GET` ([`Load::script`]).
    pub script: Option<PathBuf>,
}

impl Load {
    /// The Lua script that makes wrk send `method` with the JSON `body` on every request.
    pub fn script(method: &str, body: &str) -> String {
        // A long bracket of its own level: the body is taken as it is, escapes and all.
        let mut level = String::from("=");
        while body.contains(&format!("]{level}]")) {
            level.push('=');
        }
        format!(
            "-- Written by `cargo xtask bench`: {method} with a JSON body.\n\
             wrk.method = \"{method}\"\n\
             wrk.headers[\"Content-Type\"] = \"application/json\"\n\
             wrk.body = [{level}[{body}]{level}]\n"
        )
    }

    /// `wrk -t<threads> -c<connections> -d<seconds>s --latency [-H ...] [-s script] <url>`.
    pub fn command(&self, wrk: &Path) -> Command {
        let mut cmd = Command::new(wrk);
        cmd.arg(format!("-t{}", self.threads))
            .arg(format!("-c{}", self.connections))
            .arg(format!("-d{}s", self.duration.as_secs().max(1)))
            // A request slower than this counts as a timeout error instead of a latency.
            .args(["--timeout", "5s", "--latency"]);
        for header in &self.headers {
            cmd.args(["-H", header]);
        }
        if let Some(script) = &self.script {
            cmd.arg("-s").arg(script);
        }
        cmd.arg(&self.url);
        cmd
    }
}

/// What one wrk run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// `Requests/sec:`.
    pub requests_per_sec: f64,
    /// Completed requests (`N requests in 10.00s`).
    pub requests: u64,
    /// The run's length as wrk measured it, in seconds.
    pub seconds: f64,
    /// Latency percentiles in microseconds: 50, 75, 90, 99.
    pub p50_us: f64,
    /// 75th percentile.
    pub p75_us: f64,
    /// 90th percentile.
    pub p90_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// `Non-2xx or 3xx responses:` (0 when wrk prints no such line).
    pub non_2xx: u64,
    /// Connect, read, write and timeout errors added up (`Socket errors:`).
    pub socket_errors: u64,
}

impl Report {
    /// Reads wrk's standard output.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut percentiles = [None; 4];
        let mut report = Self {
            requests_per_sec: f64::NAN,
            requests: 0,
            seconds: f64::NAN,
            p50_us: 0.0,
            p75_us: 0.0,
            p90_us: 0.0,
            p99_us: 0.0,
            non_2xx: 0,
            socket_errors: 0,
        };
        let mut saw_total = false;
        for line in text.lines().map(str::trim) {
            if let Some(rate) = line.strip_prefix("Requests/sec:") {
                report.requests_per_sec = rate
                    .trim()
                    .parse()
                    .map_err(|_| format!("bad Requests/sec {rate:?}"))?;
            } else if let Some(count) = line.strip_prefix("Non-2xx or 3xx responses:") {
                report.non_2xx = count.trim().parse().map_err(|_| format!("bad {line:?}"))?;
            } else if let Some(errors) = line.strip_prefix("Socket errors:") {
                report.socket_errors = socket_errors(errors)?;
            } else if let Some((count, rest)) = line.split_once(" requests in ") {
                report.requests = count.trim().parse().map_err(|_| format!("bad {line:?}"))?;
                let duration = rest.split(',').next().unwrap_or_default();
                report.seconds = time_us(duration)? / 1e6;
                saw_total = true;
            } else if let Some((percent, value)) = line.split_once('%') {
                let slot = match percent.trim() {
                    "50" => 0,
                    "75" => 1,
                    "90" => 2,
                    "99" => 3,
                    _ => continue,
                };
                percentiles[slot] = Some(time_us(value)?);
            }
        }
        if report.requests_per_sec.is_nan() || !saw_total {
            return Err("no `Requests/sec:` or `N requests in` line: did wrk run?".to_owned());
        }
        let [Some(p50), Some(p75), Some(p90), Some(p99)] = percentiles else {
            return Err("no latency distribution: was wrk run with --latency?".to_owned());
        };
        (report.p50_us, report.p75_us, report.p90_us, report.p99_us) = (p50, p75, p90, p99);
        Ok(report)
    }

    /// The share of answers that were not 2xx/3xx or never came.
    pub fn error_share(&self) -> f64 {
        let bad = (self.non_2xx + self.socket_errors) as f64;
        let all = (self.requests + self.socket_errors) as f64;
        if all == 0.0 { 1.0 } else { bad / all }
    }
}

/// `connect 0, read 1, write 0, timeout 2` added up.
fn socket_errors(text: &str) -> Result<u64, String> {
    text.split(',')
        .map(|part| {
            let count = part.split_whitespace().last().unwrap_or_default();
            count
                .parse::<u64>()
                .map_err(|_| format!("bad socket error count {part:?}"))
        })
        .sum()
}

/// One of wrk's times (`250.00us`, `1.23ms`, `2.00s`, `1.50m`, `1.00h`) in microseconds.
pub fn time_us(text: &str) -> Result<f64, String> {
    let text = text.trim();
    // Longest suffixes first: `ms` and `us` also end in `s`.
    let (number, scale) = [
        ("us", 1.0),
        ("ms", 1e3),
        ("s", 1e6),
        ("m", 60e6),
        ("h", 3600e6),
    ]
    .iter()
    .find_map(|(unit, scale)| text.strip_suffix(unit).map(|n| (n, *scale)))
    .ok_or_else(|| format!("{text:?} has no time unit (us, ms, s, m, h)"))?;
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("bad time {text:?}"))?;
    Ok(value * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
Running 10s test @ http://127.0.0.1:41000/api/products/6b06d367fdda5118c4a5da3c
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.52ms    2.01ms  41.13ms   91.02%
    Req/Sec    12.35k     1.02k   14.80k    71.50%
  Latency Distribution
     50%  850.00us
     75%    1.49ms
     90%    3.05ms
     99%   10.27ms
  245799 requests in 10.00s, 98.45MB read
Requests/sec:  24574.12
Transfer/sec:      9.84MB
";

    #[test]
    fn a_latency_report_parses_into_rate_and_percentiles() {
        let report = Report::parse(SAMPLE).expect("parses");
        assert_eq!(report.requests_per_sec, 24574.12);
        assert_eq!(report.requests, 245_799);
        assert_eq!(report.seconds, 10.0);
        assert_eq!(report.p50_us, 850.0);
        assert_eq!(report.p75_us, 1490.0);
        assert_eq!(report.p90_us, 3050.0);
        assert_eq!(report.p99_us, 10270.0);
        assert_eq!((report.non_2xx, report.socket_errors), (0, 0));
        assert_eq!(report.error_share(), 0.0);
    }

    #[test]
    fn every_time_unit_wrk_prints_is_understood() {
        assert_eq!(time_us("12.00us"), Ok(12.0));
        assert_eq!(time_us(" 1.50ms"), Ok(1500.0));
        assert_eq!(time_us("2.00s"), Ok(2_000_000.0));
        assert_eq!(time_us("1.50m"), Ok(90_000_000.0));
        assert_eq!(time_us("1.00h"), Ok(3_600_000_000.0));
        assert!(time_us("12.00").is_err());
        assert!(time_us("fastms").is_err());
    }

    #[test]
    fn errors_and_non_2xx_answers_are_counted() {
        let text = SAMPLE.replace(
            "Requests/sec:",
            "  Socket errors: connect 0, read 3, write 1, timeout 6\n  \
             Non-2xx or 3xx responses: 90\nRequests/sec:",
        );
        let report = Report::parse(&text).expect("parses");
        assert_eq!((report.non_2xx, report.socket_errors), (90, 10));
        assert!((report.error_share() - 100.0 / 245_809.0).abs() < 1e-12);
    }

    #[test]
    fn output_without_totals_or_latency_is_an_error() {
        assert!(Report::parse("unable to connect to 127.0.0.1:1 Connection refused").is_err());
        let without_latency: String = SAMPLE
            .lines()
            .filter(|line| !line.contains('%') || line.contains("Stdev"))
            .map(|line| format!("{line}\n"))
            .collect();
        assert!(Report::parse(&without_latency).is_err());
    }

    #[test]
    fn the_command_names_threads_connections_duration_and_headers() {
        let load = Load {
            url: "http://127.0.0.1:1/x".to_owned(),
            connections: 32,
            threads: 2,
            duration: Duration::from_secs(10),
            headers: vec!["Authorization: Bearer t".to_owned()],
            script: Some(PathBuf::from("/w/put.lua")),
        };
        let cmd = load.command(Path::new("/usr/bin/wrk"));
        let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy()).collect();
        assert_eq!(
            args,
            [
                "-t2",
                "-c32",
                "-d10s",
                "--timeout",
                "5s",
                "--latency",
                "-H",
                "Authorization: Bearer t",
                "-s",
                "/w/put.lua",
                "http://127.0.0.1:1/x"
            ]
        );
    }

    #[test]
    fn a_script_sends_the_method_and_the_body_as_it_is() {
        let script = Load::script("PUT", r#"{"name":"a]=]b \"q\""}"#);
        assert!(script.contains("wrk.method = \"PUT\"\n"), "{script}");
        assert!(script.contains("wrk.headers[\"Content-Type\"] = \"application/json\"\n"));
        assert!(
            script.contains(r#"wrk.body = [==[{"name":"a]=]b \"q\""}]==]"#),
            "{script}"
        );
    }
}
