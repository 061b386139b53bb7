//! The `order-service` binary: configuration from the environment, then [`order_service::run`].

use order_service::{Config, DEFAULTS};

fn main() -> std::process::ExitCode {
    shared::server::main(
        DEFAULTS.name,
        Config::from_env,
        |c| c.service.bind_address(),
        order_service::run,
    )
}
