//! customer-service through real HTTP against the real MongoDB, RabbitMQ and Redis.

mod addresses;
mod auth;
mod binary;
mod card_secrets;
mod contact;
mod customers;
mod helpers;
mod lookalikes;
mod loyalty;
mod payment_methods;
mod points;
mod privacy;
mod reuse;
mod sessions;
mod staff;
mod stand_in;
mod throttle;
mod wishlist;
