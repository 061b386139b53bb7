//! The `customer-service` binary: configuration from the environment, then [`customer_service::run`].

use customer_service::{Config, DEFAULTS};

fn main() -> std::process::ExitCode {
    shared::server::main(
        DEFAULTS.name,
        Config::from_env,
        |c| c.service.bind_address(),
        customer_service::run,
    )
}
