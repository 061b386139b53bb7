//! Function calling: a registry of named functions with JSON Schemas, and the shop's three
//! functions over the owning services.

pub mod registry;
pub mod schema;
pub mod shop;

pub use registry::{CallContext, FunctionError, Registry};
