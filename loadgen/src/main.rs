//! The `loadgen` binary: parses the command line ([`loadgen::args`]), runs the load on a
//! Tokio runtime and prints the figures as one JSON document on stdout.

use std::process::ExitCode;

use loadgen::args::{self, Command};

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let command = match args::parse(&argv) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("loadgen: {message}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("loadgen: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match &command {
            Command::Orders(params) => loadgen::orders::run(params).await,
            Command::Streams(params) => loadgen::streams::run(params).await,
            Command::Drill(params) => loadgen::drill::cli::run(params).await,
            Command::Relay(params) => loadgen::relay::run(params).await,
            Command::Clean(params) => loadgen::clean::run(params).await,
        }
    });
    match result {
        Ok(figures) => {
            println!("{figures}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            ExitCode::FAILURE
        }
    }
}
