//! The `assistant-service` binary: configuration from the environment, then [`assistant_service::run`].

use assistant_service::{Config, DEFAULTS};

fn main() -> std::process::ExitCode {
    shared::server::main(
        DEFAULTS.name,
        Config::from_env,
        |c| c.service.bind_address(),
        assistant_service::run,
    )
}
