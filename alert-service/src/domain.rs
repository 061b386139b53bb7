//! Alerts, customer notifications and their mail, and the rules that make them from events;
//! no I/O.

pub mod alert;
pub mod letter;
pub mod notification;
pub mod notify;
pub mod rules;

pub use alert::{Alert, Entity, NewAlert, Severity, Topic};
