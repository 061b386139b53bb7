//! Customer domain types and their rules: parsed once at the edge, valid everywhere after.

pub mod addresses;
pub mod customer;
pub mod email;
pub mod loyalty;
pub mod password;
pub mod payment_methods;
pub mod profile;
pub mod wishlist;

pub use customer::{Customer, CustomerView};
pub use email::Email;
pub use password::Password;
pub use profile::{Address, Name, Phone};
pub use shared::Problems;
