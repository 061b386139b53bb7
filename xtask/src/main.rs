//! `cargo xtask`: run the shop suite on one machine — infrastructure, services, tests.
//!
//! # Layout
//! - [`cli`]: the arguments, parsed into a [`cli::Command`], and the usage text.
//! - `cmd/`: one file per subcommand: [`cmd::up`], [`cmd::down`], [`cmd::status`], [`cmd::seed`],
//!   [`cmd::test`].
//! - [`infra`] and `infra/`: Redis, RabbitMQ and MongoDB — use what is configured or running,
//!   install and start what is missing, stop only what `xtask` started ([`state`]).
//! - [`services`]: the seven binaries and their ports; build, launch, wait for `/health`.
//! - [`ctx`]: paths under `.local/` and the progress printer; [`exec`] and [`apt`]: external
//!   commands, printed before they run; [`proc`]: pid files and signals.
//! - [`seed`] and `seed/`: demo data through the public API, from the files in `xtask/seed/`.
//! - [`net`], [`http`], [`json`], [`health`]: probes and requests written over std (no HTTP or
//!   JSON crate).

mod apt;
mod cli;
mod cmd;
mod ctx;
mod exec;
mod health;
mod http;
mod infra;
mod json;
mod net;
mod proc;
mod seed;
mod services;
mod state;

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
    };
    result.unwrap_or_else(|error| {
        eprintln!("\nerror: {error:#}");
        ExitCode::FAILURE
    })
}
