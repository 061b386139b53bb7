//! Renders a kustomization as `kubectl kustomize` does, for the rules `deploy/k8s` uses:
//! `resources` (files and directories holding a kustomization), `namespace`, `labels` (pairs
//! on `metadata.labels` only) and `patches` (JSON 6902 operations, inline, whose `target`
//! selects by kind, name and `key=value` label selector). Any other field is refused, so the
//! manifests cannot start relying on a rule this renderer would silently skip. Where kubectl
//! is installed, the tests compare this rendering with its own.

use std::path::Path;

use serde_yaml_ng::{Mapping, Value};

/// The fields of a kustomization this renderer applies.
const KNOWN: [&str; 6] = [
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "labels",
    "patches",
];

/// Kinds that live outside any namespace (the ones deploy/k8s uses).
const CLUSTER_SCOPED: [&str; 1] = ["Namespace"];

/// The objects the kustomization in `dir` renders to, in the order of its resources.
pub fn render(dir: &Path) -> Vec<Value> {
    let file = dir.join("kustomization.yaml");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let kustomization: Mapping = serde_yaml_ng::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not YAML: {e}", file.display()));
    for key in kustomization.keys() {
        let key = key.as_str().unwrap_or_default();
        assert!(
            KNOWN.contains(&key),
            "{}: `{key}` is a kustomize field this renderer does not apply; teach \
             xtask/tests/kustomize what it does, or do without it",
            file.display()
        );
    }
    let mut objects = Vec::new();
    for resource in list(&kustomization, "resources") {
        let path = dir.join(resource.as_str().expect("a resource is a path"));
        if path.is_dir() {
            objects.extend(render(&path));
        } else {
            objects.extend(documents(&path));
        }
    }
    for labels in list(&kustomization, "labels") {
        let pairs = labels["pairs"].as_mapping().expect("labels have pairs");
        let extra: Vec<&str> = labels
            .as_mapping()
            .into_iter()
            .flat_map(Mapping::keys)
            .filter_map(Value::as_str)
            .filter(|k| *k != "pairs")
            .collect();
        assert!(
            extra.is_empty(),
            "{}: labels {extra:?} are not applied here",
            file.display()
        );
        for object in &mut objects {
            let metadata = object["metadata"].as_mapping_mut().expect("metadata");
            let labels = metadata
                .entry("labels".into())
                .or_insert_with(|| Value::Mapping(Mapping::new()));
            for (k, v) in pairs {
                labels
                    .as_mapping_mut()
                    .expect("labels are a mapping")
                    .insert(k.clone(), v.clone());
            }
        }
    }
    for patch in list(&kustomization, "patches") {
        apply_patch(&mut objects, &patch, &file);
    }
    if let Some(namespace) = kustomization.get("namespace") {
        for object in &mut objects {
            let kind = object["kind"].as_str().unwrap_or_default();
            if !CLUSTER_SCOPED.contains(&kind) {
                object["metadata"]
                    .as_mapping_mut()
                    .expect("metadata")
                    .insert("namespace".into(), namespace.clone());
            }
        }
    }
    objects
}

fn list(kustomization: &Mapping, key: &str) -> Vec<Value> {
    kustomization
        .get(key)
        .map(|v| v.as_sequence().expect("a list").clone())
        .unwrap_or_default()
}

/// The YAML documents of a file, without empty ones.
pub fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| {
            serde::Deserialize::deserialize(doc)
                .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
        })
        .filter(|doc: &Value| !doc.is_null())
        .collect()
}

fn apply_patch(objects: &mut [Value], patch: &Value, file: &Path) {
    let target = patch["target"].as_mapping().expect("a patch has a target");
    let ops: Vec<Value> = serde_yaml_ng::from_str(patch["patch"].as_str().expect("inline patch"))
        .unwrap_or_else(|e| {
            panic!(
                "{}: a patch is not a list of operations: {e}",
                file.display()
            )
        });
    let mut matched = 0;
    for object in objects.iter_mut() {
        if !selected(object, target) {
            continue;
        }
        matched += 1;
        for op in &ops {
            apply_op(object, op, file);
        }
    }
    assert!(
        matched > 0,
        "{}: a patch matches nothing: {target:?}",
        file.display()
    );
}

fn selected(object: &Value, target: &Mapping) -> bool {
    let field = |key: &str| target.get(key).and_then(Value::as_str);
    if field("kind").is_some_and(|kind| object["kind"].as_str() != Some(kind)) {
        return false;
    }
    if field("name").is_some_and(|name| object["metadata"]["name"].as_str() != Some(name)) {
        return false;
    }
    if let Some(selector) = field("labelSelector") {
        for term in selector.split(',') {
            let (key, value) = term.split_once('=').expect("key=value selectors only");
            if object["metadata"]["labels"][key.trim()].as_str() != Some(value.trim()) {
                return false;
            }
        }
    }
    true
}

/// One JSON 6902 operation (`add`, `replace`, `remove`) on a JSON pointer.
fn apply_op(object: &mut Value, op: &Value, file: &Path) {
    let kind = op["op"].as_str().expect("op");
    let path = op["path"].as_str().expect("path");
    let mut parts: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(|p| p.replace("~1", "/").replace("~0", "~"))
        .collect();
    let last = parts.pop().expect("a path below the root");
    let mut parent = &mut *object;
    for part in &parts {
        parent = match parent {
            Value::Mapping(map) => map
                .get_mut(part.as_str())
                .unwrap_or_else(|| panic!("{}: {path}: no {part}", file.display())),
            Value::Sequence(seq) => &mut seq[part.parse::<usize>().expect("an index")],
            _ => panic!("{}: {path}: {part} is a scalar", file.display()),
        };
    }
    let map = parent
        .as_mapping_mut()
        .unwrap_or_else(|| panic!("{}: {path}: only mappings are patched here", file.display()));
    match kind {
        "add" => {
            map.insert(last.into(), op["value"].clone());
        }
        "replace" => {
            assert!(
                map.contains_key(last.as_str()),
                "{}: replace of a missing {path}",
                file.display()
            );
            map.insert(last.into(), op["value"].clone());
        }
        "remove" => {
            assert!(
                map.remove(last.as_str()).is_some(),
                "{}: remove of a missing {path}",
                file.display()
            );
        }
        other => panic!(
            "{}: the operation {other} is not applied here",
            file.display()
        ),
    }
}
