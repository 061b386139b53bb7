//! The function registry: `register(name, schema, handler)`, `all_schemas()` (JSON Schema,
//! in the shape chat-completions APIs take as tools) and `execute(name, args)`, which checks
//! the arguments against the schema before the handler sees them.

use std::{collections::BTreeMap, future::Future, pin::Pin, sync::Arc};

use serde_json::{Value, json};

use super::schema;

/// Who a function runs for: the caller's token is forwarded, so the owning service applies
/// the caller's rights.
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    /// The caller's bearer token (without "Bearer "); `None` for an anonymous caller.
    pub bearer: Option<String>,
    /// The caller's customer id.
    pub customer_id: Option<String>,
    /// The request id, forwarded to the services.
    pub request_id: String,
}

/// Why a function call gave no result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FunctionError {
    /// No function has that name.
    #[error("no function named {0}")]
    Unknown(String),
    /// The arguments do not fit the schema; each offending field with its problem.
    #[error("invalid arguments: {0}")]
    InvalidArguments(Value),
    /// The function needs a signed-in customer.
    #[error("sign-in required")]
    SignInRequired,
    /// Nothing found for this caller.
    #[error("not found: {0}")]
    NotFound(String),
    /// The owning service could not be reached.
    #[error("{0} could not be reached")]
    Unavailable(String),
}

impl FunctionError {
    /// The result as a function result for a prompt: `{"error": ..., "message": ...}`.
    pub fn to_json(&self) -> Value {
        let code = match self {
            Self::Unknown(_) => "unknown_function",
            Self::InvalidArguments(_) => "invalid_arguments",
            Self::SignInRequired => "sign_in_required",
            Self::NotFound(_) => "not_found",
            Self::Unavailable(_) => "unavailable",
        };
        json!({ "error": code, "message": self.to_string() })
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<Value, FunctionError>> + Send>>;
type Handler = Arc<dyn Fn(Value, CallContext) -> BoxFuture + Send + Sync>;

struct Entry {
    schema: Value,
    handler: Handler,
}

/// The registered functions. Cheap to share behind an `Arc`.
#[derive(Default)]
pub struct Registry {
    functions: BTreeMap<String, Entry>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `name` with `schema` (`{"description", "parameters"}`, the parameters as a
    /// JSON Schema object) and `handler`, which gets validated arguments. Panics on a schema
    /// using keywords the validator does not check: that is a programming error.
    pub fn register<F, Fut>(&mut self, name: &str, schema: Value, handler: F)
    where
        F: Fn(Value, CallContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, FunctionError>> + Send + 'static,
    {
        if let Err(e) = schema::supported(&schema["parameters"]) {
            panic!("function {name}: {e}");
        }
        let handler: Handler = Arc::new(move |args, ctx| Box::pin(handler(args, ctx)));
        let schema = json!({
            "name": name,
            "description": schema["description"].as_str().unwrap_or_default(),
            "parameters": schema["parameters"],
        });
        self.functions
            .insert(name.to_owned(), Entry { schema, handler });
    }

    /// Every function's schema: `[{name, description, parameters}]`, by name.
    pub fn all_schemas(&self) -> Vec<Value> {
        self.functions.values().map(|e| e.schema.clone()).collect()
    }

    /// Whether `name` is registered.
    pub fn has(&self, name: &str) -> bool {
        self.functions.contains_key(name)
    }

    /// Runs `name` with `args` for `ctx`, after checking `args` against its schema.
    #[tracing::instrument(skip(self, args, ctx))]
    pub async fn execute(
        &self,
        name: &str,
        args: Value,
        ctx: &CallContext,
    ) -> Result<Value, FunctionError> {
        let entry = self
            .functions
            .get(name)
            .ok_or_else(|| FunctionError::Unknown(name.to_owned()))?;
        let args = schema::validate(&entry.schema["parameters"], &args)
            .map_err(FunctionError::InvalidArguments)?;
        let result = (entry.handler)(args, ctx.clone()).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(FunctionError::Unavailable(_)) => "unavailable",
            Err(_) => "error",
        };
        metrics::counter!("assistant_function_calls_total", "function" => name.to_owned(), "outcome" => outcome)
            .increment(1);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo() -> Registry {
        let mut registry = Registry::new();
        registry.register(
            "echo",
            json!({
                "description": "Says it back.",
                "parameters": {
                    "type": "object",
                    "properties": { "word": { "type": "string", "minLength": 1 } },
                    "required": ["word"],
                    "additionalProperties": false
                }
            }),
            |args, _| async move { Ok(args["word"].clone()) },
        );
        registry
    }

    #[tokio::test]
    async fn a_registered_function_runs_with_valid_arguments() {
        let result = echo()
            .execute("echo", json!({ "word": "hi" }), &CallContext::default())
            .await;
        assert_eq!(result, Ok(json!("hi")));
    }

    #[tokio::test]
    async fn invalid_arguments_never_reach_the_handler() {
        let err = echo()
            .execute("echo", json!({ "word": "" }), &CallContext::default())
            .await
            .unwrap_err();
        assert!(matches!(err, FunctionError::InvalidArguments(ref d) if d.get("word").is_some()));
        let err = echo()
            .execute("nope", json!({}), &CallContext::default())
            .await
            .unwrap_err();
        assert_eq!(err, FunctionError::Unknown("nope".to_owned()));
    }

    #[test]
    fn schemas_are_listed_for_a_model() {
        let schemas = echo().all_schemas();
        assert_eq!(schemas[0]["name"], "echo");
        assert_eq!(schemas[0]["parameters"]["required"], json!(["word"]));
    }
}
