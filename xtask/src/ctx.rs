//! The run context: where things live (the workspace, `.local/`), the progress printer, and
//! what happens once per run.

use std::{
    cell::Cell,
    fmt::Display,
    path::{Path, PathBuf},
    time::Instant,
};

use anyhow::{Context as _, Result};

/// Everything a subcommand needs.
pub struct Ctx {
    /// Where files live.
    pub paths: Paths,
    /// Prints one line per step.
    pub progress: Progress,
    /// Whether `apt-get update` already ran in this process.
    pub apt_updated: Cell<bool>,
}

impl Ctx {
    /// A context for the workspace this binary was built from.
    pub fn new() -> Self {
        Self {
            paths: Paths::new(),
            progress: Progress {
                start: Instant::now(),
            },
            apt_updated: Cell::new(false),
        }
    }
}

/// Prints steps as `[  12.3s] label  message`, the time counted from the start of the run.
pub struct Progress {
    start: Instant,
}

impl Progress {
    /// One line for one step.
    pub fn step(&self, label: &str, message: impl Display) {
        let elapsed = self.start.elapsed().as_secs_f64();
        println!("[{elapsed:>6.1}s] {label:<17} {message}");
    }
}

/// `<namespace>-` with `XTASK_NAMESPACE`, else nothing.
fn namespaced() -> String {
    crate::services::namespace().map_or_else(String::new, |n| format!("{n}-"))
}

/// The workspace and `.local/` (gitignored): logs, pid files, data of what `xtask` runs.
pub struct Paths {
    /// The workspace root.
    pub root: PathBuf,
}

impl Paths {
    fn new() -> Self {
        // xtask/ sits directly under the workspace root.
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = manifest.parent().unwrap_or(manifest).to_path_buf();
        Self { root }
    }

    /// `.local/`.
    pub fn local(&self) -> PathBuf {
        self.root.join(".local")
    }

    /// `.local/logs/<name>.log` (`<namespace>-<name>.log` with `XTASK_NAMESPACE`).
    pub fn log(&self, name: &str) -> PathBuf {
        self.local()
            .join("logs")
            .join(format!("{}{name}.log", namespaced()))
    }

    /// `.local/run/<name>.pid` (`<namespace>-<name>.pid` with `XTASK_NAMESPACE`, so that two
    /// suites on one machine keep their own).
    pub fn pid(&self, name: &str) -> PathBuf {
        self.local()
            .join("run")
            .join(format!("{}{name}.pid", namespaced()))
    }

    /// `.local/run/xtask.state`: which infrastructure `xtask` started.
    pub fn state(&self) -> PathBuf {
        self.local().join("run").join("xtask.state")
    }

    /// `.local/venv`: the Python virtualenv holding the MongoDB stand-in.
    pub fn venv(&self) -> PathBuf {
        self.local().join("venv")
    }

    /// The dev-profile binary of a workspace package.
    pub fn binary(&self, name: &str) -> PathBuf {
        self.target().join("debug").join(name)
    }

    /// The release-profile binary of a workspace package (what `bench` runs).
    pub fn release_binary(&self, name: &str) -> PathBuf {
        self.target().join("release").join(name)
    }

    /// `.local/bench`: configs, logs and files of what `bench` runs.
    pub fn bench(&self) -> PathBuf {
        self.local().join("bench")
    }

    /// `CARGO_TARGET_DIR`, or `target/` in the workspace.
    fn target(&self) -> PathBuf {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.root.join("target"));
        if target.is_absolute() {
            target
        } else {
            self.root.join(target)
        }
    }

    /// Creates `.local/logs` and `.local/run`.
    pub fn ensure_dirs(&self) -> Result<()> {
        for dir in ["logs", "run"] {
            let dir = self.local().join(dir);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        Ok(())
    }

    /// A path relative to the workspace root when it is inside it, for shorter messages.
    pub fn show(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}
