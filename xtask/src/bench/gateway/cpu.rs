//! The CPU time a process and its children have used, read from the kernel's scheduler
//! statistics (`/proc/<pid>/task/<tid>/schedstat`, nanoseconds on a CPU, every live thread):
//! what a proxy spends per request, a figure that a busy neighbour on a shared machine moves
//! far less than the rate.

use std::{collections::HashMap, fs};

use serde_json::Value;

use super::{median_of, report::round3};

/// Nanoseconds on a CPU so far of `pid`, its threads and its descendants (nginx's workers
/// are children of its master).
pub fn used_ns(pid: u32) -> u64 {
    let parents = parents();
    let mut total = 0;
    let mut pending = vec![pid];
    while let Some(pid) = pending.pop() {
        total += threads_ns(pid);
        pending.extend(
            parents
                .iter()
                .filter(|&(_, &parent)| parent == pid)
                .map(|(&child, _)| child),
        );
    }
    total
}

/// Each running process's parent.
fn parents() -> HashMap<u32, u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return HashMap::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            Some((pid, parent_in(&stat)?))
        })
        .collect()
}

/// The parent in a `/proc/<pid>/stat` line: the second field after the command, which is in
/// parentheses and may itself hold spaces and parentheses.
fn parent_in(stat: &str) -> Option<u32> {
    let (_, after) = stat.rsplit_once(')')?;
    after.split_whitespace().nth(1)?.parse().ok()
}

/// The sum over `pid`'s live threads of their time on a CPU.
fn threads_ns(pid: u32) -> u64 {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|task| fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// CPU time per request of one measurement, in microseconds.
#[derive(Debug, Clone, Copy)]
pub struct Cpu {
    /// The proxy's (nginx's master and workers, or the gateway's); none when direct.
    pub proxy: Option<f64>,
    /// product-service's.
    pub service: f64,
}

/// Each row's median CPU time per request over the rounds, in microseconds: the proxy's
/// (none when direct) and product-service's.
pub struct CpuRow {
    key: &'static str,
    label: &'static str,
    proxy: Option<f64>,
    service: f64,
}

pub fn table(
    rows: impl Iterator<Item = (&'static str, &'static str)>,
    cpu: &[Vec<Cpu>],
) -> Vec<CpuRow> {
    rows.zip(cpu)
        .map(|((key, label), rounds)| {
            let proxy: Vec<f64> = rounds.iter().filter_map(|c| c.proxy).collect();
            let service: Vec<f64> = rounds.iter().map(|c| c.service).collect();
            CpuRow {
                key,
                label,
                proxy: (!proxy.is_empty()).then(|| median_of(&proxy)),
                service: median_of(&service),
            }
        })
        .collect()
}

/// The CPU table in Markdown.
pub fn markdown(rows: &[CpuRow]) -> String {
    let mut out = String::from(
        "| target | proxy CPU per request | product-service CPU per request |\n\
         | --- | ---: | ---: |\n",
    );
    for row in rows {
        let proxy = row.proxy.map_or("–".to_owned(), |us| format!("{us:.1} µs"));
        out.push_str(&format!(
            "| {} | {proxy} | {:.1} µs |\n",
            row.label, row.service
        ));
    }
    out
}

/// The CPU table as JSON: per row key, the proxy's and product-service's microseconds.
pub fn json(rows: &[CpuRow]) -> Value {
    Value::from_iter(rows.iter().map(|row| {
        let proxy = row
            .proxy
            .map_or(Value::Null, |us| crate::bench::number(round3(us)));
        let figures = Value::from_iter(vec![
            ("proxy", proxy),
            ("productService", crate::bench::number(round3(row.service))),
        ]);
        (row.key.to_owned(), figures)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parent_is_read_past_a_command_with_spaces_and_parentheses() {
        assert_eq!(parent_in("42 (nginx: worker (x)) S 41 42 42 0"), Some(41));
        assert_eq!(parent_in("42 nginx S 41"), None);
    }

    #[test]
    fn this_process_has_used_some_cpu_and_its_count_only_grows() {
        let pid = std::process::id();
        let before = used_ns(pid);
        let mut spin = 0u64;
        for i in 0..2_000_000u64 {
            spin = spin.wrapping_add(std::hint::black_box(i));
        }
        std::hint::black_box(spin);
        assert!(before > 0);
        assert!(used_ns(pid) > before);
    }
}
