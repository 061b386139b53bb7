//! Money, days, figures and Prometheus text: the rules of analytics, no I/O.

pub mod day;
pub mod figures;
pub mod money;
pub mod prometheus;

pub use day::{Day, DayRange};
pub use money::Cents;
