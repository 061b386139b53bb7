//! The catalog's rules, with no I/O: products and their validation, list queries, search ranking (by words, and by meaning with the embedding model), reviews and ratings, and the stock messages exchanged with order-service.
//!
//! Raw input becomes one of these types once, at the edge; the rest of the service cannot hold
//! an invalid product, price or query.

pub mod category;
pub mod draft;
pub mod image;
pub mod location;
pub mod product;
pub mod query;
pub mod review;
pub mod search;
pub mod semantic;
pub mod stock;
pub mod variant;
