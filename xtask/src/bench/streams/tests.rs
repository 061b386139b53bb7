use super::*;

fn step(n: u32, both: f64, all: &str) -> String {
    format!(
        r#"{{"n":{n},"opened":{{"sse":{n},"ws":{n}}},"rssKiB":{{"before":10000,"afterWs":20000}},
           "bytesPerStream":{{"sse":9000,"ws":11000,"both":{both}}},
           "changes":[{{"fromStoredMs":{{"p50":40,"p99":90}},"allReachedMs":100}},
                      {{"fromStoredMs":{{"p50":50,"p99":120}},"allReachedMs":{all}}}]}}"#
    )
}

#[test]
fn targets_are_judged_at_the_largest_step_on_the_worse_change() {
    let ok = serde_json::from_str::<Value>(&format!(
        "[{},{}]",
        step(1000, 20000.0, "130"),
        step(10000, 12000.0, "140")
    ))
    .expect("json");
    let v = verdict_of(&ok);
    assert!(v.memory.1 && v.reach.1, "{} / {}", v.memory.0, v.reach.0);
    let missed = serde_json::from_str::<Value>(&format!("[{}]", step(10000, 17000.0, "null")))
        .expect("json");
    let v = verdict_of(&missed);
    assert!(!v.memory.1 && !v.reach.1);
    assert!(v.reach.0.contains("NOT all reached"), "{}", v.reach.0);
    let small =
        serde_json::from_str::<Value>(&format!("[{}]", step(1000, 100.0, "10"))).expect("json");
    assert!(!verdict_of(&small).reach.1, "10,000 were never measured");
}

#[test]
fn apart_runs_of_the_largest_n_are_judged_together() {
    let apart = format!(
        "[{},{},{}]",
        step(1000, 100.0, "10"),
        step(10000, 9000.0, "200"),
        step(10000, 15000.0, "240")
    );
    let v = verdict_of(&serde_json::from_str::<Value>(&apart).expect("json"));
    assert!(v.memory.1 && v.reach.1, "{} / {}", v.memory.0, v.reach.0);
    assert!(v.reach.0.contains("apart"), "{}", v.reach.0);
    assert!(v.memory.0.contains("14.6 KiB"), "{}", v.memory.0);
}

#[test]
fn the_hard_file_limit_is_read_from_proc() {
    let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                  Max open files            1024                 20000                files\n";
    assert_eq!(hard_limit(limits, "Max open files"), Some(20000));
    let unlimited = "Max open files            unlimited            unlimited            files\n";
    assert_eq!(hard_limit(unlimited, "Max open files"), None);
    assert!(open_files_hard_limit().is_some());
}

#[test]
fn each_step_is_a_row_with_the_worse_change() {
    let steps =
        serde_json::from_str::<Value>(&format!("[{}]", step(1000, 10240.0, "140"))).expect("json");
    let grid = grid(&steps);
    assert_eq!(grid.rows[0][1], "SSE + WebSocket");
    assert_eq!(grid.rows[0][2], "2000");
    assert_eq!(grid.rows[0][7], "10.0 KiB");
    assert_eq!(grid.rows[0][9], "120.00 ms");
    assert_eq!(grid.rows[0][10], "140.00 ms");
}
