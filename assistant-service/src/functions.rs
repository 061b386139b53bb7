//! Function calling: a registry of named functions with JSON Schemas, and the shop's four
//! functions over the owning services.

pub mod loyalty;
pub mod registry;
pub mod schema;
pub mod shop;

pub use registry::{CallContext, FunctionError, Registry};
