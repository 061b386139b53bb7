//! order-service's routes: `/orders*`, `/cart*`, `/checkout` and `/coupons*`, `/returns*`, `/subscriptions*` here, the live streams in [`crate::live`].

pub mod cart;
pub mod checkout;
pub mod coupons;
pub mod create;
pub mod once;
pub mod orders;
pub mod returns;
pub mod status;
pub mod subscriptions;
