//! The `analytics-service` binary: configuration from the environment, then [`analytics_service::run`].

use analytics_service::{Config, DEFAULTS};

fn main() -> std::process::ExitCode {
    shared::server::main(
        DEFAULTS.name,
        Config::from_env,
        |c| c.service.bind_address(),
        analytics_service::run,
    )
}
