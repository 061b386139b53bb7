//! Static checks of `docker-compose.yml`, the `Dockerfile` and `.env.example` against the code.
//!
//! No Docker engine is needed: the compose file is parsed with serde_yaml (merge keys applied
//! as compose applies them) and compared with what the crates read: every variable set for a
//! service must be read by that service's crate or by `shared`, ports and databases must match
//! each service's `DEFAULTS`, and every store a service uses must be a healthy dependency.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

use serde_yaml::{Mapping, Value};

/// The stores, as named in compose (and in the services' URLs).
const INFRASTRUCTURE: [&str; 3] = ["mongodb", "rabbitmq", "redis"];

/// The services: compose service name = binary = package = crate directory.
const SERVICES: [&str; 7] = [
    "gateway",
    "order-service",
    "product-service",
    "customer-service",
    "alert-service",
    "analytics-service",
    "assistant-service",
];

/// Variables the code reads without spelling them as a string literal: `RUST_LOG` is read by
/// `tracing_subscriber::EnvFilter::try_from_default_env`, so that call must be in `shared`.
const READ_INDIRECTLY: [(&str, &str); 1] = [("RUST_LOG", "try_from_default_env")];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

fn read(relative: &str) -> String {
    let path = root().join(relative);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The compose file, with `<<:` merge keys resolved as compose resolves them.
fn compose() -> Value {
    let mut doc: Value =
        serde_yaml::from_str(&read("docker-compose.yml")).expect("docker-compose.yml is YAML");
    doc.apply_merge().expect("merge keys in docker-compose.yml");
    doc
}

/// The compose file's services.
fn services() -> Mapping {
    compose()
        .get("services")
        .and_then(Value::as_mapping)
        .expect("docker-compose.yml has a `services` mapping")
        .clone()
}

fn service<'a>(services: &'a Mapping, name: &str) -> &'a Value {
    services
        .get(name)
        .unwrap_or_else(|| panic!("docker-compose.yml has no service `{name}`"))
}

/// A scalar as text (compose accepts numbers and booleans where it means strings).
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A service's `environment`, in map or `KEY=value` list form.
fn environment(service: &Value) -> BTreeMap<String, String> {
    match service.get("environment") {
        Some(Value::Mapping(map)) => map
            .iter()
            .filter_map(|(k, v)| Some((text(k)?, text(v).unwrap_or_default())))
            .collect(),
        Some(Value::Sequence(list)) => list
            .iter()
            .filter_map(|item| {
                let item = text(item)?;
                let (k, v) = item.split_once('=').unwrap_or((&item, ""));
                Some((k.to_owned(), v.to_owned()))
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// A healthcheck's command as one line.
fn healthcheck_command(service: &Value) -> Option<String> {
    match service.get("healthcheck")?.get("test")? {
        Value::Sequence(parts) => Some(parts.iter().filter_map(text).collect::<Vec<_>>().join(" ")),
        other => text(other),
    }
}

/// The names in a service's `depends_on`, each with its `condition` (if any).
fn depends_on(service: &Value) -> BTreeMap<String, Option<String>> {
    match service.get("depends_on") {
        Some(Value::Mapping(map)) => map
            .iter()
            .filter_map(|(k, v)| Some((text(k)?, v.get("condition").and_then(text))))
            .collect(),
        Some(Value::Sequence(list)) => list.iter().filter_map(text).map(|k| (k, None)).collect(),
        _ => BTreeMap::new(),
    }
}

/// What a crate's `pub const DEFAULTS: ServiceDefaults` in `src/config.rs` says.
#[derive(Debug)]
struct Defaults {
    port: u16,
    database: Option<String>,
    uses_broker: bool,
    uses_redis: bool,
}

fn defaults(crate_dir: &str) -> Defaults {
    let file = format!("{crate_dir}/src/config.rs");
    let source = fs::read_to_string(root().join(&file))
        .unwrap_or_else(|e| panic!("{crate_dir}: cannot read {file} for its DEFAULTS: {e}"));
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

/// All Rust source under `dir`, concatenated.
fn sources(dir: &Path) -> String {
    let mut all = String::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries =
            fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                all.push_str(&fs::read_to_string(&path).unwrap_or_default());
                all.push('\n');
            }
        }
    }
    all
}

/// The Dockerfile instructions (continuation lines joined, comments dropped) that copy out
/// of `target/release`: the only place where naming a binary means shipping it.
fn release_copy_step(dockerfile: &str) -> String {
    let joined = dockerfile
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("\\\n", " ");
    joined
        .lines()
        .filter(|instruction| instruction.contains("target/release"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}:\n  - {}",
        problems.join("\n  - ")
    );
}

#[test]
fn compose_defines_the_three_stores_and_the_seven_services() {
    let services = services();
    let found: BTreeSet<String> = services.keys().filter_map(text).collect();
    let expected: BTreeSet<String> = INFRASTRUCTURE
        .iter()
        .chain(&SERVICES)
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(found, expected, "services in docker-compose.yml");
    assert_eq!(found.len(), 10);
}

#[test]
fn every_container_has_a_healthcheck_a_restart_policy_and_waits_for_healthy_dependencies() {
    let services = services();
    let mut problems = Vec::new();
    for name in INFRASTRUCTURE.iter().chain(&SERVICES) {
        let svc = service(&services, name);
        if healthcheck_command(svc).is_none_or(|c| c.trim().is_empty()) {
            problems.push(format!("{name}: no healthcheck test"));
        }
        if svc.get("restart").and_then(text).is_none() {
            problems.push(format!("{name}: no restart policy"));
        }
        for (dependency, condition) in depends_on(svc) {
            if condition.as_deref() != Some("service_healthy") {
                problems.push(format!(
                    "{name}: depends_on {dependency} without condition: service_healthy"
                ));
            }
        }
    }
    for name in SERVICES {
        let env = environment(service(&services, name));
        let needs = depends_on(service(&services, name));
        let stores = [
            ("MONGODB_URI", "mongodb"),
            ("AMQP_URL", "rabbitmq"),
            ("REDIS_URL", "redis"),
        ];
        for (variable, store) in stores {
            if env.contains_key(variable) && !needs.contains_key(store) {
                problems.push(format!(
                    "{name}: sets {variable} but does not depend on {store}"
                ));
            }
        }
    }
    let gateway_needs = depends_on(service(&services, "gateway"));
    for upstream in SERVICES.iter().filter(|s| **s != "gateway") {
        if !gateway_needs.contains_key(*upstream) {
            problems.push(format!("gateway: does not depend on {upstream}"));
        }
    }
    assert_no_problems("healthchecks, restart policies and dependencies", &problems);
}

#[test]
fn the_stores_keep_their_data_in_named_volumes() {
    let declared: BTreeSet<String> = compose()
        .get("volumes")
        .and_then(Value::as_mapping)
        .map(|m| m.keys().filter_map(text).collect())
        .unwrap_or_default();
    let services = services();
    let mut problems = Vec::new();
    for name in INFRASTRUCTURE {
        let mounts: Vec<String> = service(&services, name)
            .get("volumes")
            .and_then(Value::as_sequence)
            .map(|v| v.iter().filter_map(text).collect())
            .unwrap_or_default();
        let named = mounts.iter().any(|m| {
            m.split_once(':')
                .is_some_and(|(source, _)| declared.contains(source))
        });
        if !named {
            problems.push(format!(
                "{name}: no named volume (mounts {mounts:?}, declared {declared:?})"
            ));
        }
    }
    assert_no_problems("data volumes", &problems);
}

#[test]
fn every_variable_compose_sets_for_a_service_is_read_by_its_code() {
    let services = services();
    let shared = sources(&root().join("shared/src"));
    let mut problems = Vec::new();
    for name in SERVICES {
        let own = sources(&root().join(name).join("src"));
        let env = environment(service(&services, name));
        assert!(!env.is_empty(), "{name}: sets no environment at all");
        for variable in env.keys() {
            let literal = format!("\"{variable}\"");
            let indirect = READ_INDIRECTLY
                .iter()
                .find(|(v, _)| v == variable)
                .is_some_and(|(_, call)| shared.contains(call));
            if !(own.contains(&literal) || shared.contains(&literal) || indirect) {
                problems.push(format!(
                    "{name}: sets {variable}, which neither {name}/src nor shared/src reads"
                ));
            }
        }
        // Shared settings are read only when DEFAULTS says the service uses that store, so a
        // literal in shared/src is not enough: compare with the flags.
        let defaults = defaults(name);
        let uses = [
            ("MONGODB_URI", defaults.database.is_some()),
            ("MONGODB_DB", defaults.database.is_some()),
            ("AMQP_URL", defaults.uses_broker),
            ("EVENTS_EXCHANGE", defaults.uses_broker),
            ("REDIS_URL", defaults.uses_redis),
        ];
        for (variable, used) in uses {
            match (env.contains_key(variable), used) {
                (true, false) => problems.push(format!(
                    "{name}: sets {variable}, but its DEFAULTS say it does not use that store"
                )),
                (false, true) => problems.push(format!(
                    "{name}: does not set {variable}, but its DEFAULTS say it uses that store"
                )),
                _ => {}
            }
        }
        if env.get("HOST").map(String::as_str) != Some("0.0.0.0") {
            problems.push(format!("{name}: HOST must be 0.0.0.0 inside a container"));
        }
        if let (Some(db), Some(set)) = (&defaults.database, env.get("MONGODB_DB"))
            && db != set
        {
            problems.push(format!(
                "{name}: MONGODB_DB is {set:?}, DEFAULTS say {db:?}"
            ));
        }
    }
    assert_no_problems("variables set in docker-compose.yml", &problems);
}

#[test]
fn every_service_listens_on_its_default_port_and_is_probed_and_reached_there() {
    let services = services();
    let gateway_env = environment(service(&services, "gateway"));
    let mut problems = Vec::new();
    for name in SERVICES {
        let svc = service(&services, name);
        let port = defaults(name).port;
        let set = environment(svc).get("PORT").cloned();
        if set != Some(port.to_string()) {
            problems.push(format!("{name}: PORT is {set:?}, DEFAULTS say {port}"));
        }
        let check = healthcheck_command(svc).unwrap_or_default();
        if !check.contains("curl -fsS") || !check.contains(&format!("127.0.0.1:{port}/health")) {
            problems.push(format!(
                "{name}: healthcheck `{check}` does not curl -fsS http://127.0.0.1:{port}/health"
            ));
        }
        let published = svc.get("ports").is_some();
        if name != "gateway" && published {
            problems.push(format!("{name}: publishes a port; only the gateway should"));
        }
        if name != "gateway" {
            let variable =
                format!("{}_SERVICE_URL", name.trim_end_matches("-service")).to_ascii_uppercase();
            let expected = format!("http://{name}:{port}");
            match gateway_env.get(&variable) {
                Some(url) if url.trim_end_matches('/') == expected => {}
                other => problems.push(format!(
                    "gateway: {variable} is {other:?}, expected {expected:?}"
                )),
            }
        }
    }
    let gateway_ports: Vec<String> = service(&services, "gateway")
        .get("ports")
        .and_then(Value::as_sequence)
        .map(|p| p.iter().filter_map(text).collect())
        .unwrap_or_default();
    if gateway_ports != ["5000:5000"] {
        problems.push(format!(
            "gateway: publishes {gateway_ports:?}, expected [\"5000:5000\"]"
        ));
    }
    assert_no_problems("ports", &problems);
}

#[test]
fn each_service_is_built_from_the_dockerfile_as_its_own_workspace_binary() {
    let services = services();
    let manifest = read("Cargo.toml");
    let dockerfile = read("Dockerfile");
    let copied = release_copy_step(&dockerfile);
    let words: BTreeSet<&str> = copied
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .collect();
    let mut problems = Vec::new();
    for name in SERVICES {
        let build = service(&services, name).get("build");
        let binary = build
            .and_then(|b| b.get("args"))
            .and_then(|a| a.get("SERVICE"))
            .and_then(text);
        let Some(binary) = binary else {
            problems.push(format!("{name}: no build.args.SERVICE"));
            continue;
        };
        if binary != name {
            problems.push(format!("{name}: build.args.SERVICE is {binary:?}"));
        }
        let package = read(&format!("{binary}/Cargo.toml"));
        if !manifest.contains(&format!("\"{binary}\""))
            || !package.contains(&format!("name = \"{binary}\""))
            || !root().join(&binary).join("src/main.rs").is_file()
        {
            problems.push(format!(
                "{name}: SERVICE={binary} is not a workspace member with a binary"
            ));
        }
        if !words.contains(binary.as_str()) {
            problems.push(format!(
                "{name}: the Dockerfile does not copy the binary {binary}"
            ));
        }
    }
    for needed in [
        "ARG SERVICE",
        "--locked",
        "--release",
        "debian:bookworm-slim",
        "USER ",
    ] {
        if !dockerfile.contains(needed) {
            problems.push(format!("Dockerfile: no `{needed}`"));
        }
    }
    assert_no_problems("images", &problems);
}

#[test]
fn env_example_documents_every_variable_compose_sets_or_substitutes() {
    let raw: String = read("docker-compose.yml")
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let mut variables = BTreeMap::<String, String>::new();
    let services = services();
    for (name, svc) in &services {
        let name = text(name).unwrap_or_default();
        for variable in environment(svc).into_keys() {
            variables.entry(variable).or_insert_with(|| name.clone());
        }
    }
    for reference in raw.split("${").skip(1) {
        let variable: String = reference
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        variables
            .entry(variable)
            .or_insert_with(|| "a ${...} substitution".to_owned());
    }
    assert!(
        variables.len() >= 20,
        "too few variables found: {variables:?}"
    );
    let example = read(".env.example");
    let documented: BTreeSet<&str> = example
        .lines()
        .filter_map(|l| l.trim_start_matches(['#', ' ']).split_once('='))
        .map(|(name, _)| name.trim())
        .filter(|name| {
            name.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .collect();
    let problems: Vec<String> = variables
        .iter()
        .filter(|(variable, _)| !documented.contains(variable.as_str()))
        .map(|(variable, by)| format!("{variable} (set for {by}) is not in .env.example"))
        .collect();
    assert_no_problems(".env.example", &problems);
}
