//! order-service's routes: `/orders*` and `/cart*` here, the live streams in [`crate::live`].

pub mod cart;
pub mod create;
pub mod orders;
pub mod status;
