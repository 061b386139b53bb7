//! `bench/results/fuzz.md`: the passes with their totals, then every finding grouped by
//! operation, each with the request that reproduces it; the same finding in several passes is
//! listed once.

use std::fmt::Write as _;

use super::report::{Finding, Output, Totals};

/// One schemathesis run (one caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassResult {
    /// `admin`, `customer`, ...
    pub name: String,
    /// The JSON report's counts, when it was written.
    pub totals: Option<Totals>,
    /// What the console said.
    pub output: Output,
    /// schemathesis's exit code (`None`: killed at the time limit, or by a signal).
    pub exit: Option<i32>,
    /// Where its full console output is.
    pub log: String,
}

impl PassResult {
    /// Whether it found nothing and exited 0.
    pub fn passed(&self) -> bool {
        self.exit == Some(0) && self.output.findings.is_empty() && self.output.errors.is_empty()
    }

    fn outcome(&self) -> String {
        match self.exit {
            _ if self.passed() => "passed".to_owned(),
            Some(code) => format!("failed (exit {code})"),
            None => "stopped at the time limit".to_owned(),
        }
    }
}

/// The run's settings, for the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    /// UTC date.
    pub date: String,
    /// `schemathesis 4.32.5`.
    pub tool: String,
    /// The document's URL.
    pub schema_url: String,
    /// Operations in the document.
    pub operations: usize,
    /// Of which declare 429.
    pub declare_429: usize,
    /// The seed.
    pub seed: u64,
    /// `--max-examples`.
    pub max_examples: u32,
    /// The checks.
    pub checks: String,
    /// How rate limits were handled.
    pub rate_limits: String,
    /// The event streams left out of the passes.
    pub streams: Vec<String>,
    /// What was cleaned up afterwards.
    pub afterwards: String,
}

/// The sentence on the event streams left out, with a leading space; empty without any.
fn left_out(streams: &[String]) -> String {
    if streams.is_empty() {
        return String::new();
    }
    let named: Vec<String> = streams.iter().map(|p| format!("`GET {p}`")).collect();
    format!(
        " Left out of the passes: the event streams ({}), since one that opens stays open until \
         the 15 s request timeout, a case at a time; their refusals are tested in the gateway's \
         and the services' own tests.",
        named.join(", ")
    )
}

/// The whole file.
pub fn render(info: &RunInfo, passes: &[PassResult]) -> String {
    let mut out = String::from("# Fuzzing the public API\n\n");
    let _ = writeln!(
        out,
        "`cargo xtask fuzz`, {date}: {tool} against `{url}` ({ops} operations), seed {seed}, \
         at most {max} examples per operation and phase; checks: {checks}.\n\n{limits} \
         {declared} of {ops} operations declare 429.{streams} {afterwards}\n",
        date = info.date,
        tool = info.tool,
        url = info.schema_url,
        ops = info.operations,
        seed = info.seed,
        max = info.max_examples,
        checks = info.checks,
        limits = info.rate_limits,
        declared = info.declare_429,
        streams = left_out(&info.streams),
        afterwards = info.afterwards,
    );
    out.push_str(
        "| pass | operations tested | test cases | unique failures | tool errors | result |\n",
    );
    out.push_str("| --- | ---: | ---: | ---: | ---: | --- |\n");
    for pass in passes {
        let count = |f: fn(&Totals) -> u64| {
            pass.totals
                .as_ref()
                .map_or_else(|| "?".to_owned(), |t| f(t).to_string())
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            pass.name,
            count(|t| t.tested),
            count(|t| t.generated),
            count(|t| t.unique_failures),
            count(|t| t.errors),
            pass.outcome()
        );
    }
    blank_line(&mut out);
    out.push_str("## Failures\n\n");
    render_findings(&mut out, passes);
    render_errors(&mut out, passes);
    render_warnings(&mut out, passes);
    blank_line(&mut out);
    out.push_str("Full console output of each pass: ");
    let logs: Vec<String> = passes.iter().map(|p| format!("`{}`", p.log)).collect();
    out.push_str(&logs.join(", "));
    out.push_str(" (not committed).\n");
    out
}

/// The operations schemathesis could not finish, if any.
fn render_errors(out: &mut String, passes: &[PassResult]) {
    let errors: Vec<String> = passes
        .iter()
        .flat_map(|pass| {
            pass.output.errors.iter().map(move |e| {
                format!(
                    "- `{}` ({}): {}: {}",
                    e.operation, pass.name, e.title, e.message
                )
            })
        })
        .collect();
    if !errors.is_empty() {
        blank_line(out);
        out.push_str("## Tool errors (schemathesis could not finish these operations)\n\n");
        out.push_str(&errors.join("\n"));
        out.push('\n');
    }
}

/// schemathesis's warnings (shallow coverage, not failures), if any.
fn render_warnings(out: &mut String, passes: &[PassResult]) {
    let warnings: Vec<String> = passes
        .iter()
        .filter_map(|pass| Some((pass, pass.totals.as_ref()?)))
        .flat_map(|(pass, totals)| {
            totals.warnings.iter().map(move |(kind, operations)| {
                let operations: Vec<String> = operations.iter().map(|o| format!("`{o}`")).collect();
                format!(
                    "- {} ({}): {}",
                    kind.replace('_', " "),
                    pass.name,
                    operations.join(", ")
                )
            })
        })
        .collect();
    if !warnings.is_empty() {
        blank_line(out);
        out.push_str(
            "## Where coverage was shallow (schemathesis's warnings, not failures)\n\n\
             `missing test data`: the ids it tried never existed, so only the 404 path was \
             exercised; `validation mismatch`: most generated input was rejected, so the \
             document may be looser than the validation; `missing auth`: only 401/403 came \
             back (expected for admin routes in the customer pass).\n\n",
        );
        out.push_str(&warnings.join("\n"));
        out.push('\n');
    }
}

/// Ends `out` with exactly one empty line (Markdown's paragraph break).
fn blank_line(out: &mut String) {
    while out.ends_with('\n') {
        out.pop();
    }
    out.push_str("\n\n");
}

/// A finding and the passes it showed up in.
struct Grouped<'a> {
    finding: &'a Finding,
    passes: Vec<&'a str>,
}

fn render_findings(out: &mut String, passes: &[PassResult]) {
    let mut groups: Vec<Grouped<'_>> = Vec::new();
    for pass in passes {
        for finding in &pass.output.findings {
            let same = |g: &&mut Grouped<'_>| {
                g.finding.operation == finding.operation
                    && g.finding.status == finding.status
                    && titles(g.finding) == titles(finding)
            };
            match groups.iter_mut().find(same) {
                Some(group) => group.passes.push(&pass.name),
                None => groups.push(Grouped {
                    finding,
                    passes: vec![&pass.name],
                }),
            }
        }
    }
    if groups.is_empty() {
        out.push_str("None.\n");
        return;
    }
    groups.sort_by(|a, b| a.finding.operation.cmp(&b.finding.operation));
    let mut current = "";
    for group in &groups {
        let finding = group.finding;
        if finding.operation != current {
            current = &finding.operation;
            let _ = writeln!(out, "### `{current}`\n");
        }
        let status = finding
            .status
            .map_or_else(|| "no response".to_owned(), |s| s.to_string());
        let _ = writeln!(
            out,
            "- **{}** → {status} (as {}; case `{}`)",
            titles(finding).join("; "),
            group.passes.join(", "),
            finding.case_id
        );
        for (_, details) in &finding.checks {
            for detail in details {
                let _ = writeln!(out, "  - {detail}");
            }
        }
        if let Some(body) = &finding.body {
            let _ = writeln!(out, "  - body: `{body}`");
        }
        if let Some(curl) = &finding.curl {
            let _ = writeln!(out, "\n  ```sh\n  {curl}\n  ```\n");
        }
    }
}

fn titles(finding: &Finding) -> Vec<&str> {
    finding.checks.iter().map(|(t, _)| t.as_str()).collect()
}

#[cfg(test)]
mod tests;
