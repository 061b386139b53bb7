//! The `gateway` binary: configuration from the environment, then [`gateway::run`].

use gateway::{Config, DEFAULTS};

/// mimalloc instead of glibc malloc: allocation (and glibc's arena lock) was 15–22 % of the
/// gateway's profile under load (`cargo xtask bench gateway`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    shared::server::main(
        DEFAULTS.name,
        Config::from_env,
        |c| c.service.bind_address(),
        gateway::run,
    )
}
