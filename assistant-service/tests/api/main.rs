//! assistant-service through real HTTP and WebSocket, against the real customer-, product- and
//! order-service and the real MongoDB, RabbitMQ and Redis.

mod chat;
mod erasure;
mod events;
mod fallback;
mod functions;
mod helpers;
mod identity;
mod lease;
mod llm;
mod loyalty;
mod meaning;
mod returns;
mod scenarios;
mod sessions;
mod support;
mod ws;
