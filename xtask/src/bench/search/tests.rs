use super::report::ratio_line;
use super::*;

fn figures(mode: Mode, p95_ms: u64, per_sec: f64, after_mib: u64) -> Figures {
    Figures {
        mode,
        requests: 10,
        errors: 0,
        per_sec,
        p50: Duration::from_millis(1),
        p95: Duration::from_millis(p95_ms),
        p99: Duration::from_millis(p95_ms + 1),
        max: Duration::from_millis(p95_ms + 2),
        idle_kib: Some(1024),
        after_kib: Some(after_mib * 1024),
        peak_kib: None,
        first_error: None,
    }
}

#[test]
fn the_comparison_puts_meaning_over_words() {
    let line = ratio_line(&[
        figures(Mode::Words, 2, 1000.0, 20),
        figures(Mode::Meaning, 8, 250.0, 120),
    ]);
    assert!(line.contains("p95 4.0×"), "{line}");
    assert!(line.contains("throughput 0.25×"), "{line}");
    assert!(line.contains("memory after the load 6.0×"), "{line}");
    assert!(ratio_line(&[figures(Mode::Words, 2, 1.0, 1)]).contains("not measured"));
}

#[test]
fn no_search_repeats_within_a_run() {
    let all: std::collections::HashSet<_> = (0..DISTINCT).map(nth).collect();
    assert_eq!(all.len(), DISTINCT);
    const { assert!(REQUESTS + WARM_UP <= DISTINCT && WARM_UP_FROM >= REQUESTS) };
}
