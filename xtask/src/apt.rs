//! Debian packages: `apt-get update` once per run, then a non-interactive install.

use anyhow::{Result, bail};

use crate::{ctx::Ctx, exec};

/// Installs `packages` with apt-get (as root, through sudo when needed). `hint` says what the
/// user can do instead when this is impossible or fails.
pub fn install(ctx: &Ctx, label: &str, packages: &[&str], hint: &str) -> Result<()> {
    let Some(apt) = exec::find_program("apt-get") else {
        bail!(
            "{} must be installed and this is not a Debian-like system (no apt-get): {hint}",
            packages.join(" ")
        );
    };
    let noninteractive = [("DEBIAN_FRONTEND", "noninteractive")];
    if !ctx.apt_updated.get() {
        let mut update = exec::as_root(&apt, &noninteractive, hint)?;
        exec::run(ctx, label, update.arg("update"), hint)?;
        ctx.apt_updated.set(true);
    }
    let mut install = exec::as_root(&apt, &noninteractive, hint)?;
    install.args(["install", "-y"]).args(packages);
    exec::run(ctx, label, &mut install, hint)
}

/// `program` on the PATH, installed from Debian's `package` when missing (the tests' tools,
/// e.g. `pdftoppm` from `poppler-utils`).
pub fn ensure_program(ctx: &Ctx, program: &str, package: &str, hint: &str) -> Result<()> {
    if exec::find_program(program).is_some() {
        return Ok(());
    }
    install(ctx, package, &[package], hint)?;
    if exec::find_program(program).is_none() {
        bail!("the {package} package did not provide {program}: {hint}");
    }
    Ok(())
}
