//! alert-service's routes.

pub mod alerts;
pub mod notifications;
