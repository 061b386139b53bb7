use super::grids::ratio;
use super::*;

fn stage(path: &str, rate: f64, sustained: bool, placing_p99: f64, event_p99: f64) -> Value {
    let placing = if path == "shop" { "checkout" } else { "order" };
    let mut stage = serde_json::json!({
        "path": path, "placing": placing, "offeredPerSec": rate, "ordersPerSec": rate * 0.99,
        "sustained": sustained, "errors": { "stream": 2 },
        "latencyMs": { placing: { "p50": 4.2, "p99": placing_p99 },
                       "cart": { "p50": 2.0, "p99": 3.0 } },
        "eventToClientMs": { "p50": 3.1, "p99": event_p99, "max": 150, "count": 30 },
        "streams": { "opened": 10, "finished": 10 },
        "loadAverage": { "start": [6.5, 5.0, 4.0], "end": [7.0, 5.0, 4.0] },
    });
    if path != "shop" {
        stage["latencyMs"]["cart"] = Value::Null;
    }
    stage
}

fn figures(direct: &[Value], shop: &[Value]) -> Value {
    let top = |stages: &[Value]| {
        stages
            .iter()
            .rfind(|s| s["sustained"] == true)
            .cloned()
            .unwrap_or(Value::Null)
    };
    serde_json::json!({
        "paths": ["direct", "shop"],
        "byPath": {
            "direct": { "stages": direct, "topSustained": top(direct) },
            "shop": { "stages": shop, "topSustained": top(shop) },
        },
        "stages": direct, "topSustained": top(direct),
    })
}

#[test]
fn the_target_is_judged_at_the_top_sustained_rate() {
    let run = figures(&[stage("direct", 5.0, true, 9.5, 12.5)], &[]);
    let v = verdict_of(&run);
    assert!(v.met);
    assert_eq!(v.top, Some((5.0, 4.95, 12.5)));
    assert!(v.line.contains("met"), "{}", v.line);
    let none = verdict_of(&figures(&[stage("direct", 5.0, false, 9.5, 12.5)], &[]));
    assert!(!none.met && none.line.contains("MISSED"), "{}", none.line);
    let slow = figures(&[stage("direct", 5.0, true, 9.5, 25.0)], &[]);
    assert!(!verdict_of(&slow).met);
    // A run of the direct path alone (as `bench footprint` makes) has no `byPath`.
    let old = serde_json::json!({
        "stages": [stage("direct", 5.0, true, 9.5, 12.5)],
        "topSustained": stage("direct", 5.0, true, 9.5, 12.5),
    });
    assert_eq!(verdict_of(&old).top, Some((5.0, 4.95, 12.5)));
}

#[test]
fn issue_22s_goal_needs_80_per_second_sustained_with_p99_under_100_ms() {
    let met = figures(&[stage("direct", 80.0, true, 150.0, 99.0)], &[]);
    let goal = goal_of(&met, "direct");
    assert!(goal.met, "{}", goal.line);
    assert!(
        goal.line.contains("(target 80 orders/s sustained"),
        "{}",
        goal.line
    );
    let lagging = figures(&[stage("direct", 80.0, true, 50.0, 120.0)], &[]);
    assert!(!goal_of(&lagging, "direct").met);
    let unsustained = figures(&[stage("direct", 80.0, false, 50.0, 60.0)], &[]);
    let goal = goal_of(&unsustained, "direct");
    assert!(
        !goal.met && goal.line.contains("not sustained"),
        "{}",
        goal.line
    );
    let short = figures(&[stage("direct", 20.0, true, 50.0, 60.0)], &[]);
    let goal = goal_of(&short, "direct");
    assert!(!goal.met, "{}", goal.line);
    assert!(
        goal.line.contains("not reached (top sustained 20/s"),
        "{}",
        goal.line
    );
    assert!(goal.line.contains("MISSED"), "{}", goal.line);
    assert!(!goal_of(&short, "shop").met);
}

#[test]
fn each_stage_is_a_row_rate_by_rate() {
    let run = figures(
        &[
            stage("direct", 5.0, true, 9.5, 12.5),
            stage("direct", 10.0, false, 9.5, 12.5),
        ],
        &[
            stage("shop", 5.0, true, 20.0, 30.0),
            stage("shop", 10.0, true, 20.0, 30.0),
        ],
    );
    let grid = grid(&run);
    let first: Vec<(&str, &str)> = grid
        .rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        first,
        [
            ("direct", "5"),
            ("shop", "5"),
            ("direct", "10"),
            ("shop", "10")
        ]
    );
    let shop = &grid.rows[1];
    assert_eq!(shop[3], "POST /checkout");
    assert_eq!(shop[5], "20.00 ms");
    assert_eq!(shop[7], "30.00 ms");
    assert_eq!(shop[10], "10/10");
    assert_eq!(shop[11], "2");
    assert_eq!(shop[12], "6.5");
    assert_eq!(grid.rows[2][13], "NO");
    let requests = requests_grid(&run);
    assert_eq!(requests.rows[0][6], "-", "no cart on the direct path");
    assert_eq!(requests.rows[2][6], "2.00 ms / 3.00 ms");
}

#[test]
fn a_shorter_run_is_asked_for_by_its_rates_and_stage_length() {
    assert_eq!(shape(None, None).unwrap(), (RATES.to_vec(), STAGE_SECS));
    assert_eq!(
        shape(Some("20, 40,80"), Some("5")).unwrap(),
        (vec![20.0, 40.0, 80.0], 5)
    );
    assert!(shape(Some("40,20"), None).is_err());
    assert!(shape(Some("x"), None).is_err());
    assert!(shape(Some(""), None).is_err());
    assert!(shape(None, Some("0")).is_err());
    assert!(settings(&[20.0, 80.0], 5).contains("stages of 5 s at 20, 80 orders/s"));
}

#[test]
fn the_paths_are_compared_at_the_rates_both_ran() {
    let run = figures(
        &[
            stage("direct", 5.0, true, 10.0, 20.0),
            stage("direct", 10.0, false, 10.0, 20.0),
        ],
        &[stage("shop", 5.0, false, 25.0, 30.0)],
    );
    let pairs = side_by_side(&run);
    assert_eq!(pairs.rows.len(), 1, "10/s ran on the direct path only");
    let row = &pairs.rows[0];
    assert_eq!(row[0], "5");
    assert_eq!(row[3], "1.00");
    assert_eq!(row[5], "4.20 ms / 25.00 ms");
    assert_eq!(row[6], "2.50");
    assert_eq!(row[9], "1.50");
    assert_eq!(row[10], "6.5 / 6.5");
    assert_eq!(ratio(Some(1.0), Some(0.0)), "-");
}
