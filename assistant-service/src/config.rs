//! Configuration of assistant-service: the shared settings with this service's defaults (see
//! [`shared::config::ServiceConfig`]), where the other services live, the optional LLM and
//! how long conversations are remembered.
//!
//! | variable | default | meaning |
//! | --- | --- | --- |
//! | `PRODUCT_SERVICE_URL` | `http://127.0.0.1:5002` | `searchProducts` |
//! | `ORDER_SERVICE_URL` | `http://127.0.0.1:5001` | `getOrderStatus`, `getCustomerOrders` |
//! | `CUSTOMER_SERVICE_URL` | `http://127.0.0.1:5003` | `getCustomerOrders`, the caller's name |
//! | `UPSTREAM_TIMEOUT_MS` | `3000` | longest wait for one of those services |
//! | `LLM_ENDPOINT` | unset: answers are composed without a model | chat-completions URL, or one ending in `/generate` |
//! | `LLM_TIMEOUT_MS` | `8000` | longest wait for the model before the composed answer is used |
//! | `LLM_MODEL` | unset | model name sent to a chat-completions endpoint |
//! | `LLM_API_KEY` | unset | bearer key for the endpoint |
//! | `SESSION_TTL_SECS` | `1800` | a conversation is forgotten after this long without a message |
//! | `STREAM_HEARTBEAT_SECS` | `15` | heartbeat interval of an idle chat WebSocket (as order- and alert-service's streams) |
//! | `SUPPORT_LEASE_MS` | `30000` | how long a person holds a support conversation past their socket's last renewal (renewed every third of it): after a replica dies, its agents' conversations go back to the queue within this |
//! | `EMBEDDING_MODEL_DIR` | unset: intents and policies by words and rules only | the all-MiniLM-L6-v2 folder (`config.json`, `tokenizer.json`, `model.safetensors`): intents and policies by meaning too |

use std::{path::PathBuf, time::Duration};

use secrecy::SecretString;
use shared::config::{ConfigError, Env, ServiceConfig, ServiceDefaults};

use crate::{llm::LlmConfig, upstream::ServiceUrls};

/// This service's defaults: port 5006, database `assistant`.
pub const DEFAULTS: ServiceDefaults = ServiceDefaults {
    name: "assistant-service",
    port: 5006,
    database: Some("assistant"),
    uses_broker: true,
    uses_redis: true,
};

/// Everything assistant-service reads at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Host, port, MongoDB, RabbitMQ, Redis, shutdown grace.
    pub service: ServiceConfig,
    /// Where product-, order- and customer-service live.
    pub services: ServiceUrls,
    /// Longest wait for one of them.
    pub upstream_timeout: Duration,
    /// The optional LLM.
    pub llm: Option<LlmConfig>,
    /// How long a silent conversation is remembered.
    pub session_ttl: Duration,
    /// Heartbeat interval while a chat socket is idle.
    pub heartbeat: Duration,
    /// How long an agent holds a support conversation without renewing (see `support`).
    pub support_lease: Duration,
    /// The embedding model's folder. Unset, or a folder the model cannot be loaded from:
    /// words and rules only, and `/health` says `features.embeddings: "off"`.
    pub embedding_model_dir: Option<PathBuf>,
}

impl Config {
    /// Reads the configuration, naming the variable at fault.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let llm = match env.get("LLM_ENDPOINT") {
            Some(endpoint) => {
                if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                    return Err(ConfigError {
                        name: "LLM_ENDPOINT".to_owned(),
                        reason: "must be an http(s) URL".to_owned(),
                    });
                }
                Some(LlmConfig {
                    endpoint,
                    timeout: Duration::from_millis(env.parse("LLM_TIMEOUT_MS", 8000u64)?.max(1)),
                    model: env.get("LLM_MODEL"),
                    api_key: env.get("LLM_API_KEY").map(SecretString::from),
                })
            }
            None => None,
        };
        Ok(Self {
            service: ServiceConfig::from_env(env, DEFAULTS)?,
            services: ServiceUrls {
                products: env.string("PRODUCT_SERVICE_URL", "http://127.0.0.1:5002"),
                orders: env.string("ORDER_SERVICE_URL", "http://127.0.0.1:5001"),
                customers: env.string("CUSTOMER_SERVICE_URL", "http://127.0.0.1:5003"),
            },
            upstream_timeout: Duration::from_millis(
                env.parse("UPSTREAM_TIMEOUT_MS", 3000u64)?.max(1),
            ),
            llm,
            session_ttl: Duration::from_secs(env.parse("SESSION_TTL_SECS", 1800u64)?.max(1)),
            heartbeat: Duration::from_secs(env.parse("STREAM_HEARTBEAT_SECS", 15u64)?.max(1)),
            support_lease: Duration::from_millis(env.parse("SUPPORT_LEASE_MS", 30_000u64)?.max(30)),
            embedding_model_dir: env.get("EMBEDDING_MODEL_DIR").map(PathBuf::from),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let cfg = Config::from_env(&Env::from_pairs(&[])).unwrap();
        assert_eq!(cfg.services.orders, "http://127.0.0.1:5001");
        assert_eq!(cfg.services.products, "http://127.0.0.1:5002");
        assert_eq!(cfg.services.customers, "http://127.0.0.1:5003");
        assert!(cfg.llm.is_none());
        assert_eq!(cfg.session_ttl, Duration::from_secs(1800));
        assert_eq!(cfg.heartbeat, Duration::from_secs(15));
        assert_eq!(cfg.support_lease, Duration::from_secs(30));
        assert_eq!(cfg.embedding_model_dir, None);
        let env = Env::from_pairs(&[("EMBEDDING_MODEL_DIR", "/models/minilm")]);
        assert_eq!(
            Config::from_env(&env).unwrap().embedding_model_dir,
            Some(PathBuf::from("/models/minilm"))
        );
    }

    #[test]
    fn an_llm_endpoint_brings_its_timeout_and_model() {
        let env = Env::from_pairs(&[
            ("LLM_ENDPOINT", "http://127.0.0.1:9/generate"),
            ("LLM_TIMEOUT_MS", "250"),
            ("LLM_MODEL", "small"),
        ]);
        let llm = Config::from_env(&env).unwrap().llm.unwrap();
        assert_eq!(llm.timeout, Duration::from_millis(250));
        assert_eq!(llm.model.as_deref(), Some("small"));
        let bad = Env::from_pairs(&[("LLM_ENDPOINT", "ftp://x")]);
        assert_eq!(Config::from_env(&bad).unwrap_err().name, "LLM_ENDPOINT");
    }
}
