//! The optional language model: an OpenAI-compatible chat-completions endpoint, or a plain
//! `/generate` endpoint (`{prompt, max_tokens}` → `{text}`), called with a timeout. Whatever it
//! answers is only a draft: the engine checks its citations and its identity before using it,
//! and falls back to the deterministic answer on any error.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

/// How to reach the model.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// The full URL: one ending in `/generate` is the plain protocol, any other is chat
    /// completions (e.g. `http://host:8000/v1/chat/completions`).
    pub endpoint: String,
    /// The longest a call may take before the deterministic answer is used.
    pub timeout: Duration,
    /// The model name sent with chat-completions requests.
    pub model: Option<String>,
    /// A bearer key, if the endpoint needs one.
    pub api_key: Option<SecretString>,
}

/// Why there is no draft.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// No answer within the timeout.
    #[error("timed out")]
    Timeout,
    /// Unreachable, or an error status.
    #[error("call failed: {0}")]
    Failed(String),
    /// An answer without text.
    #[error("empty or unreadable answer")]
    Empty,
}

/// A grounded prompt: the system part (identity, rules, policies, function results) and the
/// conversation, the user's new message last.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    /// Identity, rules and grounding.
    pub system: String,
    /// `(role, text)` pairs, `user` or `assistant`, oldest first.
    pub messages: Vec<(String, String)>,
}

impl Prompt {
    /// The prompt as one text, for `/generate`.
    pub fn flatten(&self) -> String {
        let mut text = self.system.clone();
        text.push_str("\n\nConversation:\n");
        for (role, content) in &self.messages {
            let who = if role == "user" { "Customer" } else { "You" };
            text.push_str(&format!("{who}: {content}\n"));
        }
        text.push_str("You:");
        text
    }
}

/// A client for the configured model.
#[derive(Clone)]
pub struct Llm {
    client: reqwest::Client,
    config: LlmConfig,
}

impl Llm {
    /// A client for `config`; an `https://` endpoint is verified against `trust`.
    pub fn new(config: LlmConfig, trust: &shared::http::Trust) -> Self {
        let client = shared::http::client_builder(trust)
            .connect_timeout(config.timeout.min(Duration::from_secs(2)))
            .timeout(config.timeout)
            .build()
            .expect("an HTTP client with timeouts builds");
        Self { client, config }
    }

    fn is_generate(&self) -> bool {
        self.config
            .endpoint
            .trim_end_matches('/')
            .ends_with("/generate")
    }

    /// The model's draft answer to `prompt`.
    #[tracing::instrument(skip_all)]
    pub async fn complete(&self, prompt: &Prompt) -> Result<String, LlmError> {
        let started = std::time::Instant::now();
        let result = tokio::time::timeout(self.config.timeout, self.call(prompt))
            .await
            .unwrap_or(Err(LlmError::Timeout));
        let outcome = match &result {
            Ok(_) => "ok",
            Err(LlmError::Timeout) => "timeout",
            Err(_) => "error",
        };
        metrics::counter!("assistant_llm_calls_total", "outcome" => outcome).increment(1);
        metrics::histogram!("assistant_llm_seconds").record(started.elapsed().as_secs_f64());
        result
    }

    async fn call(&self, prompt: &Prompt) -> Result<String, LlmError> {
        let body = if self.is_generate() {
            json!({ "prompt": prompt.flatten(), "max_tokens": 400 })
        } else {
            let mut messages = vec![json!({ "role": "system", "content": prompt.system })];
            messages.extend(
                prompt
                    .messages
                    .iter()
                    .map(|(role, content)| json!({ "role": role, "content": content })),
            );
            let mut body = json!({ "messages": messages, "temperature": 0.2, "max_tokens": 400 });
            if let Some(model) = &self.config.model {
                body["model"] = json!(model);
            }
            body
        };
        let mut request = self.client.post(&self.config.endpoint).json(&body);
        if let Some(key) = &self.config.api_key {
            request = request.bearer_auth(key.expose_secret());
        }
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                LlmError::Timeout
            } else {
                LlmError::Failed(e.to_string())
            }
        })?;
        if !response.status().is_success() {
            return Err(LlmError::Failed(format!("status {}", response.status())));
        }
        let answer: Value = response.json().await.map_err(|_| LlmError::Empty)?;
        let text = if self.is_generate() {
            answer["text"].as_str()
        } else {
            answer["choices"][0]["message"]["content"].as_str()
        };
        text.map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .ok_or(LlmError::Empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flattened_prompt_keeps_the_system_part_and_the_conversation() {
        let prompt = Prompt {
            system: "You are Maya.".to_owned(),
            messages: vec![
                ("user".to_owned(), "hi".to_owned()),
                ("assistant".to_owned(), "Hello!".to_owned()),
                ("user".to_owned(), "returns?".to_owned()),
            ],
        };
        let text = prompt.flatten();
        assert!(text.starts_with("You are Maya."));
        assert!(text.contains("Customer: hi\nYou: Hello!\nCustomer: returns?\nYou:"));
    }
}
