//! What the services' code reads from the environment, found in their source, for the checks of
//! `docker-compose.yml` and `.env.example`.
//!
//! Every setting is read in a crate's `src/config.rs` through `shared::config::Env`
//! (`env.parse("NAME", default)`, `env.string(..)`, `env.get(..)`, `env.secret(..)`), some by
//! way of a table (`("gateway", "GATEWAY_URL", 5000)`) or a helper (`base_url(env, "NAME", ..)`).
//! So a variable read is an upper-case string literal in a `config.rs` outside its tests, or the
//! first argument of such a call, of `std::env::var` or of `EnvFilter::try_from_env` (`RUST_LOG`),
//! anywhere else in `src/`.
//!
//! Not every test crate uses every helper.
#![allow(dead_code)]

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// The services: compose service name = binary = package = crate directory.
pub const SERVICES: [&str; 7] = [
    "gateway",
    "order-service",
    "product-service",
    "customer-service",
    "alert-service",
    "analytics-service",
    "assistant-service",
];

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// A file of the workspace, which must exist.
pub fn read(relative: &str) -> String {
    let path = root().join(relative);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// `source` without its `#[cfg(test)]` module (by convention the last thing in a file).
fn without_tests(source: &str) -> &str {
    source
        .find("#[cfg(test)]")
        .map_or(source, |at| &source[..at])
}

/// Every `"NAME"` literal in `source` that looks like an environment variable.
fn upper_case_literals(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let bytes = source.as_bytes();
    let mut i = 0;
    while let Some(offset) = source[i..].find('"') {
        let start = i + offset + 1;
        let len = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
            .count();
        let end = start + len;
        if len >= 3 && bytes[start].is_ascii_uppercase() && bytes.get(end) == Some(&b'"') {
            found.insert(source[start..end].to_owned());
            i = end + 1;
        } else {
            i = start;
        }
    }
    found
}

/// The variables named as the first argument of a read call anywhere in `source`.
fn read_calls(source: &str) -> BTreeSet<String> {
    const CALLS: [&str; 7] = [
        "env.parse(\"",
        "env.string(\"",
        "env.get(\"",
        "env.secret(\"",
        "env::var(\"",
        "env::var_os(\"",
        "from_env(\"",
    ];
    let mut found = BTreeSet::new();
    for call in CALLS {
        for (at, _) in source.match_indices(call) {
            let rest = &source[at + call.len()..];
            if let Some(end) = rest.find('"') {
                found.insert(rest[..end].to_owned());
            }
        }
    }
    found
}

/// The Rust files under `dir`, with their text.
fn rust_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries =
            fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path).unwrap_or_default();
                files.push((path, text));
            }
        }
    }
    files.sort();
    files
}

/// The variables a crate's own code reads (`<crate>/src`), not counting `shared`'s.
/// `shared/src/testing.rs` is test support (it reads the stores' URLs for test runs).
pub fn own_reads(crate_dir: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (path, text) in rust_files(&root().join(crate_dir).join("src")) {
        if path.ends_with("shared/src/testing.rs") {
            continue;
        }
        let code = without_tests(&text);
        if path.ends_with("src/config.rs") {
            found.extend(upper_case_literals(code));
        }
        found.extend(read_calls(code));
    }
    found
}

/// Every variable the code of the suite reads, with the crates that read it.
pub fn all_reads() -> BTreeMap<String, BTreeSet<&'static str>> {
    let mut all = BTreeMap::<String, BTreeSet<&'static str>>::new();
    for krate in SERVICES.iter().copied().chain(["shared"]) {
        for name in own_reads(krate) {
            all.entry(name).or_default().insert(krate);
        }
    }
    all
}

/// What a crate's `pub const DEFAULTS: ServiceDefaults` in `src/config.rs` says.
#[derive(Debug)]
pub struct Defaults {
    pub port: u16,
    pub database: Option<String>,
    pub uses_broker: bool,
    pub uses_redis: bool,
}

/// The `DEFAULTS` of a service crate.
pub fn defaults(crate_dir: &str) -> Defaults {
    let file = format!("{crate_dir}/src/config.rs");
    let source = read(&file);
    let start = source
        .find("DEFAULTS: ServiceDefaults")
        .unwrap_or_else(|| panic!("{crate_dir}: {file} has no `DEFAULTS: ServiceDefaults`"));
    let block = &source[start..];
    let block = &block[..block.find("};").unwrap_or(block.len())];
    let field = |name: &str| -> String {
        let at = block
            .find(&format!("{name}:"))
            .unwrap_or_else(|| panic!("{crate_dir}: DEFAULTS in {file} has no `{name}`"));
        let rest = &block[at + name.len() + 1..];
        rest[..rest.find([',', '\n']).unwrap_or(rest.len())]
            .trim()
            .to_owned()
    };
    let port = field("port");
    let database = field("database");
    Defaults {
        port: port
            .parse()
            .unwrap_or_else(|_| panic!("{crate_dir}: DEFAULTS port {port:?} is not a number")),
        database: database
            .strip_prefix("Some(\"")
            .and_then(|s| s.strip_suffix("\")"))
            .map(str::to_owned),
        uses_broker: field("uses_broker") == "true",
        uses_redis: field("uses_redis") == "true",
    }
}

/// The variables a service reads: its own, and `shared`'s as far as its `DEFAULTS` switch them
/// on (`shared::config::ServiceConfig::from_env` reads `MONGODB_*` only with a database,
/// `AMQP_URL` and `EVENTS_*` only with the broker, `REDIS_*` only with Redis).
pub fn service_reads(service: &str) -> BTreeSet<String> {
    let defaults = defaults(service);
    let mut reads = own_reads(service);
    for name in own_reads("shared") {
        let used = if name.starts_with("MONGODB_") {
            defaults.database.is_some()
        } else if name.starts_with("AMQP_") || name.starts_with("EVENTS_") {
            defaults.uses_broker
        } else if name.starts_with("REDIS_") {
            defaults.uses_redis
        } else {
            true
        };
        if used {
            reads.insert(name);
        }
    }
    reads
}

/// The default the code gives `name` where it is a plain literal
/// (`env.parse("NAME", 8u32)`, `env.string("NAME", "x")`), as text: `8`, `x`.
pub fn literal_default(crate_dir: &str, name: &str) -> Option<String> {
    let source = read(&format!("{crate_dir}/src/config.rs"));
    let code = without_tests(&source);
    for call in ["env.parse(\"", "env.string(\""] {
        let needle = format!("{call}{name}\",");
        let Some(at) = code.find(&needle) else {
            continue;
        };
        let rest = code[at + needle.len()..].trim_start();
        let argument = rest[..rest.find(')')?].trim();
        if let Some(text) = argument.strip_prefix('"').and_then(|a| a.strip_suffix('"')) {
            return Some(text.to_owned());
        }
        // `10_000u64` is 10000.
        let plain: String = argument
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '_')
            .filter(|c| *c != '_')
            .collect();
        if !plain.is_empty() {
            return Some(plain);
        }
        if argument == "true" || argument == "false" {
            return Some(argument.to_owned());
        }
    }
    None
}

/// A scalar as text (compose accepts numbers and booleans where it means strings).
pub fn text(value: &serde_yaml_ng::Value) -> Option<String> {
    match value {
        serde_yaml_ng::Value::String(s) => Some(s.clone()),
        serde_yaml_ng::Value::Number(n) => Some(n.to_string()),
        serde_yaml_ng::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
