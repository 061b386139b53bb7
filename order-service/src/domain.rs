//! Order domain types and their rules, without I/O: parsed once at the edge, valid after.

pub mod money;
pub mod order;
pub mod problems;
pub mod request;
pub mod shipment;
pub mod status;
pub mod transition;

pub use money::Money;
pub use order::{Address, HistoryEntry, Line, Order, OrderView};
pub use problems::Problems;
pub use request::{NewOrder, RequestedLine};
pub use status::Status;
pub use transition::{Change, Illegal};
