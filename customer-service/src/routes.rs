//! customer-service's routes.

pub mod auth;
pub mod customers;
pub mod jwks;
