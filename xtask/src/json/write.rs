//! Writing a [`Json`] value back as JSON text: compact (`to_string()`) for request bodies,
//! indented ([`Json::pretty`]) for files people read and diff, like `bench/results/*.json`.

use std::fmt::{self, Display, Write as _};

use super::Json;

impl Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("null"),
            Self::Bool(b) => write!(f, "{b}"),
            // Rust prints the shortest text that reads back as the same f64 (19.99, not
            // 19.989999…; 25, not 25.0); JSON has no NaN or infinity.
            Self::Number(n) if n.is_finite() => write!(f, "{n}"),
            Self::Number(_) => f.write_str("null"),
            Self::String(s) => write_string(f, s),
            Self::Array(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Self::Object(members) => {
                f.write_char('{')?;
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write_string(f, key)?;
                    write!(f, ":{value}")?;
                }
                f.write_char('}')
            }
        }
    }
}

impl Json {
    /// The value as indented JSON (two spaces a level, one member or item a line, empty
    /// arrays and objects as `[]` and `{}`), ending with a newline.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write_pretty(&mut out, 0);
        out.push('\n');
        out
    }

    fn write_pretty(&self, out: &mut String, level: usize) {
        let indent = |out: &mut String, level: usize| out.push_str(&"  ".repeat(level));
        match self {
            Self::Array(items) if !items.is_empty() => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    indent(out, level + 1);
                    item.write_pretty(out, level + 1);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                indent(out, level);
                out.push(']');
            }
            Self::Object(members) if !members.is_empty() => {
                out.push_str("{\n");
                for (i, (key, value)) in members.iter().enumerate() {
                    indent(out, level + 1);
                    // A key is written as a string value would be.
                    let _ = write!(out, "{}: ", Self::String(key.clone()));
                    value.write_pretty(out, level + 1);
                    out.push_str(if i + 1 < members.len() { ",\n" } else { "\n" });
                }
                indent(out, level);
                out.push('}');
            }
            scalar => {
                let _ = write!(out, "{scalar}");
            }
        }
    }
}

fn write_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if u32::from(c) < 0x20 => write!(f, "\\u{:04x}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_compactly_in_member_order() {
        let value = Json::Object(vec![
            ("name".into(), Json::String("Mug".into())),
            ("price".into(), Json::Number(19.99)),
            ("stock".into(), Json::Number(25.0)),
            (
                "tags".into(),
                Json::Array(vec![Json::String("kitchen".into())]),
            ),
            ("active".into(), Json::Bool(true)),
            ("note".into(), Json::Null),
        ]);
        assert_eq!(
            value.to_string(),
            r#"{"name":"Mug","price":19.99,"stock":25,"tags":["kitchen"],"active":true,"note":null}"#
        );
    }

    #[test]
    fn strings_are_escaped_and_read_back_unchanged() {
        let text = "quote \" backslash \\ newline \n tab \t bell \u{7} café 😀";
        let written = Json::String(text.into()).to_string();
        assert_eq!(
            written,
            "\"quote \\\" backslash \\\\ newline \\n tab \\t bell \\u0007 café 😀\""
        );
        assert_eq!(Json::parse(&written), Ok(Json::String(text.into())));
    }

    #[test]
    fn prices_in_cents_survive_the_round_trip_exactly() {
        for cents in [500_u32, 1999, 2450, 4999, 12_900, 50_000, 1, 10, 99_999] {
            let written = Json::Number(f64::from(cents) / 100.0).to_string();
            let expected = format!("{}.{:02}", cents / 100, cents % 100);
            let expected = expected.trim_end_matches('0').trim_end_matches('.');
            assert_eq!(written, expected, "{cents} cents");
        }
    }

    #[test]
    fn pretty_output_indents_one_member_a_line_and_reads_back() {
        let value = Json::Object(vec![
            ("name".into(), Json::String("gateway".into())),
            ("empty".into(), Json::Array(vec![])),
            (
                "runs".into(),
                Json::Array(vec![Json::Object(vec![("rps".into(), Json::Number(1.5))])]),
            ),
        ]);
        let text = value.pretty();
        assert_eq!(
            text,
            "{\n  \"name\": \"gateway\",\n  \"empty\": [],\n  \"runs\": [\n    {\n      \"rps\": 1.5\n    }\n  ]\n}\n"
        );
        assert_eq!(Json::parse(&text), Ok(value));
    }

    #[test]
    fn numbers_json_cannot_hold_become_null() {
        assert_eq!(Json::Number(f64::NAN).to_string(), "null");
        assert_eq!(Json::Number(f64::INFINITY).to_string(), "null");
    }
}
