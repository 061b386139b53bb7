//! Days, figures and Prometheus text: the rules of analytics, no I/O. Money is
//! [`shared::Money`]; sums are kept as plain cents ([`Cents`]) for MongoDB's `$sum`.

pub mod day;
pub mod figures;
pub mod prometheus;

pub use day::{Day, DayRange};
pub use figures::Cents;
