//! Reading schemathesis 4's console output and JSON report, from a real run (shortened).

use super::*;

const CONSOLE: &str = "\
Schemathesis v4.32.5
━━━━━━━━━━━━━━━━━━━━

 ❌  Fuzzing (in 7.42s)

     ✅ 27 passed  ❌  3 failed

==================================== ERRORS ====================================
_______________________________ GET /api/alerts ________________________________
Runtime Error

AST constructor recursion depth mismatch (before=66, after=64)

    Traceback (most recent call last):
      File \"x.py\", line 353, in _lambda_description

=================================== FAILURES ===================================
______________________________ GET /api/products _______________________________
1. Test Case ID: isXp5d

- ST101 Server error

[500] Internal Server Error:

    `{\"success\":false,\"error\":{\"code\":\"INTERNAL\",\"message\":\"internal error\"}}`

Reproduce with:

    curl -X GET -H 'Authorization: [Filtered]' 'http://127.0.0.1:5000/api/products?page=1'

    st replay isXp5d

_____________________________ POST /api/auth/login _____________________________
1. Test Case ID: A6gViT

- ST103 Undocumented status code

    Received: 401
    Documented: 200, 201, 204, 400, 404, 409, 413, 422, 429, 500, 503

- ST102 Undocumented Content-Type

    Received: text/plain

[401] Unauthorized:

    `{\"success\":false,\"error\":{\"code\":\"UNAUTHORIZED\",\"message\":\"wrong email or password\"}}`

Reproduce with:

    curl -X POST -H 'Content-Type: application/json' -d '{\"email\": \"0\"}' http://127.0.0.1:5000/api/auth/login

    st replay A6gViT

2. Test Case ID: Zz9Q1a

- ST101 Server error

[503] Service Unavailable:

    `{\"success\":false}`

Reproduce with:

    curl -X POST http://127.0.0.1:5000/api/auth/login

    st replay Zz9Q1a

=================================== WARNINGS ===================================

Missing test data: 3 operations repeatedly returned 404 Not Found

  - GET /api/products/{id}

=================================== SUMMARY ====================================

Failures:
  ❌ ST101 Server error: 1

================== 3 failures, 1 error, 3 warnings in 58.97s ===================
";

#[test]
fn failures_are_read_with_their_checks_status_body_and_curl() {
    let output = Output::parse(CONSOLE);
    assert_eq!(output.findings.len(), 3);

    let products = &output.findings[0];
    assert_eq!(products.operation, "GET /api/products");
    assert_eq!(products.case_id, "isXp5d");
    assert_eq!(products.checks, [("ST101 Server error".to_owned(), vec![])]);
    assert_eq!(products.status, Some(500));
    assert_eq!(
        products.body.as_deref(),
        Some(r#"{"success":false,"error":{"code":"INTERNAL","message":"internal error"}}"#)
    );
    assert_eq!(
        products.curl.as_deref(),
        Some(
            "curl -X GET -H 'Authorization: [Filtered]' 'http://127.0.0.1:5000/api/products?page=1'"
        )
    );

    let login = &output.findings[1];
    assert_eq!(login.operation, "POST /api/auth/login");
    assert_eq!(
        login.checks,
        [
            (
                "ST103 Undocumented status code".to_owned(),
                vec![
                    "Received: 401".to_owned(),
                    "Documented: 200, 201, 204, 400, 404, 409, 413, 422, 429, 500, 503".to_owned()
                ]
            ),
            (
                "ST102 Undocumented Content-Type".to_owned(),
                vec!["Received: text/plain".to_owned()]
            ),
        ]
    );
    assert_eq!(login.status, Some(401));

    let second = &output.findings[2];
    assert_eq!(
        (
            second.operation.as_str(),
            second.case_id.as_str(),
            second.status
        ),
        ("POST /api/auth/login", "Zz9Q1a", Some(503))
    );
    assert_eq!(
        second.curl.as_deref(),
        Some("curl -X POST http://127.0.0.1:5000/api/auth/login")
    );
}

#[test]
fn tool_errors_keep_their_title_and_first_message_but_not_the_traceback() {
    let output = Output::parse(CONSOLE);
    assert_eq!(
        output.errors,
        [ToolError {
            operation: "GET /api/alerts".to_owned(),
            title: "Runtime Error".to_owned(),
            message: "AST constructor recursion depth mismatch (before=66, after=64)".to_owned(),
        }]
    );
    assert_eq!(
        output.closing.as_deref(),
        Some("3 failures, 1 error, 3 warnings in 58.97s")
    );
}

#[test]
fn a_clean_run_has_no_findings() {
    let text = "\
=================================== SUMMARY ====================================

Test cases:
  1279 generated, 0 found 0 unique failures

======================= No issues found in 61.02s =======================
";
    let output = Output::parse(text);
    assert!(output.findings.is_empty() && output.errors.is_empty());
    assert_eq!(output.closing.as_deref(), Some("No issues found in 61.02s"));
}

#[test]
fn banners_and_status_lines_are_recognised_exactly() {
    assert_eq!(banner("==== FAILURES ====", '='), Some("FAILURES"));
    assert_eq!(banner("____ GET /api/x ____", '_'), Some("GET /api/x"));
    assert_eq!(banner("========", '='), None);
    assert_eq!(banner("== x", '='), None);
    assert_eq!(status_line("[500] Internal Server Error:"), Some(500));
    assert_eq!(status_line("[Filtered]"), None);
    assert_eq!(status_line("[12] x:"), None);
}

#[test]
fn the_json_report_gives_the_totals() {
    let report = r#"{"schemathesis_version":"4.32.5","stop_reason":"completed",
        "operations":{"total":31,"selected":30,"tested":30,"errored":0},
        "test_cases":{"generated":1279,"with_failures":3,"unique_failures":3},
        "failures":[{"code":"ST101","operations":["GET /api/products"]}],
        "errors":[{"title":"Runtime Error"}],
        "warnings":{"missing_auth":[],"missing_test_data":["GET /api/products/{id}"],
            "baseline":null}}"#;
    assert_eq!(
        Totals::parse(report),
        Ok(Totals {
            tested: 30,
            selected: 30,
            generated: 1279,
            unique_failures: 3,
            errors: 1,
            stop_reason: "completed".to_owned(),
            warnings: vec![(
                "missing_test_data".to_owned(),
                vec!["GET /api/products/{id}".to_owned()]
            )],
        })
    );
    assert!(Totals::parse(r#"{"operations":{}}"#).is_err());
}
