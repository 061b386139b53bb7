//! The `product-service` binary: configuration from the environment, then [`product_service::run`].

use product_service::{Config, DEFAULTS};

fn main() -> std::process::ExitCode {
    shared::server::main(
        DEFAULTS.name,
        Config::from_env,
        |c| c.service.bind_address(),
        product_service::run,
    )
}
