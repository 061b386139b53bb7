use super::*;

fn row(rate: f64) -> Row {
    Row {
        key: "gateway".to_owned(),
        label: "gateway".to_owned(),
        request: "GET /".to_owned(),
        report: Report {
            requests_per_sec: rate,
            requests: 0,
            seconds: 10.0,
            p50_us: 0.0,
            p75_us: 0.0,
            p90_us: 0.0,
            p99_us: 0.0,
            non_2xx: 0,
            socket_errors: 0,
        },
    }
}

#[test]
fn a_median_of_ratios_takes_the_middle_or_the_mean_of_the_two_middles() {
    assert_eq!(median_of(&[1.2, 0.9, 1.0]), 1.0);
    assert_eq!(median_of(&[1.2, 0.9, 1.0, 0.8]), 0.95);
    assert!(median_of(&[]).is_nan());
}

#[test]
fn a_row_reports_its_median_round() {
    let picked = median(vec![row(900.0), row(100.0), row(500.0)]);
    assert_eq!(picked.report.requests_per_sec, 500.0);
}

#[test]
fn rounds_go_forth_and_back_so_each_compared_pair_is_measured_back_to_back() {
    let forth: Vec<usize> = turn(1).collect();
    let back: Vec<usize> = turn(2).collect();
    assert_eq!(forth, ORDER);
    assert_eq!(back.iter().rev().copied().collect::<Vec<_>>(), forth);
    assert_eq!(turn(3).collect::<Vec<_>>(), forth);
    assert!(
        ROUNDS.is_multiple_of(2),
        "each side of a pair first as often as last"
    );
    let mut every: Vec<usize> = forth.clone();
    every.sort_unstable();
    assert_eq!(every, (0..8).collect::<Vec<_>>(), "every row once a round");
    // The rows of each ratio (see `targets`): nginx (1) beside the gateway with a token (3)
    // and the traced one (4) beside it; the writes (5, 6, 7) side by side.
    let place = |row: usize| forth.iter().position(|&r| r == row).unwrap();
    for (a, b) in [(1, 3), (3, 4), (5, 6), (6, 7)] {
        assert_eq!(
            place(a).abs_diff(place(b)),
            1,
            "rows {a} and {b} side by side"
        );
    }
}
