//! `.env.example` against the code: every variable the services read (found in their source,
//! see `reads`) has a line, every line names a variable the code reads, and a line that sets a
//! value sets the default the code has for it.

mod reads;

use std::collections::{BTreeMap, BTreeSet};

/// Lines for settings another change is adding, and the change: they may stand before the code
/// reads them (none at present).
const READ_SOON: [(&str, &str); 0] = [];

/// The documented variables: `NAME=value` lines, and `# NAME=value` examples of settings that
/// are unset by default or differ per service. Only names in upper case count (comments may
/// hold `key=value` prose).
fn documented() -> BTreeMap<String, Option<String>> {
    reads::read(".env.example")
        .lines()
        .filter_map(|line| {
            let commented = line.trim_start().starts_with('#');
            let (name, value) = line.trim_start_matches(['#', ' ']).split_once('=')?;
            let name = name.trim();
            let plain = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            plain.then(|| {
                let value = (!commented).then(|| value.trim().to_owned());
                (name.to_owned(), value)
            })
        })
        .collect()
}

#[test]
fn every_variable_the_code_reads_has_a_line_in_env_example() {
    let documented = documented();
    let reads = reads::all_reads();
    assert!(reads.len() >= 40, "too few variables found: {reads:?}");
    let missing: Vec<String> = reads
        .iter()
        .filter(|(name, _)| !documented.contains_key(*name))
        .map(|(name, by)| format!("{name} (read by {by:?}) has no line in .env.example"))
        .collect();
    assert!(missing.is_empty(), "\n  - {}", missing.join("\n  - "));
}

#[test]
fn every_line_of_env_example_is_a_variable_the_code_reads() {
    let reads = reads::all_reads();
    let soon: BTreeSet<&str> = READ_SOON.iter().map(|(name, _)| *name).collect();
    let unread: Vec<String> = documented()
        .into_keys()
        .filter(|name| !reads.contains_key(name) && !soon.contains(name.as_str()))
        .map(|name| format!("{name} is in .env.example, but no service reads it"))
        .collect();
    assert!(unread.is_empty(), "\n  - {}", unread.join("\n  - "));
}

#[test]
fn a_value_in_env_example_is_the_default_the_code_has() {
    let reads = reads::all_reads();
    let mut wrong = Vec::new();
    for (name, value) in documented() {
        let (Some(value), Some(crates)) = (value, reads.get(&name)) else {
            continue;
        };
        let defaults: BTreeSet<String> = crates
            .iter()
            .filter_map(|krate| reads::literal_default(krate, &name))
            .collect();
        // Two services may read one variable with different defaults (UPSTREAM_TIMEOUT_MS):
        // the line must hold one of them.
        if !defaults.is_empty() && !defaults.contains(&value) {
            wrong.push(format!(
                "{name}={value} in .env.example, but the code defaults to {defaults:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "\n  - {}", wrong.join("\n  - "));
}
