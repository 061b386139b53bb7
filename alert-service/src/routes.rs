//! alert-service's routes.

pub mod alerts;
