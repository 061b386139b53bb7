//! Days, figures and Prometheus text: the rules of analytics, no I/O. Money is
//! [`shared::Money`]; sums are kept as plain cents ([`Cents`]) for MongoDB's `$sum`.
//!
//! - `ledger`: what an order brought in (revenue recognised on payment, taken back by refunds).
//! - `funnel`, `discounts`, `loyalty`: the commerce reports, from ledger rows and point moves.
//! - `clicks`: the shoppers' funnel and searches, from the clickstream and the ledger.

pub mod clicks;
pub mod day;
pub mod discounts;
pub mod figures;
pub mod funnel;
pub mod ledger;
pub mod loyalty;
pub mod prometheus;

pub use day::{Day, DayRange};
pub use figures::Cents;
