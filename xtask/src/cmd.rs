//! The subcommands, one file each; `main` dispatches to their `run`.

pub mod bench;
pub mod down;
pub mod drill;
pub mod e2e;
pub mod fuzz;
pub mod seed;
pub mod status;
pub mod test;
pub mod up;
