//! customer-service through real HTTP against the real MongoDB, RabbitMQ and Redis.

mod auth;
mod customers;
mod helpers;
mod sessions;
