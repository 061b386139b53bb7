//! The figures of one benchmark as rows, and those rows as a terminal table, a Markdown
//! table and JSON; the ratio column compares each row with the baseline row. [`Grid`]: any
//! other table of text cells (the `orders`, `streams` and `footprint` figures), and the units
//! they are shown in.

use serde_json::Value;

use super::wrk::Report;

/// One measured target.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Short key (`direct`, `nginx`, `gateway`, `gateway-token`).
    pub key: String,
    /// What was measured, for people.
    pub label: String,
    /// The request sent.
    pub request: String,
    /// wrk's figures.
    pub report: Report,
}

/// Rows with the key of the one the ratios are taken against.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// In the order measured.
    pub rows: Vec<Row>,
    /// The key of the baseline (ratio 1.00).
    pub baseline: String,
}

impl Table {
    /// Requests per second of `key` divided by the baseline's (`None` when either is missing).
    pub fn ratio(&self, key: &str) -> Option<f64> {
        let rate = |key: &str| {
            self.rows
                .iter()
                .find(|r| r.key == key)
                .map(|r| r.report.requests_per_sec)
        };
        let base = rate(&self.baseline).filter(|b| *b > 0.0)?;
        Some(rate(key)? / base)
    }

    fn cells(&self) -> Vec<[String; 5]> {
        self.rows
            .iter()
            .map(|row| {
                [
                    row.label.clone(),
                    format!("{:.0}", row.report.requests_per_sec),
                    latency(row.report.p50_us),
                    latency(row.report.p99_us),
                    self.ratio(&row.key)
                        .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}")),
                ]
            })
            .collect()
    }

    fn header(&self) -> [String; 5] {
        [
            "target".to_owned(),
            "requests/s".to_owned(),
            "p50".to_owned(),
            "p99".to_owned(),
            format!("vs {}", self.baseline),
        ]
    }

    /// Aligned columns for the terminal (text left, figures right).
    pub fn render_text(&self) -> String {
        let rows: Vec<[String; 5]> = std::iter::once(self.header()).chain(self.cells()).collect();
        let widths: Vec<usize> = (0..5)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for row in &rows {
            let mut line = format!("{:<w$}", row[0], w = widths[0]);
            for (cell, width) in row.iter().zip(&widths).skip(1) {
                line.push_str(&format!("  {cell:>width$}"));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// A Markdown table.
    pub fn render_markdown(&self) -> String {
        let line = |cells: &[String; 5]| format!("| {} |\n", cells.join(" | "));
        let mut out = line(&self.header());
        out.push_str("| --- | ---: | ---: | ---: | ---: |\n");
        for cells in self.cells() {
            out.push_str(&line(&cells));
        }
        out
    }

    /// Each row as an object, latencies in microseconds.
    pub fn to_json(&self) -> Value {
        let number = super::number;
        Value::Array(
            self.rows
                .iter()
                .map(|row| {
                    let r = &row.report;
                    Value::from_iter(vec![
                        ("key", Value::String(row.key.clone())),
                        ("target", Value::String(row.label.clone())),
                        ("request", Value::String(row.request.clone())),
                        ("requestsPerSec", number(round(r.requests_per_sec, 1))),
                        ("requests", number(r.requests as f64)),
                        ("seconds", number(r.seconds)),
                        (
                            "latencyUs",
                            Value::from_iter(vec![
                                ("p50", number(r.p50_us)),
                                ("p75", number(r.p75_us)),
                                ("p90", number(r.p90_us)),
                                ("p99", number(r.p99_us)),
                            ]),
                        ),
                        ("non2xx", number(r.non_2xx as f64)),
                        ("socketErrors", number(r.socket_errors as f64)),
                        (
                            format!("ratioTo_{}", self.baseline).as_str(),
                            self.ratio(&row.key)
                                .map_or(Value::Null, |x| number(round(x, 3))),
                        ),
                    ])
                })
                .collect(),
        )
    }
}

/// A latency for people: `850 µs`, `1.49 ms`, `2.10 s`.
pub fn latency(us: f64) -> String {
    if us < 1000.0 {
        format!("{us:.0} µs")
    } else if us < 1_000_000.0 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// A header and rows of text cells: the first column left-aligned, the others right.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grid {
    /// Column titles.
    pub header: Vec<String>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

impl Grid {
    /// An empty table with these titles.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Aligned columns for the terminal.
    pub fn render_text(&self) -> String {
        let all: Vec<&Vec<String>> = std::iter::once(&self.header).chain(&self.rows).collect();
        let widths: Vec<usize> = (0..self.header.len())
            .map(|c| {
                all.iter()
                    .map(|r| r.get(c).map_or(0, |cell| cell.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in all {
            let mut line = String::new();
            for (c, width) in widths.iter().enumerate() {
                let cell = row.get(c).map_or("", String::as_str);
                if c == 0 {
                    line.push_str(&format!("{cell:<width$}"));
                } else {
                    line.push_str(&format!("  {cell:>width$}"));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// A Markdown table.
    pub fn render_markdown(&self) -> String {
        let mut out = format!("| {} |\n|", self.header.join(" | "));
        for c in 0..self.header.len() {
            out.push_str(if c == 0 { " --- |" } else { " ---: |" });
        }
        out.push('\n');
        for row in &self.rows {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        out
    }
}

/// A latency given in milliseconds, for people ([`latency`]); `-` when unknown.
pub fn ms(ms: Option<f64>) -> String {
    ms.map_or_else(|| "-".to_owned(), |ms| latency(ms * 1000.0))
}

/// A size given in bytes: `900 B`, `13.2 KiB`, `18.4 MiB`; `-` when unknown.
pub fn size(bytes: Option<f64>) -> String {
    match bytes {
        None => "-".to_owned(),
        Some(b) if b.abs() < 1024.0 => format!("{b:.0} B"),
        Some(b) if b.abs() < 1024.0 * 1024.0 => format!("{:.1} KiB", b / 1024.0),
        Some(b) => format!("{:.1} MiB", b / 1024.0 / 1024.0),
    }
}

/// `met` or `MISSED`, as every benchmark reports a target.
pub fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn round(x: f64, places: i32) -> f64 {
    let scale = 10_f64.powi(places);
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, label: &str, rps: f64, p50: f64, p99: f64) -> Row {
        Row {
            key: key.to_owned(),
            label: label.to_owned(),
            request: "GET /x".to_owned(),
            report: Report {
                requests_per_sec: rps,
                requests: 1000,
                seconds: 10.0,
                p50_us: p50,
                p75_us: p50,
                p90_us: p99,
                p99_us: p99,
                non_2xx: 0,
                socket_errors: 0,
            },
        }
    }

    fn table() -> Table {
        Table {
            rows: vec![
                row("direct", "direct", 20000.0, 850.0, 4200.0),
                row(
                    "gateway",
                    "through the gateway",
                    12500.4,
                    1490.0,
                    1_250_000.0,
                ),
            ],
            baseline: "direct".to_owned(),
        }
    }

    #[test]
    fn ratios_are_taken_against_the_baseline() {
        let t = table();
        assert_eq!(t.ratio("direct"), Some(1.0));
        assert_eq!(t.ratio("gateway"), Some(12500.4 / 20000.0));
        assert_eq!(t.ratio("nginx"), None);
    }

    #[test]
    fn the_text_table_aligns_its_columns() {
        assert_eq!(
            table().render_text(),
            "\
target               requests/s      p50      p99  vs direct
direct                    20000   850 µs  4.20 ms       1.00
through the gateway       12500  1.49 ms   1.25 s       0.63
"
        );
    }

    #[test]
    fn the_markdown_table_has_a_header_and_right_aligned_figures() {
        assert_eq!(
            table().render_markdown(),
            "\
| target | requests/s | p50 | p99 | vs direct |
| --- | ---: | ---: | ---: | ---: |
| direct | 20000 | 850 µs | 4.20 ms | 1.00 |
| through the gateway | 12500 | 1.49 ms | 1.25 s | 0.63 |
"
        );
    }

    #[test]
    fn json_rows_carry_rates_latencies_and_ratios() {
        let json = table().to_json();
        let gateway = &json.as_array().expect("array")[1];
        assert_eq!(
            gateway.get("requestsPerSec").and_then(Value::as_f64),
            Some(12500.4)
        );
        assert_eq!(
            gateway.pointer("/latencyUs/p99").and_then(Value::as_f64),
            Some(1_250_000.0)
        );
        assert_eq!(
            gateway.get("ratioTo_direct").and_then(Value::as_f64),
            Some(0.625)
        );
    }

    #[test]
    fn a_grid_aligns_its_columns_and_renders_as_markdown() {
        let mut grid = Grid::new(&["service", "idle", "after"]);
        grid.rows.push(vec![
            "gateway".into(),
            size(Some(12.0 * 1048576.0)),
            size(None),
        ]);
        grid.rows
            .push(vec!["alert".into(), size(Some(900.0)), size(Some(2048.0))]);
        assert_eq!(
            grid.render_text(),
            "\
service      idle    after
gateway  12.0 MiB        -
alert       900 B  2.0 KiB
"
        );
        assert_eq!(
            grid.render_markdown(),
            "\
| service | idle | after |
| --- | ---: | ---: |
| gateway | 12.0 MiB | - |
| alert | 900 B | 2.0 KiB |
"
        );
        assert_eq!(ms(Some(1.5)), "1.50 ms");
        assert_eq!(ms(None), "-");
        assert_eq!((verdict(true), verdict(false)), ("met", "MISSED"));
    }
}
