//! The tool the Kubernetes manifests are checked with: `kubernetes-validate` (PyPI, pinned),
//! which carries the Kubernetes API schemas, so no cluster and no download at test time are
//! needed. Installed into the project virtualenv `.local/venv` beside the MongoDB stand-in;
//! `cargo xtask test` names it to the tests in `KUBERNETES_VALIDATE` (xtask/tests/k8s.rs).

use std::{path::PathBuf, process::Command};

use anyhow::Result;

use crate::{ctx::Ctx, exec, infra};

const LABEL: &str = "k8s";
/// The one place its version is pinned.
const KUBERNETES_VALIDATE: &str = "kubernetes-validate==1.34.1";

/// Installs `kubernetes-validate` if missing; its path.
pub fn validator(ctx: &Ctx) -> Result<PathBuf> {
    let program = ctx.paths.venv().join("bin").join("kubernetes-validate");
    if !program.exists() {
        infra::ensure_venv(ctx)?;
        let mut pip = Command::new(ctx.paths.venv().join("bin").join("pip"));
        pip.args([
            "install",
            "--disable-pip-version-check",
            KUBERNETES_VALIDATE,
        ]);
        let hint = "check the network access to PyPI";
        exec::run(ctx, LABEL, &mut pip, hint)?;
    }
    Ok(program)
}
