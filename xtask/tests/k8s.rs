//! Static checks of the Kubernetes manifests (`deploy/k8s`) against the Kubernetes API and the
//! code. No cluster is needed: each overlay is rendered with kustomize's rules (see
//! `kustomize`; compared with `kubectl kustomize` where kubectl is installed), validated with
//! `kubernetes-validate` (PyPI, pinned; `cargo xtask test` installs it and names it in
//! `KUBERNETES_VALIDATE`) against the API schemas, and compared with what the crates read, the
//! ports they listen on, the probes `shared::health` serves, the Dockerfile's user and
//! docker-compose.yml's settings.

mod kustomize;
mod reads;

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    process::Command,
};

use reads::{SERVICES, defaults, read, root, text};
use serde_yaml_ng::Value;

const OVERLAYS: [&str; 2] = ["dev", "prod"];

/// The Kubernetes version the manifests are validated against.
const KUBERNETES_VERSION: &str = "1.31.0";

fn overlay(name: &str) -> Vec<Value> {
    kustomize::render(&root().join("deploy/k8s/overlays").join(name))
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    objects
        .iter()
        .find(|o| o["kind"].as_str() == Some(kind) && o["metadata"]["name"].as_str() == Some(name))
}

fn get<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    find(objects, kind, name).unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects
        .iter()
        .filter(|o| o["kind"].as_str() == Some(kind))
        .collect()
}

fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(problems.is_empty(), "{what}:\n  {}", problems.join("\n  "));
}

fn container(deployment: &Value) -> &Value {
    &deployment["spec"]["template"]["spec"]["containers"][0]
}

/// The settings a service's container gets: ConfigMap data by name (from `envFrom`), and the
/// names of Secret keys (`env` with `secretKeyRef`), each with the Secret it comes from.
struct Settings {
    values: BTreeMap<String, String>,
    secrets: BTreeMap<String, (String, bool)>,
}

fn settings(objects: &[Value], service: &str) -> Settings {
    let deployment = get(objects, "Deployment", service);
    let c = container(deployment);
    let mut values = BTreeMap::new();
    for source in c["envFrom"].as_sequence().into_iter().flatten() {
        let name = source["configMapRef"]["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{service}: envFrom other than a ConfigMap"));
        let map = get(objects, "ConfigMap", name);
        for (k, v) in map["data"].as_mapping().into_iter().flatten() {
            values.insert(text(k).unwrap(), text(v).unwrap_or_default());
        }
    }
    let mut secrets = BTreeMap::new();
    for var in c["env"].as_sequence().into_iter().flatten() {
        let name = var["name"].as_str().unwrap().to_owned();
        if let Some(value) = text(&var["value"]) {
            values.insert(name, value);
            continue;
        }
        let key = &var["valueFrom"]["secretKeyRef"];
        let secret = key["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{service}: {name} is neither a value nor a Secret key"));
        assert_eq!(
            key["key"].as_str(),
            Some(name.as_str()),
            "{service}: {name}"
        );
        let optional = key["optional"].as_bool().unwrap_or(false);
        secrets.insert(name, (secret.to_owned(), optional));
    }
    Settings { values, secrets }
}

/// Where `kubernetes-validate` is: `KUBERNETES_VALIDATE`, or the project venv's.
fn validator() -> PathBuf {
    std::env::var_os("KUBERNETES_VALIDATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".local/venv/bin/kubernetes-validate"))
}

#[test]
fn every_overlay_renders_to_objects_the_kubernetes_api_accepts() {
    let validate = validator();
    assert!(
        validate.exists(),
        "{} is missing: `cargo xtask test` installs it (or set KUBERNETES_VALIDATE)",
        validate.display()
    );
    for name in OVERLAYS {
        let objects = overlay(name);
        let dir = std::env::temp_dir().join(format!("shop-k8s-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("rendered.yaml");
        // As JSON documents: the validator reads YAML 1.1, where an unquoted `yes` is a
        // boolean, and a YAML writer need not quote it.
        let text: Vec<String> = objects
            .iter()
            .map(|o| {
                serde_json::to_string(
                    &serde_yaml_ng::from_value::<serde_json::Value>(o.clone()).unwrap(),
                )
                .unwrap()
            })
            .collect();
        std::fs::write(&file, text.join("\n---\n")).unwrap();
        let output = Command::new(&validate)
            .args(["--strict", "--quiet", "-k", KUBERNETES_VERSION])
            .arg(&file)
            .output()
            .expect("kubernetes-validate runs");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            output.status.success(),
            "overlay {name} does not validate:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn the_renderer_agrees_with_kubectl_kustomize_where_kubectl_is_installed() {
    let Ok(output) = Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
    else {
        eprintln!("kubectl is not installed: the rendering is checked by this file's rules only");
        return;
    };
    assert!(output.status.success());
    for name in OVERLAYS {
        let dir = root().join("deploy/k8s/overlays").join(name);
        let output = Command::new("kubectl")
            .arg("kustomize")
            .arg(&dir)
            .output()
            .expect("kubectl kustomize runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let theirs: BTreeMap<String, Value> =
            serde_yaml_ng::Deserializer::from_slice(&output.stdout)
                .map(|doc| {
                    let v: Value = serde::Deserialize::deserialize(doc).unwrap();
                    (key(&v), v)
                })
                .collect();
        let ours: BTreeMap<String, Value> =
            overlay(name).into_iter().map(|v| (key(&v), v)).collect();
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "overlay {name}: other objects"
        );
        for (k, v) in &ours {
            assert_eq!(
                v, &theirs[k],
                "overlay {name}: {k} differs from kubectl's rendering"
            );
        }
    }
}

fn key(object: &Value) -> String {
    format!(
        "{}/{}/{}",
        object["kind"].as_str().unwrap_or_default(),
        object["metadata"]["namespace"].as_str().unwrap_or_default(),
        object["metadata"]["name"].as_str().unwrap_or_default()
    )
}

#[test]
fn each_service_runs_its_own_image_on_its_port_with_the_probes_shared_health_serves() {
    let health = read("shared/src/health.rs");
    let dockerfile = read("Dockerfile");
    let compose = read("docker-compose.yml");
    let grace: u64 = compose
        .split("SHUTDOWN_GRACE_SECS:-")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .and_then(|n| n.parse().ok())
        .expect("compose's SHUTDOWN_GRACE_SECS default");
    let mut problems = Vec::new();
    for name in OVERLAYS {
        let objects = overlay(name);
        for service in SERVICES {
            let port = defaults(service).port;
            let Some(deployment) = find(&objects, "Deployment", service) else {
                problems.push(format!("{name}: no Deployment {service}"));
                continue;
            };
            let spec = &deployment["spec"]["template"]["spec"];
            let c = container(deployment);
            let image = c["image"].as_str().unwrap_or_default();
            if !image.starts_with(&format!("shop/{service}:")) {
                problems.push(format!(
                    "{name}: {service} runs {image}, not shop/{service}:<tag>"
                ));
            }
            let ports: Vec<u64> = c["ports"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(|p| p["containerPort"].as_u64())
                .collect();
            if ports.first() != Some(&u64::from(port)) {
                problems.push(format!(
                    "{name}: {service} listens on {port}, the container says {ports:?}"
                ));
            }
            let given = settings(&objects, service).values.get("PORT").cloned();
            if given != Some(port.to_string()) {
                problems.push(format!(
                    "{name}: {service} PORT is {given:?}, expected {port}"
                ));
            }
            for (probe, path) in [
                ("readinessProbe", "/health/ready"),
                ("livenessProbe", "/health/live"),
                ("startupProbe", "/health/live"),
            ] {
                let at = c[probe]["httpGet"]["path"].as_str();
                if at != Some(path) {
                    problems.push(format!(
                        "{name}: {service} {probe} asks {at:?}, expected {path}"
                    ));
                }
                if c[probe]["httpGet"]["port"].as_str() != Some("http") {
                    problems.push(format!("{name}: {service} {probe} is not on the http port"));
                }
                if !health.contains(&format!(".route(\"{path}\"")) {
                    problems.push(format!("shared/src/health.rs serves no {path}"));
                }
            }
            let termination = spec["terminationGracePeriodSeconds"].as_u64().unwrap_or(30);
            let pause = c["lifecycle"]["preStop"]["exec"]["command"][2]
                .as_str()
                .and_then(|s| s.strip_prefix("sleep "))
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0);
            if termination <= grace + pause {
                problems.push(format!(
                    "{name}: {service} is killed after {termination}s, before its preStop pause \
                     ({pause}s) and SHUTDOWN_GRACE_SECS ({grace}s) are over"
                ));
            }
            let uid = spec["securityContext"]["runAsUser"].as_u64().unwrap_or(0);
            if !dockerfile.contains(&format!("--uid {uid} ")) || uid == 0 {
                problems.push(format!(
                    "{name}: {service} runs as {uid}, not the image's user"
                ));
            }
            let checks = [
                (
                    spec["securityContext"]["runAsNonRoot"].as_bool() == Some(true),
                    "runAsNonRoot",
                ),
                (
                    c["securityContext"]["readOnlyRootFilesystem"].as_bool() == Some(true),
                    "readOnlyRootFilesystem",
                ),
                (
                    c["securityContext"]["allowPrivilegeEscalation"].as_bool() == Some(false),
                    "no privilege escalation",
                ),
                (
                    c["securityContext"]["capabilities"]["drop"][0].as_str() == Some("ALL"),
                    "capabilities dropped",
                ),
                (
                    c["resources"]["requests"]["cpu"].is_string()
                        && c["resources"]["requests"]["memory"].is_string(),
                    "resource requests",
                ),
                (
                    c["resources"]["limits"]["memory"].is_string(),
                    "a memory limit",
                ),
                (
                    spec["automountServiceAccountToken"].as_bool() == Some(false),
                    "no service account token",
                ),
            ];
            for (ok, what) in checks {
                if !ok {
                    problems.push(format!("{name}: {service} lacks {what}"));
                }
            }
            let svc = get(&objects, "Service", service);
            let service_port = svc["spec"]["ports"][0]["port"].as_u64();
            if service_port != Some(u64::from(port)) {
                problems.push(format!(
                    "{name}: Service {service} exposes {service_port:?}, not {port}"
                ));
            }
        }
    }
    assert_no_problems("services in the manifests", &problems);
}

#[test]
fn every_service_gets_the_settings_compose_gives_it_and_no_other() {
    let mut problems = Vec::new();
    for name in OVERLAYS {
        let objects = overlay(name);
        for service in SERVICES {
            let reads = reads::service_reads(service);
            let compose = compose_environment(service);
            let given = settings(&objects, service);
            let all: BTreeSet<&String> = given.values.keys().chain(given.secrets.keys()).collect();
            for variable in &all {
                if !reads.contains(*variable) {
                    problems.push(format!(
                        "{name}: {service} is given {variable}, which it does not read"
                    ));
                }
            }
            for variable in compose.keys() {
                if !all.contains(variable) {
                    problems.push(format!(
                        "{name}: {service} gets {variable} in compose, not here"
                    ));
                }
            }
            for (variable, value) in &given.values {
                if let Some(host) = service_host(variable) {
                    let (at, port) = host_and_port(value);
                    let expected = if variable == "GATEWAY_METRICS_URL" {
                        9100
                    } else {
                        defaults(&host).port
                    };
                    if at != host || port != Some(expected) {
                        problems.push(format!("{name}: {service} {variable} = {value}, expected http://{host}:{expected}"));
                    }
                }
            }
            for (variable, (secret, _)) in &given.secrets {
                if secret != "shop-stores" && secret != "shop-secrets" {
                    problems.push(format!("{name}: {service} reads {variable} from {secret}"));
                }
            }
        }
    }
    assert_no_problems("settings in the manifests", &problems);
}

/// The environment compose gives a service, `${VAR:-x}` as the variable's name.
fn compose_environment(service: &str) -> BTreeMap<String, Value> {
    let mut doc: Value = serde_yaml_ng::from_str(&read("docker-compose.yml")).unwrap();
    doc.apply_merge().unwrap();
    doc["services"][service]["environment"]
        .as_mapping()
        .expect("compose gives every service an environment")
        .iter()
        .map(|(k, v)| (text(k).unwrap(), v.clone()))
        .collect()
}

/// The suite's own service an outbound URL setting names.
fn service_host(variable: &str) -> Option<String> {
    match variable {
        "JWKS_URL" => Some("customer-service".to_owned()),
        "GATEWAY_METRICS_URL" => Some("gateway".to_owned()),
        _ => variable
            .strip_suffix("_SERVICE_URL")
            .map(|area| format!("{}-service", area.to_ascii_lowercase())),
    }
}

fn host_and_port(url: &str) -> (String, Option<u16>) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    match authority.rsplit_once(':') {
        Some((host, port)) => (host.to_owned(), port.parse().ok()),
        None => (authority.to_owned(), None),
    }
}

#[test]
fn secrets_are_given_in_development_and_never_defaulted_in_production() {
    let dev = overlay("dev");
    let prod = overlay("prod");
    let mut problems = Vec::new();
    for service in SERVICES {
        for (variable, (secret, optional)) in settings(&dev, service).secrets {
            let given = find(&dev, "Secret", &secret)
                .is_some_and(|s| !s["stringData"][variable.as_str()].is_null());
            if !given && !optional {
                problems.push(format!(
                    "dev: {service} needs {variable} from {secret}, which is not there"
                ));
            }
        }
    }
    if !of_kind(&prod, "Secret").is_empty() {
        problems.push(
            "prod: a Secret is in the manifests; production's are created by the operator".into(),
        );
    }
    // The development stores are the ones the development URLs name.
    let stores = get(&dev, "Secret", "shop-stores");
    for (variable, value) in stores["stringData"].as_mapping().unwrap() {
        let (host, port) = host_and_port(value.as_str().unwrap());
        let reached = find(&dev, "Service", &host).is_some_and(|svc| {
            svc["spec"]["ports"]
                .as_sequence()
                .unwrap()
                .iter()
                .any(|p| p["port"].as_u64() == port.map(u64::from))
        });
        if !reached {
            problems.push(format!(
                "dev: {variable:?} names {host}:{port:?}, which no Service offers"
            ));
        }
    }
    assert_no_problems("secrets", &problems);
}

#[test]
fn production_runs_two_replicas_scales_the_busy_services_and_budgets_disruptions() {
    let prod = overlay("prod");
    let mut problems = Vec::new();
    for service in SERVICES {
        let replicas = get(&prod, "Deployment", service)["spec"]["replicas"].as_u64();
        if replicas.unwrap_or(1) < 2 {
            problems.push(format!("{service} runs {replicas:?} replicas"));
        }
        let budget = find(&prod, "PodDisruptionBudget", service);
        let selects = budget.is_some_and(|b| {
            b["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"].as_str() == Some(service)
        });
        if !selects {
            problems.push(format!(
                "{service} has no disruption budget selecting its pods"
            ));
        }
    }
    for service in ["gateway", "order-service"] {
        let scaled = find(&prod, "HorizontalPodAutoscaler", service).is_some_and(|h| {
            h["spec"]["scaleTargetRef"]["name"].as_str() == Some(service)
                && h["spec"]["minReplicas"].as_u64() >= Some(2)
        });
        if !scaled {
            problems.push(format!("{service} is not autoscaled from two replicas"));
        }
    }
    let external: Vec<&str> = of_kind(&prod, "Service")
        .into_iter()
        .filter(|s| s["spec"]["type"].as_str() == Some("LoadBalancer"))
        .filter_map(|s| s["metadata"]["name"].as_str())
        .collect();
    if external != ["gateway"] {
        problems.push(format!(
            "taking traffic from outside: {external:?}, expected only the gateway"
        ));
    }
    assert_no_problems("production", &problems);
}

/// Who calls whom, from the URL settings: the caller reaches the callee's port.
fn calls(objects: &[Value]) -> BTreeSet<(String, String, u16)> {
    let mut calls = BTreeSet::new();
    for service in SERVICES {
        for (variable, value) in settings(objects, service).values {
            if let Some(host) = service_host(&variable) {
                let (_, port) = host_and_port(&value);
                calls.insert((service.to_owned(), host, port.unwrap_or(80)));
            }
        }
    }
    calls
}

fn selects(peer: &Value, service: &str) -> bool {
    peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as_str() == Some(service)
}

fn allows_port(rule: &Value, port: u16) -> bool {
    rule["ports"].as_sequence().is_some_and(|ports| {
        ports
            .iter()
            .any(|p| p["port"].as_u64() == Some(u64::from(port)))
    })
}

#[test]
fn only_the_gateway_takes_outside_traffic_and_each_service_reaches_only_what_it_calls() {
    for name in OVERLAYS {
        let objects = overlay(name);
        let policies = of_kind(&objects, "NetworkPolicy");
        let deny = get(&objects, "NetworkPolicy", "default-deny");
        assert!(deny["spec"]["podSelector"].as_mapping().unwrap().is_empty());
        assert_eq!(
            deny["spec"]["policyTypes"].as_sequence().map(Vec::len),
            Some(2)
        );
        let calls = calls(&objects);
        let mut problems = Vec::new();
        for policy in &policies {
            for rule in policy["spec"]["ingress"]
                .as_sequence()
                .into_iter()
                .flatten()
            {
                let open = rule["from"].as_sequence().is_none_or(Vec::is_empty);
                let target =
                    policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as_str();
                if open && target != Some("gateway") {
                    problems.push(format!("{name}: {target:?} takes traffic from anywhere"));
                }
            }
        }
        for service in SERVICES {
            let own = get(&objects, "NetworkPolicy", service);
            let callers: BTreeSet<(String, u16)> = own["spec"]["ingress"]
                .as_sequence()
                .into_iter()
                .flatten()
                .flat_map(|rule| {
                    let ports: Vec<u16> = rule["ports"]
                        .as_sequence()
                        .into_iter()
                        .flatten()
                        .filter_map(|p| p["port"].as_u64())
                        .map(|p| p as u16)
                        .collect();
                    rule["from"]
                        .as_sequence()
                        .into_iter()
                        .flatten()
                        .flat_map(move |peer| {
                            let caller =
                                peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                                    .as_str()
                                    .unwrap_or("?")
                                    .to_owned();
                            ports.clone().into_iter().map(move |p| (caller.clone(), p))
                        })
                })
                .collect();
            let expected: BTreeSet<(String, u16)> = calls
                .iter()
                .filter(|(_, callee, _)| callee == service)
                .map(|(caller, _, port)| (caller.clone(), *port))
                .collect();
            if callers != expected {
                problems.push(format!(
                    "{name}: {service} admits {callers:?}; its callers are {expected:?}"
                ));
            }
            for (caller, callee, port) in calls.iter().filter(|(caller, ..)| caller == service) {
                let reaches = own["spec"]["egress"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .any(|rule| {
                        rule["to"]
                            .as_sequence()
                            .is_some_and(|to| to.iter().any(|peer| selects(peer, callee)))
                            && allows_port(rule, *port)
                    });
                if !reaches {
                    problems.push(format!("{name}: {caller} may not reach {callee}:{port}"));
                }
            }
            let stores = [
                ("MONGODB_URI", 27017),
                ("AMQP_URL", 5672),
                ("REDIS_URL", 6379),
            ];
            let given = settings(&objects, service);
            for (variable, port) in stores {
                let uses = given.secrets.contains_key(variable);
                let reaches = own["spec"]["egress"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .any(|rule| allows_port(rule, port));
                if uses != reaches {
                    problems.push(format!("{name}: {service} uses {variable}: {uses}, may reach port {port}: {reaches}"));
                }
            }
        }
        assert_no_problems("network policies", &problems);
    }
}
