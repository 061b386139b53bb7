//! The open-file limit (10,000 streams are 10,000 sockets) and a process's resident memory.

use anyhow::{Context as _, Result};
use rlimit::Resource;

/// Raises this process's open-file limit to at least `wanted`: the soft limit up to the hard
/// one, and the hard one too where we may (root). Returns the soft limit now in force, which
/// may be below `wanted` when the hard limit could not be raised.
pub fn raise_open_files(wanted: u64) -> Result<u64> {
    let (soft, hard) = Resource::NOFILE
        .get()
        .context("cannot read the open-file limit")?;
    if soft >= wanted {
        return Ok(soft);
    }
    if hard < wanted && Resource::NOFILE.set(wanted, wanted).is_ok() {
        return Ok(wanted);
    }
    let target = wanted.min(hard);
    Resource::NOFILE
        .set(target, hard)
        .with_context(|| format!("cannot raise the open-file limit to {target}"))?;
    Ok(target)
}

/// `VmRSS` of `/proc/<pid>/status`, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    vm_field(&status, "VmRSS")
}

/// A `Vm…:  1234 kB` line of `/proc/<pid>/status`, in KiB.
pub fn vm_field(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_lines_are_read_in_kib() {
        let status = "Name:\torder-service\nVmHWM:\t   20480 kB\nVmRSS:\t   12345 kB\n";
        assert_eq!(vm_field(status, "VmRSS"), Some(12345));
        assert_eq!(vm_field(status, "VmHWM"), Some(20480));
        assert_eq!(vm_field(status, "VmSwap"), None);
        assert!(rss_kib(std::process::id()).is_some_and(|kib| kib > 0));
    }

    #[test]
    fn the_limit_is_never_lowered() {
        let (soft, _) = Resource::NOFILE.get().expect("limit");
        assert!(raise_open_files(16).expect("raised") >= soft.min(16));
    }
}
