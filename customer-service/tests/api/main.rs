//! customer-service through real HTTP against the real MongoDB, RabbitMQ and Redis.

mod addresses;
mod auth;
mod binary;
mod customers;
mod helpers;
mod lookalikes;
mod loyalty;
mod points;
mod reuse;
mod sessions;
mod stand_in;
mod throttle;
