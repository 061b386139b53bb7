//! customer-service through real HTTP against the real MongoDB, RabbitMQ and Redis.

mod auth;
mod binary;
mod customers;
mod helpers;
mod lookalikes;
mod reuse;
mod sessions;
mod throttle;
