//! The `alert-service` binary: configuration from the environment, then [`alert_service::run`].

use alert_service::{Config, DEFAULTS};

fn main() -> std::process::ExitCode {
    shared::server::main(
        DEFAULTS.name,
        Config::from_env,
        |c| c.service.bind_address(),
        alert_service::run,
    )
}
