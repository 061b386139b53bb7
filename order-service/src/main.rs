//! The `order-service` binary: configuration from the environment, then [`order_service::run`];
//! or, as `order-service seed`, the demo orders from the JSON on stdin ([`order_service::seed`]).

use std::process::ExitCode;

use order_service::{Config, DEFAULTS};

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        None => shared::server::main(
            DEFAULTS.name,
            Config::from_env,
            |c| c.service.bind_address(),
            order_service::run,
        ),
        Some("seed") => {
            order_service::seed::command(&shared::config::Env::process(), std::io::stdin())
        }
        Some(other) => {
            eprintln!("order-service: unknown argument {other:?}; usage: order-service [seed]");
            ExitCode::from(2)
        }
    }
}
