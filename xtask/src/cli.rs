//! Command-line arguments: `up`, `down`, `status`, `seed`, `test [-- args]`, `e2e`,
//! `fuzz [options]`, `bench <name>`, `drill [name]`, `help`.

use crate::{bench, drill, fuzz};

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Start the infrastructure and every service, wait until healthy.
    Up,
    /// Stop what `up` (or `test`) started, and only that.
    Down,
    /// Show the dependencies and services.
    Status,
    /// Create the demo data through the running suite's public API (idempotent).
    Seed,
    /// Start the infrastructure, run the workspace tests with these extra arguments, then the
    /// browser tests.
    Test(Vec<String>),
    /// The browser tests alone, against the running suite or one started for them.
    E2e,
    /// Fuzz the public API from its OpenAPI document.
    Fuzz(fuzz::Options),
    /// Run one benchmark.
    Bench(bench::Name),
    /// Inject faults under load and check the delivery guarantees.
    Drill(Vec<drill::Kind>),
    /// Print the usage.
    Help,
}

/// The usage text, printed by `help`, with no arguments, and after a bad one.
pub const USAGE: &str = "\
Usage: cargo xtask <command>

Commands:
  up                 install what is missing, start Redis, RabbitMQ and MongoDB if they are not
                     running, build the web front end (npm ci when node_modules is missing or
                     the lockfile changed, npm run build), build and start all seven services,
                     wait until they are healthy, then seed; prints the storefront and console
                     URLs and the demo logins
  down               stop the services and the infrastructure that xtask started (and only that)
  status             show each dependency and service, and whether xtask started it
  seed               through the gateway's public API: register the demo customers (12, among
                     them demo@example.com) and, when the catalog is empty, create 25 products;
                     safe to run again; prints the demo logins
  test [-- args]     start the infrastructure, then run the workspace tests (cargo nextest if
                     installed, else cargo test); extra args are passed to the runner; then
                     the browser tests (as `e2e`)
  e2e                the browser tests in web/e2e: installs Debian's chromium if
                     /usr/bin/chromium is missing, builds the web, uses the suite on :5000 or
                     starts one as `up` does (and stops it afterwards), seeds it, then
                     `npm run e2e` with BASE_URL
  fuzz [--max-examples N] [--seed N]
                     schemathesis (pinned, in .local/venv) against the gateway's
                     /api/openapi.json, as the admin and as the demo customer: no 5xx, only
                     declared status codes and content types. Starts (and afterwards stops)
                     the suite with high rate limits when the gateway is not running. Writes
                     bench/results/fuzz.md; exits non-zero on any finding. Defaults: 100, 1
  bench gateway      release builds on spare ports; GET /api/products/:id direct, through
                     nginx and through the gateway (with and without a token), measured with
                     wrk; installs nginx and wrk if missing; writes bench/results/gateway.{json,md}
  bench assistant    release build on a spare port, no LLM; 2,000 chat messages from 4 threads;
                     replies/s, p50/p95/p99/max; writes bench/results/assistant.{json,md}
  bench orders       the seven services (release, spare ports, this run's databases) and the
                     loadgen crate: browse, search, log in, order and follow the order's SSE
                     stream through the gateway at rising rates until one is not sustained,
                     each rate by POST /orders (direct) and then by cart, quote, coupon and
                     POST /checkout with the test card (shop); orders/s, request p50/p99,
                     change stored → SSE client p50/p99, shop ÷ direct side by side;
                     writes bench/results/orders.{json,md}
  bench streams      one order-service per step, 1,000, 5,000 and 10,000 SSE + as many
                     WebSocket subscribers of one order from loadgen; memory per stream and
                     the time one change takes to reach them all; writes
                     bench/results/streams.{json,md}
  bench footprint    the seven services' start-up time to healthy and resident memory idle
                     and after an orders load; writes bench/results/footprint.{json,md}
  bench relay        the outbox relay (loadgen, release) draining 20,000 pending events in
                     2,000 documents against a plain lapin publisher's pipelined-confirm
                     ceiling on the same broker, measured in the same run; their ratio;
                     writes bench/results/relay.{json,md}
  bench search       two release product-services over one catalog of 200 products, one with
                     the embedding model and one without; 2,000 searches each from 4 threads
                     (exact words and needs in other words); requests/s, p50/p95/p99 and
                     resident memory side by side; writes bench/results/search.{json,md}
  bench all          gateway, orders, streams, footprint, assistant, search, relay in turn,
                     then one summary of every target (met or MISSED)
  drill [broker|database|service|network|all]
                     under a steady order load: RabbitMQ stopped for 20 s / MongoDB stopped
                     for 20 s / each service killed (SIGKILL) and restarted / order-service
                     cut off the broker at a TCP proxy for 20 s; then every accepted order
                     final, stock, analytics, alerts and live subscribers checked. Uses the
                     running suite, or starts (and afterwards stops) one. Writes
                     bench/results/drill.{md,json}; exits non-zero on any loss or duplicate.
                     Default: all
  help               this text

Environment:
  MONGODB_URI, AMQP_URL, REDIS_URL   use these instead of local servers (nothing is started)
  RUST_LOG                           log filter for the services (default: info)
  GATEWAY_URL                        the gateway `seed` talks to (default: http://127.0.0.1:5000)
  ADMIN_EMAIL, ADMIN_PASSWORD        the admin account (default: admin@example.com,
                                     admin-dev-password); `up` passes them to customer-service

Files: logs in .local/logs/, pid files and state in .local/run/.";

/// Parses the arguments after `cargo xtask`.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
    let mut args = args.into_iter();
    let Some(first) = args.next() else {
        return Ok(Command::Help);
    };
    let rest: Vec<String> = args.collect();
    let command = match first.as_str() {
        "up" => Command::Up,
        "down" => Command::Down,
        "status" => Command::Status,
        "seed" => Command::Seed,
        "e2e" => Command::E2e,
        "help" | "-h" | "--help" => return Ok(Command::Help),
        "fuzz" => return parse_fuzz(&rest).map(Command::Fuzz),
        "bench" => {
            return match rest.as_slice() {
                [name] => bench::Name::parse(name).map(Command::Bench),
                [] => Err("`bench` needs a benchmark: `cargo xtask bench gateway`".to_owned()),
                [_, extra, ..] => Err(format!("`bench` takes one name (got `{extra}` too)")),
            };
        }
        "drill" => {
            return match rest.as_slice() {
                [] => Ok(Command::Drill(drill::ALL.to_vec())),
                [name] => drill::Kind::parse(name).map(Command::Drill),
                [_, extra, ..] => Err(format!("`drill` takes one name (got `{extra}` too)")),
            };
        }
        "test" => {
            let extra = match rest.split_first() {
                Some((separator, tail)) if separator == "--" => tail.to_vec(),
                _ => rest,
            };
            return Ok(Command::Test(extra));
        }
        other => return Err(format!("unknown command `{other}`")),
    };
    match rest.first() {
        Some(extra) => Err(format!("`{first}` takes no arguments (got `{extra}`)")),
        None => Ok(command),
    }
}

/// `--max-examples N` and `--seed N`, in any order.
fn parse_fuzz(args: &[String]) -> Result<fuzz::Options, String> {
    let mut options = fuzz::Options::default();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("`{flag}` needs a value"))?;
        let bad = || format!("`{flag}` needs a positive whole number, not `{value}`");
        match flag.as_str() {
            "--max-examples" | "-n" => {
                options.max_examples = value.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
            }
            "--seed" => options.seed = value.parse().map_err(|_| bad())?,
            other => return Err(format!("`fuzz` does not know `{other}`")),
        }
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &str) -> Result<Command, String> {
        parse(words.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn no_arguments_means_help() {
        assert_eq!(parse_words(""), Ok(Command::Help));
        assert_eq!(parse_words("--help"), Ok(Command::Help));
        assert_eq!(parse_words("help up"), Ok(Command::Help));
    }

    #[test]
    fn simple_commands_parse() {
        assert_eq!(parse_words("up"), Ok(Command::Up));
        assert_eq!(parse_words("down"), Ok(Command::Down));
        assert_eq!(parse_words("status"), Ok(Command::Status));
        assert_eq!(parse_words("seed"), Ok(Command::Seed));
        assert_eq!(parse_words("e2e"), Ok(Command::E2e));
        assert!(parse_words("e2e now").is_err());
    }

    #[test]
    fn test_passes_everything_after_the_separator_through() {
        assert_eq!(parse_words("test"), Ok(Command::Test(vec![])));
        assert_eq!(
            parse_words("test -- -p shared -- --nocapture"),
            Ok(Command::Test(
                ["-p", "shared", "--", "--nocapture"]
                    .map(str::to_owned)
                    .to_vec()
            ))
        );
        assert_eq!(
            parse_words("test -p shared"),
            Ok(Command::Test(vec!["-p".to_owned(), "shared".to_owned()]))
        );
    }

    #[test]
    fn fuzz_takes_its_budget_and_seed() {
        assert_eq!(
            parse_words("fuzz"),
            Ok(Command::Fuzz(fuzz::Options::default()))
        );
        assert_eq!(
            parse_words("fuzz --seed 9 --max-examples 5"),
            Ok(Command::Fuzz(fuzz::Options {
                max_examples: 5,
                seed: 9
            }))
        );
        assert!(parse_words("fuzz --max-examples 0").is_err());
        assert!(parse_words("fuzz --max-examples").is_err());
        assert!(parse_words("fuzz --fast 1").is_err());
    }

    #[test]
    fn bench_takes_exactly_one_known_name() {
        assert_eq!(
            parse_words("bench gateway"),
            Ok(Command::Bench(bench::Name::Gateway))
        );
        assert_eq!(
            parse_words("bench assistant"),
            Ok(Command::Bench(bench::Name::Assistant))
        );
        assert!(parse_words("bench").is_err());
        assert!(parse_words("bench gateway orders").is_err());
        assert_eq!(
            parse_words("bench orders"),
            Ok(Command::Bench(bench::Name::Orders))
        );
        assert_eq!(
            parse_words("bench all"),
            Ok(Command::Bench(bench::Name::All))
        );
        assert!(parse_words("bench everything").is_err());
    }

    #[test]
    fn drill_takes_one_name_or_none_for_all() {
        assert_eq!(
            parse_words("drill"),
            Ok(Command::Drill(drill::ALL.to_vec()))
        );
        assert_eq!(
            parse_words("drill network"),
            Ok(Command::Drill(vec![drill::Kind::Network]))
        );
        assert!(parse_words("drill disk").is_err());
        assert!(parse_words("drill broker network").is_err());
    }

    #[test]
    fn unknown_commands_and_stray_arguments_are_errors() {
        assert!(parse_words("deploy").is_err());
        assert!(parse_words("up --fast").is_err());
        assert!(parse_words("seed now").is_err());
    }
}
