//! Function calling: a registry of named functions with JSON Schemas, and the shop's four
//! functions over the owning services (`returns`: which orders can still be returned).

pub mod loyalty;
pub mod registry;
pub mod returns;
pub mod schema;
pub mod shop;

pub use registry::{CallContext, FunctionError, Registry};
