use super::figures::parse_load_average;
use super::*;

fn notes(orders_ok: usize, errors: usize, opened: usize, finished: usize) -> Notes {
    let mut n = Notes {
        orders_ok,
        requests: 100,
        streams_opened: opened,
        streams_finished: finished,
        events: vec![1.0, 2.0, 30.0],
        ..Notes::default()
    };
    if errors > 0 {
        n.errors.insert("order", errors);
    }
    n
}

#[test]
fn a_stage_is_sustained_when_it_places_what_was_offered_and_delivers() {
    let start = Instant::now();
    let ok = stage_json(&notes(100, 0, 100, 100), 10.0, 100, 10.0, start);
    assert_eq!(ok["sustained"], true);
    assert_eq!(ok["ordersPerSec"], 10.0);
    assert_eq!(ok["eventToClientMs"]["max"], 30.0);
    let slow = stage_json(&notes(90, 0, 90, 90), 10.0, 100, 10.0, start);
    assert_eq!(slow["sustained"], false);
    let failing = stage_json(&notes(100, 2, 100, 100), 10.0, 100, 10.0, start);
    assert_eq!(failing["sustained"], false);
    let stuck = stage_json(&notes(100, 0, 100, 98), 10.0, 100, 10.0, start);
    assert_eq!(stuck["sustained"], false);
    let mut lagging = notes(100, 0, 100, 100);
    lagging.events.push(2500.0);
    let lagging = stage_json(&lagging, 10.0, 100, 10.0, start);
    assert_eq!(lagging["sustained"], false, "{lagging}");
}

#[test]
fn the_load_average_is_read_from_proc() {
    assert_eq!(
        parse_load_average("2.09 2.22 2.94 3/812 4711\n"),
        Some([2.09, 2.22, 2.94])
    );
    assert_eq!(parse_load_average("2.09 x 2.94"), None);
    assert_eq!(parse_load_average(""), None);
    assert!(load_average().is_some_and(|l| l.iter().all(|x| *x >= 0.0)));
}

fn stage(path: Path, rate: f64, sustained: bool) -> Value {
    json!({ "path": path.name(), "offeredPerSec": rate, "sustained": sustained })
}

#[test]
fn each_path_rises_until_its_first_stage_not_sustained() {
    let mut direct = PathRun::new(Path::Direct);
    let mut shop = PathRun::new(Path::Shop);
    direct.add(stage(Path::Direct, 2.0, true));
    shop.add(stage(Path::Shop, 2.0, true));
    direct.add(stage(Path::Direct, 5.0, false));
    shop.add(stage(Path::Shop, 5.0, true));
    assert!(!direct.rising && shop.rising);
    let figures = figures(&[direct, shop]);
    assert_eq!(figures["paths"], json!(["direct", "shop"]));
    // The first path's figures are also where readers of one path look.
    assert_eq!(figures["stages"], figures["byPath"]["direct"]["stages"]);
    assert_eq!(figures["topSustained"]["offeredPerSec"], 2.0);
    assert_eq!(
        figures["byPath"]["shop"]["topSustained"]["offeredPerSec"],
        5.0
    );
    assert_eq!(figures["byPath"]["shop"]["stages"][1]["path"], "shop");
    let none = super::figures(&[PathRun::new(Path::Shop)]);
    assert_eq!(none["topSustained"], Value::Null);
}

#[test]
fn a_stage_line_names_its_path_and_placing_request() {
    let mut stage = stage_json(&notes(10, 0, 10, 10), 1.0, 10, 10.0, Instant::now());
    stage["path"] = json!("shop");
    stage["placing"] = json!("checkout");
    stage["loadAverage"] = json!({ "start": [3.5, 2.0, 1.0] });
    let line = stage_line(&stage);
    assert!(line.starts_with("shop 1.0/s offered"), "{line}");
    assert!(
        line.contains("checkout p99") && line.contains("load [3.5,2.0,1.0]"),
        "{line}"
    );
    assert_eq!(Path::parse("shop"), Some(Path::Shop));
    assert_eq!(Path::parse("cart"), None);
    assert_eq!(Path::Direct.placing(), "order");
}

#[test]
fn final_statuses_end_a_stream() {
    assert!(is_final(&json!("DELIVERED")));
    assert!(is_final(&json!("REJECTED")));
    assert!(!is_final(&json!("SHIPPED")));
    assert!(!is_final(&Value::Null));
}
