//! schemathesis (PyPI, pinned) in the project venv: installing it, the arguments of one pass,
//! and running it with its output shown, kept in a log, and cut off at a time limit.

use std::{
    fs::File,
    io::{BufRead as _, BufReader, Write as _},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result};

use crate::{ctx::Ctx, exec, infra};

/// The one place schemathesis's version is pinned.
pub const PACKAGE: &str = "schemathesis==4.32.5";

/// The checks every pass runs: no 5xx, and status codes and content types the document
/// declares.
pub const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance";

const LABEL: &str = "fuzz";

/// Lines longer than this are shortened on the terminal (tracebacks can hold whole source
/// files); the log keeps them whole.
const SHOWN_LINE: usize = 240;

/// Installs schemathesis into `.local/venv` unless the pinned version is there; returns its
/// executable.
pub fn ensure(ctx: &Ctx) -> Result<PathBuf> {
    let exe = ctx.paths.venv().join("bin").join("schemathesis");
    let wanted = PACKAGE.split("==").nth(1).unwrap_or_default();
    if installed_version(&exe).as_deref() == Some(wanted) {
        ctx.progress
            .step(LABEL, format!("schemathesis {wanted} already in the venv"));
        return Ok(exe);
    }
    infra::ensure_venv(ctx)?;
    let mut pip = Command::new(ctx.paths.venv().join("bin").join("pip"));
    pip.args(["install", "--disable-pip-version-check", "--quiet", PACKAGE]);
    exec::run(
        ctx,
        LABEL,
        &mut pip,
        "check the network access to PyPI; the venv is .local/venv",
    )?;
    Ok(exe)
}

/// `schemathesis, version 4.32.5` → `4.32.5`.
fn installed_version(exe: &Path) -> Option<String> {
    let output = Command::new(exe).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.trim()
        .rsplit_once("version ")
        .map(|(_, v)| v.trim().to_owned())
}

/// Which operations a pass covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Only {
    /// Every operation but those at these paths.
    AllBut(Vec<String>),
    /// Only the operations at these paths.
    These(Vec<String>),
}

/// One pass: who calls, which operations, where the JSON report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pass {
    /// `admin`, `customer`, ...
    pub name: String,
    /// The bearer token sent with every request.
    pub token: String,
    /// Which operations.
    pub only: Only,
}

/// What every pass shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `http://127.0.0.1:5000/api/openapi.json`.
    pub schema_url: String,
    /// `http://127.0.0.1:5000`.
    pub base_url: String,
    /// Test cases per operation and phase.
    pub max_examples: u32,
    /// Hypothesis's seed, for a run that can be repeated.
    pub seed: u64,
}

/// The arguments of `schemathesis` for one pass; `report` is the JSON report's path.
///
/// One worker: schemathesis 4.32 on Python 3.11 sometimes fails with "AST constructor
/// recursion depth mismatch" when two workers build strategies at once, and a second worker
/// gains little on two cores shared with the suite.
pub fn args(settings: &Settings, pass: &Pass, report: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "run",
        &settings.schema_url,
        "--url",
        &settings.base_url,
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        &settings.max_examples.to_string(),
        "--seed",
        &settings.seed.to_string(),
        "--workers",
        "1",
        "--request-timeout",
        "15",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
    ]
    .map(str::to_owned)
    .to_vec();
    args.push(report.display().to_string());
    args.push("--header".to_owned());
    args.push(format!("Authorization: Bearer {}", pass.token));
    let (flag, paths) = match &pass.only {
        Only::AllBut(paths) => ("--exclude-path", paths),
        Only::These(paths) => ("--include-path", paths),
    };
    for path in paths {
        args.push(flag.to_owned());
        args.push(path.clone());
    }
    args
}

/// The arguments as a shell line with the token masked, for the progress output.
pub fn describe(args: &[String], token: &str) -> String {
    let words: Vec<String> = args
        .iter()
        .map(|a| {
            let a = a.replace(token, "***");
            if a.contains(' ') { format!("'{a}'") } else { a }
        })
        .collect();
    format!("schemathesis {}", words.join(" "))
}

/// Runs schemathesis: each output line is shown (shortened) and written to `log`; the
/// process is killed after `limit`. Returns the console output and the exit code (`None`
/// when killed).
pub fn run(
    ctx: &Ctx,
    exe: &Path,
    args: &[String],
    workdir: &Path,
    log: &Path,
    limit: Duration,
) -> Result<(String, Option<i32>)> {
    let mut file = File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
    let mut child = Command::new(exe)
        .args(args)
        .current_dir(workdir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    let (sender, lines) = mpsc::channel::<String>();
    let readers = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ];
    for reader in readers.into_iter().flatten() {
        let sender = sender.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
    }
    drop(sender);

    let deadline = Instant::now() + limit;
    let mut console = String::new();
    let mut killed = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left.max(Duration::from_millis(1))) {
            Ok(line) => {
                writeln!(file, "{line}")?;
                println!("{}", shorten(&line));
                console.push_str(&line);
                console.push('\n');
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                ctx.progress.step(
                    LABEL,
                    format!(
                        "time limit of {}s reached: stopping schemathesis",
                        limit.as_secs()
                    ),
                );
                let _ = child.kill();
                killed = true;
                break;
            }
        }
    }
    let status = child.wait().context("waiting for schemathesis")?;
    Ok((console, if killed { None } else { status.code() }))
}

fn shorten(line: &str) -> String {
    match line.char_indices().nth(SHOWN_LINE) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            schema_url: "http://127.0.0.1:5000/api/openapi.json".to_owned(),
            base_url: "http://127.0.0.1:5000".to_owned(),
            max_examples: 25,
            seed: 7,
        }
    }

    #[test]
    fn a_pass_sends_its_token_and_filters_its_paths() {
        let pass = Pass {
            name: "admin".to_owned(),
            token: "tok.en".to_owned(),
            only: Only::AllBut(vec!["/api/auth/logout".to_owned()]),
        };
        let args = args(&settings(), &pass, Path::new("/r/admin.json"));
        let line = args.join(" ");
        assert!(line.starts_with(
            "run http://127.0.0.1:5000/api/openapi.json --url http://127.0.0.1:5000 "
        ));
        assert!(line.contains(&format!("--checks {CHECKS}")));
        assert!(line.contains("--max-examples 25 --seed 7 --workers 1"));
        assert!(line.contains("--report json --report-json-path /r/admin.json"));
        assert!(args.contains(&"Authorization: Bearer tok.en".to_owned()));
        assert!(line.ends_with("--exclude-path /api/auth/logout"));

        let only = Pass {
            only: Only::These(vec!["/api/auth/logout".to_owned()]),
            ..pass
        };
        let only_args = super::args(&settings(), &only, Path::new("/r/x.json"));
        assert!(
            only_args
                .join(" ")
                .ends_with("--include-path /api/auth/logout")
        );
    }

    #[test]
    fn the_description_masks_the_token() {
        let args = [
            "--header".to_owned(),
            "Authorization: Bearer tok.en".to_owned(),
        ];
        assert_eq!(
            describe(&args, "tok.en"),
            "schemathesis --header 'Authorization: Bearer ***'"
        );
    }

    #[test]
    fn long_lines_are_shortened_for_the_terminal() {
        assert_eq!(shorten("short"), "short");
        let long = "é".repeat(300);
        assert_eq!(shorten(&long).chars().count(), SHOWN_LINE + 1);
    }
}
