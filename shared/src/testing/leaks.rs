//! Looking for secrets where they must not be: every collection of a database and every log
//! line the process wrote. For "no card number or CVC is stored or logged" (issue 15).

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use bson::Document;
use futures::TryStreamExt;
use serde_json::Value;
use tracing_subscriber::{EnvFilter, layer::SubscriberExt, util::SubscriberInitExt};

/// What must not appear: text that no value may contain (a card number, with and without
/// spaces), and short text no value may equal (a cvc, which could occur by chance inside an id).
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// No string may contain any of these.
    pub contained: Vec<String>,
    /// No string or number may be exactly one of these, and no field may be named `cvc`.
    pub whole: Vec<String>,
}

impl Secrets {
    /// Where in `value` a secret appears, as paths (`orders[0].payment.number`); empty when
    /// nowhere.
    pub fn find(&self, value: &Value, path: &str, found: &mut Vec<String>) {
        match value {
            Value::String(s) => {
                if self.contained.iter().any(|c| s.contains(c.as_str()))
                    || self.whole.iter().any(|w| s.trim() == w)
                {
                    found.push(format!("{path} = {s:?}"));
                }
            }
            Value::Number(n) => {
                let n = n.to_string();
                if self.whole.contains(&n) || self.contained.iter().any(|c| n.contains(c.as_str()))
                {
                    found.push(format!("{path} = {n}"));
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.find(item, &format!("{path}[{i}]"), found);
                }
            }
            Value::Object(fields) => {
                for (key, item) in fields {
                    if key.eq_ignore_ascii_case("cvc") || key.eq_ignore_ascii_case("cvv") {
                        found.push(format!("{path}.{key} (a field named {key})"));
                    }
                    self.find(item, &format!("{path}.{key}"), found);
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
    }

    /// Every place in every collection of `db` where a secret appears.
    pub async fn in_database(&self, db: &mongodb::Database) -> Vec<String> {
        let mut found = Vec::new();
        let names = db.list_collection_names().await.expect("list collections");
        for name in names {
            let docs: Vec<Document> = db
                .collection::<Document>(&name)
                .find(bson::doc! {})
                .await
                .expect("read a collection")
                .try_collect()
                .await
                .expect("read a collection");
            for (i, doc) in docs.into_iter().enumerate() {
                let value = bson::Bson::Document(doc).into_relaxed_extjson();
                self.find(&value, &format!("{}.{name}[{i}]", db.name()), &mut found);
            }
        }
        found
    }

    /// Every line of `logs` where a secret appears (a line that is not JSON is searched as
    /// text).
    pub fn in_logs(&self, logs: &str) -> Vec<String> {
        let mut found = Vec::new();
        for (i, line) in logs.lines().enumerate() {
            match serde_json::from_str::<Value>(line) {
                Ok(value) => self.find(&value, &format!("log line {i}"), &mut found),
                Err(_) => self.find(
                    &Value::String(line.to_owned()),
                    &format!("log line {i}"),
                    &mut found,
                ),
            }
        }
        found
    }
}

/// Every log line this process writes from now on, at `debug` and above, in the services' JSON
/// format, kept in memory. Install it before any service starts: it is the process's one
/// subscriber (nextest runs each test in a process of its own).
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    /// Installs the capture as the process's subscriber; panics when one is set already.
    pub fn install(service: &'static str) -> Self {
        let capture = Self::default();
        let buffer = capture.0.clone();
        tracing_subscriber::registry()
            .with(EnvFilter::new("debug"))
            .with(crate::telemetry::json_layer(service, move || {
                Sink(buffer.clone())
            }))
            .try_init()
            .expect("the log capture is the first subscriber of this process (run under nextest)");
        capture
    }

    /// What was written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}
