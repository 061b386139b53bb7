//! Order domain types and their rules, without I/O: parsed once at the edge, valid after.

pub mod cart;
pub mod coupon;
pub mod order;
pub mod payment;
pub mod pricing;
pub mod request;
pub mod returns;
pub mod shipment;
pub mod status;
pub mod subscription;
pub mod transition;

pub use order::{Address, HistoryEntry, Line, Order, OrderView};
pub use payment::{Payment, PaymentStatus};
pub use pricing::{Discounts, Quote};
pub use request::{NewOrder, RequestedLine};
pub use shared::{Money, Problems};
pub use status::Status;
pub use transition::{Change, Illegal};
