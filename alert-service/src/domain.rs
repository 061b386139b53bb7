//! Alerts and the rules that make them from events; no I/O.

pub mod alert;
pub mod rules;

pub use alert::{Alert, Entity, NewAlert, Severity, Topic};
