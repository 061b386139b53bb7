//! The summary printed at the end of `cargo xtask fuzz`: each pass's verdict, then the
//! findings by area, one line each.

use super::{
    markdown::PassResult,
    report::{Area, area},
};

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
    for (which, title) in [
        (Area::Ready, "landed areas (auth, customers, products)"),
        (Area::InProgress, "areas still being built"),
    ] {
        let mut lines: Vec<String> = results
            .iter()
            .flat_map(|r| {
                r.output
                    .findings
                    .iter()
                    .filter(|f| area(&f.operation) == which)
                    .map(move |f| {
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
            println!("  in {title}: none");
        } else {
            println!("  in {title}:");
        }
        for line in lines {
            println!("{line}");
        }
    }
}
