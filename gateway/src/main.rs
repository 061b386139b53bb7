//! The `gateway` binary: configuration from the environment, then [`gateway::run`].

use gateway::{Config, DEFAULTS};

fn main() -> std::process::ExitCode {
    shared::server::main(
        DEFAULTS.name,
        Config::from_env,
        |c| c.service.bind_address(),
        gateway::run,
    )
}
