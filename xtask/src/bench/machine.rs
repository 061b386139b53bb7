//! The machine a benchmark ran on, written beside its figures: cores, memory, kernel, OS,
//! toolchain, which MongoDB, the tools' versions, the commit and the date.

use serde_json::Value;

use std::process::Command;

use crate::{ctx::Ctx, services};

/// A description; every field is text, `unknown` when it could not be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// `2 × Intel(R) Xeon(R) ...`.
    pub cpu: String,
    /// Logical cores available to us.
    pub cores: usize,
    /// `23.4 GiB`.
    pub memory: String,
    /// `6.1.0-18-amd64`.
    pub kernel: String,
    /// `Debian GNU/Linux 12 (bookworm)`.
    pub os: String,
    /// `rustc 1.95.0 (...)`.
    pub rustc: String,
    /// `nx-27017 0.8.1 (local stand-in)`, or where `MONGODB_URI` points.
    pub mongodb: String,
    /// Other tools and their versions (`nginx`, `wrk`).
    pub tools: Vec<(String, String)>,
    /// `a716867` (with ` + local changes` when the tree is dirty).
    pub commit: String,
    /// UTC, `2026-11-25T12:00:00Z`.
    pub date: String,
    /// `/proc/loadavg`'s 1-, 5- and 15-minute figures just before the measurements: other
    /// work on the machine shows here, and makes the figures noisier.
    pub load: String,
}

const UNKNOWN: &str = "unknown";

impl Machine {
    /// Looks everything up; `tools` are (name, version line) pairs found by the caller,
    /// `load` is [`load_average`] taken before the measurements.
    pub fn describe(ctx: &Ctx, tools: Vec<(String, String)>, load: String) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        Self {
            cpu: cpu_model(&cpuinfo).unwrap_or(UNKNOWN).to_owned(),
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            memory: memory(&meminfo).unwrap_or_else(|| UNKNOWN.to_owned()),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map_or_else(|_| UNKNOWN.to_owned(), |k| k.trim().to_owned()),
            os: pretty_name(&os_release).unwrap_or(UNKNOWN).to_owned(),
            rustc: first_line(Command::new("rustc").arg("--version")),
            mongodb: mongodb(ctx),
            tools,
            commit: commit(ctx),
            date: services::utc_now(),
            load,
        }
    }

    /// As a JSON object.
    pub fn to_json(&self) -> Value {
        let text = |s: &str| Value::String(s.to_owned());
        let mut members = vec![
            ("date".to_owned(), text(&self.date)),
            ("commit".to_owned(), text(&self.commit)),
            ("cpu".to_owned(), text(&self.cpu)),
            ("cores".to_owned(), Value::from(self.cores)),
            ("memory".to_owned(), text(&self.memory)),
            ("kernel".to_owned(), text(&self.kernel)),
            ("os".to_owned(), text(&self.os)),
            ("rustc".to_owned(), text(&self.rustc)),
            ("mongodb".to_owned(), text(&self.mongodb)),
            ("loadBefore".to_owned(), text(&self.load)),
        ];
        members.extend(self.tools.iter().map(|(n, v)| (n.clone(), text(v))));
        Value::from_iter(members)
    }

    /// As Markdown list items, one a line.
    pub fn to_markdown(&self) -> String {
        let mut lines = vec![
            format!("- date: {}", self.date),
            format!("- commit: {}", self.commit),
            format!("- CPU: {}, {} cores available", self.cpu, self.cores),
            format!("- memory: {}", self.memory),
            format!("- kernel: {} ({})", self.kernel, self.os),
            format!("- {}", self.rustc),
            format!("- MongoDB: {}", self.mongodb),
            format!("- load average before the measurements: {}", self.load),
        ];
        lines.extend(self.tools.iter().map(|(n, v)| format!("- {n}: {v}")));
        lines.join("\n") + "\n"
    }
}

/// The 1-, 5- and 15-minute load averages, e.g. `0.12 0.30 0.25`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| UNKNOWN.to_owned(),
        |text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        },
    )
}

/// The first `model name` of `/proc/cpuinfo`.
fn cpu_model(cpuinfo: &str) -> Option<&str> {
    cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, model)| model.trim())
}

/// `MemTotal` of `/proc/meminfo` in GiB.
fn memory(meminfo: &str) -> Option<String> {
    let kib: f64 = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    Some(format!("{:.1} GiB", kib / 1024.0 / 1024.0))
}

/// `PRETTY_NAME` of `/etc/os-release`, unquoted.
fn pretty_name(os_release: &str) -> Option<&str> {
    os_release
        .lines()
        .find_map(|line| line.strip_prefix("PRETTY_NAME="))
        .map(|name| name.trim().trim_matches('"'))
}

/// The first line a command prints (stdout, else stderr), or `unknown`.
pub fn first_line(cmd: &mut Command) -> String {
    let Ok(output) = cmd.output() else {
        return UNKNOWN.to_owned();
    };
    let text = if output.stdout.is_empty() {
        output.stderr
    } else {
        output.stdout
    };
    String::from_utf8_lossy(&text)
        .lines()
        .next()
        .map_or_else(|| UNKNOWN.to_owned(), |l| l.trim().to_owned())
}

/// Which MongoDB the services used: `MONGODB_URI`'s server, or the stand-in's installed
/// version (read from its package metadata in the venv).
fn mongodb(ctx: &Ctx) -> String {
    if let Some(uri) = crate::infra::Infra::Mongodb.env_url() {
        return format!("the server at MONGODB_URI ({})", crate::net::redact(&uri));
    }
    let lib = ctx.paths.venv().join("lib");
    let version = std::fs::read_dir(&lib)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|python| std::fs::read_dir(python.path().join("site-packages")).ok())
        .flatten()
        .flatten()
        .find_map(|entry| dist_info_version(&entry.file_name().to_string_lossy(), "nx_27017"));
    match version {
        Some(version) => format!("nx-27017 {version} (local wire-protocol stand-in over SQLite)"),
        None => "nx-27017 (local stand-in, version not found)".to_owned(),
    }
}

/// `1.2.3` from `<package>-1.2.3.dist-info`.
fn dist_info_version(file_name: &str, package: &str) -> Option<String> {
    file_name
        .strip_prefix(package)?
        .strip_prefix('-')?
        .strip_suffix(".dist-info")
        .map(str::to_owned)
}

/// The checked-out commit, and whether the tree has changes on top of it.
fn commit(ctx: &Ctx) -> String {
    let hash = first_line(Command::new("git").current_dir(&ctx.paths.root).args([
        "rev-parse",
        "--short",
        "HEAD",
    ]));
    let dirty = Command::new("git")
        .current_dir(&ctx.paths.root)
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .is_ok_and(|o| !o.stdout.is_empty());
    if dirty {
        format!("{hash} + local changes")
    } else {
        hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_and_os_release_files_are_read() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\n";
        assert_eq!(cpu_model(cpuinfo), Some("AMD EPYC 7B13"));
        assert_eq!(
            memory("MemTotal:       24576000 kB\nMemFree: 1 kB\n").as_deref(),
            Some("23.4 GiB")
        );
        assert_eq!(
            pretty_name("NAME=\"Debian\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(memory("nothing"), None);
        assert_eq!(load_average().split_whitespace().count(), 3);
    }

    #[test]
    fn a_version_is_read_from_a_dist_info_folder() {
        assert_eq!(
            dist_info_version("nx_27017-0.8.1.dist-info", "nx_27017").as_deref(),
            Some("0.8.1")
        );
        assert_eq!(
            dist_info_version("nx_27017_extra-1.dist-info", "nx_27017"),
            None
        );
        assert_eq!(dist_info_version("pymongo-4.2.dist-info", "nx_27017"), None);
    }
}
