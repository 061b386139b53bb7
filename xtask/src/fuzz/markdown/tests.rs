//! The report file, from passes made up for the purpose.

use super::*;

fn finding(operation: &str, check: &str, status: u16) -> Finding {
    Finding {
        operation: operation.to_owned(),
        case_id: "abc123".to_owned(),
        checks: vec![(check.to_owned(), vec!["Received: 401".to_owned()])],
        status: Some(status),
        body: Some(r#"{"success":false}"#.to_owned()),
        curl: Some(format!("curl -X GET http://127.0.0.1:5000{}", "/api/x")),
    }
}

fn pass(name: &str, findings: Vec<Finding>) -> PassResult {
    PassResult {
        name: name.to_owned(),
        totals: Some(Totals {
            tested: 30,
            selected: 30,
            generated: 1200,
            unique_failures: findings.len() as u64,
            errors: 0,
            stop_reason: "completed".to_owned(),
            warnings: vec![(
                "missing_test_data".to_owned(),
                vec!["GET /api/x/{id}".to_owned()],
            )],
        }),
        exit: Some(if findings.is_empty() { 0 } else { 1 }),
        output: Output {
            findings,
            ..Output::default()
        },
        log: format!(".local/logs/fuzz-{name}.log"),
    }
}

fn info() -> RunInfo {
    RunInfo {
        date: "2026-11-25T12:00:00Z".to_owned(),
        tool: "schemathesis 4.32.5".to_owned(),
        schema_url: "http://127.0.0.1:5000/api/openapi.json".to_owned(),
        operations: 31,
        declare_429: 31,
        seed: 1,
        max_examples: 25,
        checks: "not_a_server_error".to_owned(),
        rate_limits: "Rate limits raised.".to_owned(),
        streams: vec!["/api/orders/{id}/stream".to_owned()],
        afterwards: "The 3 products the passes created were deleted afterwards.".to_owned(),
    }
}

#[test]
fn findings_are_grouped_by_operation_and_merged_across_passes() {
    let login = finding(
        "POST /api/auth/login",
        "ST103 Undocumented status code",
        401,
    );
    let alerts = finding("GET /api/alerts", "ST101 Server error", 500);
    let passes = [
        pass("admin", vec![login.clone(), alerts]),
        pass("customer", vec![login]),
    ];
    let text = render(&info(), &passes);
    assert_eq!(text.matches("## Failures\n").count(), 1);
    let failures = text.find("## Failures\n").expect("failures");
    let login_at = text.find("### `POST /api/auth/login`").expect("login");
    let alerts_at = text.find("### `GET /api/alerts`").expect("alerts");
    assert!(failures < alerts_at && alerts_at < login_at);
    assert!(text.contains(
        "- **ST103 Undocumented status code** → 401 (as admin, customer; case `abc123`)"
    ));
    assert_eq!(text.matches("### `POST /api/auth/login`").count(), 1);
    assert!(text.contains("  curl -X GET http://127.0.0.1:5000/api/x\n"));
    assert!(text.contains("| admin | 30 | 1200 | 2 | 0 | failed (exit 1) |"));
    assert!(text.contains("| customer | 30 | 1200 | 1 | 0 | failed (exit 1) |"));
    assert!(text.contains("- missing test data (admin): `GET /api/x/{id}`"));
}

#[test]
fn a_clean_run_says_none() {
    let text = render(&info(), &[pass("admin", vec![])]);
    assert!(text.contains("## Failures\n\nNone.\n"));
    assert!(text.contains("| admin | 30 | 1200 | 0 | 0 | passed |"));
    assert!(!text.contains("Tool errors"));
    assert!(text.contains("`.local/logs/fuzz-admin.log`"));
    assert!(!text.contains("\n\n\n"), "{text}");
}

#[test]
fn the_event_streams_left_out_are_named_in_the_header() {
    let text = render(&info(), &[]);
    assert!(
        text.contains("Left out of the passes: the event streams (`GET /api/orders/{id}/stream`)"),
        "{text}"
    );
    let none = RunInfo {
        streams: Vec::new(),
        ..info()
    };
    assert!(!render(&none, &[]).contains("Left out"));
}
