//! What assistant-service publishes (`assistant.replied`, `support.escalated`, both through the
//! outbox of [`shared::outbox`]) and what it consumes (its queue `topology::ASSISTANT`).

pub mod consumer;
pub mod payloads;
