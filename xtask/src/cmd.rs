//! The subcommands, one file each; `main` dispatches to their `run`.

pub mod down;
pub mod seed;
pub mod status;
pub mod test;
pub mod up;
