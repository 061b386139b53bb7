//! order-service's routes: `/orders*` here, the live streams in [`crate::live`].

pub mod create;
pub mod orders;
pub mod status;
