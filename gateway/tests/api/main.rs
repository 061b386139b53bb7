//! The gateway in front of real services (and, for the proxy's mechanics, a small echo server).

mod agreement;
mod answers;
mod cart;
mod checkout;
mod conformance;
mod credentials;
mod docs;
mod drill;
mod guard;
mod health;
mod helpers;
mod lane;
mod loyalty;
mod metrics;
mod payment_methods;
mod proxy;
mod raw;
mod refusals;
mod request_id;
mod returns;
mod revocation;
mod slow_clients;
mod suite;
mod suite_helpers;
mod web;
mod websocket;
