//! order-service's routes: `/orders*`, `/cart*` and `/checkout` here, the live streams in [`crate::live`].

pub mod cart;
pub mod checkout;
pub mod create;
pub mod once;
pub mod orders;
pub mod status;
