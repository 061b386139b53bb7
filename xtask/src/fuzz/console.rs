//! The summary printed at the end of `cargo xtask fuzz`: each pass's verdict, then every
//! finding, one line each.

use super::markdown::PassResult;

/// Prints the summary.
pub fn print_summary(results: &[PassResult]) {
    println!();
    println!("Fuzzing summary:");
    for result in results {
        let found = result.output.findings.len();
        let errors = result.output.errors.len();
        let closing = result
            .output
            .closing
            .as_deref()
            .unwrap_or("no closing line");
        let verdict = if result.passed() { "passed" } else { "FAILED" };
        println!(
            "  {:<16} {verdict:<7} {found} failing case(s), {errors} tool error(s): {closing}",
            result.name
        );
    }
    // Sorted so an operation's findings sit together; deduplicated because one pass can fail
    // the same check on the same operation with several cases.
    let mut lines: Vec<String> = results
        .iter()
        .flat_map(|r| {
            r.output.findings.iter().map(move |f| {
                let checks: Vec<&str> = f.checks.iter().map(|(t, _)| t.as_str()).collect();
                let status = f.status.map_or_else(|| "-".to_owned(), |s| s.to_string());
                format!(
                    "    {:<36} {status}  {} ({})",
                    f.operation,
                    checks.join("; "),
                    r.name
                )
            })
        })
        .collect();
    lines.sort();
    lines.dedup();
    if lines.is_empty() {
        println!("  findings: none");
    } else {
        println!("  findings:");
    }
    for line in lines {
        println!("{line}");
    }
}
