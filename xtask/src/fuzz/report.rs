//! What a schemathesis run found: its console output's FAILURES and ERRORS sections read into
//! findings (operation, checks, status, the `curl` that reproduces it) and its JSON report's
//! totals.

use serde_json::Value;

/// One failing test case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Finding {
    /// `GET /api/products/{id}`.
    pub operation: String,
    /// The case id (`st replay <id>`).
    pub case_id: String,
    /// The checks it failed, e.g. `ST101 Server error`, each with its detail lines.
    pub checks: Vec<(String, Vec<String>)>,
    /// The response's status code.
    pub status: Option<u16>,
    /// The response body as schemathesis shows it (one line, maybe shortened).
    pub body: Option<String>,
    /// The request as a `curl` command (secrets shown as `[Filtered]`).
    pub curl: Option<String>,
}

/// An operation schemathesis itself could not test (a crash of the tool, not of the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolError {
    /// `GET /api/alerts`.
    pub operation: String,
    /// `Runtime Error`.
    pub title: String,
    /// Its first message line.
    pub message: String,
}

/// What the console output says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Output {
    /// The FAILURES section.
    pub findings: Vec<Finding>,
    /// The ERRORS section.
    pub errors: Vec<ToolError>,
    /// The closing line, e.g. `3 failures, 1 error, 3 warnings in 58.97s`.
    pub closing: Option<String>,
}

impl Output {
    /// Reads schemathesis's console output (`--no-color`).
    pub fn parse(text: &str) -> Self {
        let mut output = Self::default();
        let mut section = String::new();
        let mut operation = String::new();
        let mut after_reproduce = false;
        let mut error_lines: Vec<String> = Vec::new();
        for raw in text.lines() {
            let line = raw.trim_end();
            if let Some(title) = banner(line, '=') {
                output.flush_error(&operation, &mut error_lines);
                if title.contains(" in ") && title.ends_with('s') {
                    output.closing = Some(title.to_owned());
                }
                section = title.to_owned();
                operation.clear();
                continue;
            }
            if let Some(title) = banner(line, '_') {
                output.flush_error(&operation, &mut error_lines);
                operation = title.to_owned();
                continue;
            }
            match section.as_str() {
                "FAILURES" => {
                    output.failure_line(&operation, line, &mut after_reproduce);
                }
                // The title and the message; the traceback after them is left in the log.
                "ERRORS"
                    if !operation.is_empty()
                        && !line.trim().is_empty()
                        && error_lines.len() < 2 =>
                {
                    error_lines.push(line.trim().to_owned());
                }
                _ => {}
            }
        }
        output.flush_error(&operation, &mut error_lines);
        output
    }

    fn failure_line(&mut self, operation: &str, line: &str, after_reproduce: &mut bool) {
        let trimmed = line.trim();
        if let Some((_, id)) = trimmed.split_once(". Test Case ID: ") {
            self.findings.push(Finding {
                operation: operation.to_owned(),
                case_id: id.trim().to_owned(),
                ..Finding::default()
            });
            *after_reproduce = false;
            return;
        }
        let Some(finding) = self.findings.last_mut() else {
            return;
        };
        if trimmed.is_empty() {
            return;
        }
        if let Some(check) = line.strip_prefix("- ") {
            finding.checks.push((check.trim().to_owned(), Vec::new()));
        } else if let Some(status) = status_line(trimmed) {
            finding.status = Some(status);
        } else if trimmed == "Reproduce with:" {
            *after_reproduce = true;
        } else if *after_reproduce && trimmed.starts_with("curl ") {
            finding.curl = Some(trimmed.to_owned());
            *after_reproduce = false;
        } else if trimmed.starts_with('`') && finding.status.is_some() && finding.body.is_none() {
            finding.body = Some(trimmed.trim_matches('`').to_owned());
        } else if finding.status.is_none()
            && line.starts_with(' ')
            && let Some((_, details)) = finding.checks.last_mut()
        {
            details.push(trimmed.to_owned());
        }
    }

    fn flush_error(&mut self, operation: &str, lines: &mut Vec<String>) {
        if lines.is_empty() {
            return;
        }
        let mut taken = std::mem::take(lines).into_iter();
        self.errors.push(ToolError {
            operation: operation.to_owned(),
            title: taken.next().unwrap_or_default(),
            message: taken.next().unwrap_or_default(),
        });
    }
}

/// The title of `==== TITLE ====` (or `____ TITLE ____`) lines.
fn banner(line: &str, fill: char) -> Option<&str> {
    let inner = line.strip_prefix(fill)?.trim_start_matches(fill);
    let inner = inner.strip_suffix(fill)?.trim_end_matches(fill);
    let title = inner.strip_prefix(' ')?.strip_suffix(' ')?;
    (!title.is_empty()).then_some(title)
}

/// `[500] Internal Server Error:` → 500.
fn status_line(line: &str) -> Option<u16> {
    let rest = line.strip_prefix('[')?;
    let (code, after) = rest.split_once(']')?;
    if !after.trim_end().ends_with(':') || code.len() != 3 {
        return None;
    }
    code.parse().ok()
}

/// The JSON report's counts (`--report json`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    /// Operations tested.
    pub tested: u64,
    /// Operations selected by the filters.
    pub selected: u64,
    /// Test cases generated.
    pub generated: u64,
    /// Distinct failures.
    pub unique_failures: u64,
    /// Tool errors.
    pub errors: u64,
    /// `completed`, or why it stopped.
    pub stop_reason: String,
    /// schemathesis's warnings that name operations (e.g. `missing_test_data`: the ids it
    /// tried never existed), in report order: where coverage was shallow, not failures.
    pub warnings: Vec<(String, Vec<String>)>,
}

impl Totals {
    /// Reads the JSON report.
    pub fn parse(text: &str) -> Result<Self, String> {
        let json: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let number = |path: &[&str]| {
            json.pointer(&format!("/{}", path.join("/")))
                .and_then(Value::as_f64)
                .map(|n| n as u64)
                .ok_or_else(|| format!("the report has no {}", path.join(".")))
        };
        Ok(Self {
            tested: number(&["operations", "tested"])?,
            selected: number(&["operations", "selected"])?,
            generated: number(&["test_cases", "generated"])?,
            unique_failures: number(&["test_cases", "unique_failures"])?,
            errors: json
                .get("errors")
                .and_then(Value::as_array)
                .map_or(0, |e| e.len() as u64),
            stop_reason: json
                .get("stop_reason")
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_owned(),
            warnings: json
                .get("warnings")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter_map(|(kind, operations)| {
                    let operations: Vec<String> = operations
                        .as_array()?
                        .iter()
                        .filter_map(|op| op.as_str().map(str::to_owned))
                        .collect();
                    (!operations.is_empty()).then(|| (kind.clone(), operations))
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests;
