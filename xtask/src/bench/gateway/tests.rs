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
fn each_round_starts_one_row_later_and_measures_every_row_once() {
    assert_eq!(turn(1, 3).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(turn(2, 3).collect::<Vec<_>>(), [1, 2, 0]);
    assert_eq!(turn(4, 3).collect::<Vec<_>>(), [0, 1, 2]);
    let mut last: Vec<usize> = (1..=8).map(|r| turn(r, 8).last().unwrap()).collect();
    last.sort_unstable();
    assert_eq!(
        last,
        (0..8).collect::<Vec<_>>(),
        "every row is last once in 8 rounds"
    );
}
