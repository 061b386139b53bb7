//! customer-service's routes.

pub mod addresses;
pub mod auth;
pub mod customers;
pub mod holds;
pub mod internal;
pub mod jwks;
pub mod loyalty;
pub mod payment_methods;
pub mod wishlist;
