//! The tables of `cargo xtask bench orders`: every stage, the two paths side by side, and the
//! other requests of the mix.

use serde_json::Value;

use super::super::{
    pointer,
    table::{Grid, ms},
};
use super::{PATHS, verdict::stages};

fn whole(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_owned(), |x| format!("{x:.0}"))
}

fn one_decimal(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_owned(), |x| format!("{x:.1}"))
}

pub(super) fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "-".to_owned(),
    }
}

/// The 1-minute load average when the stage started.
fn load_at_start(stage: &Value) -> Option<f64> {
    stage
        .pointer("/loadAverage/start/0")
        .and_then(Value::as_f64)
}

fn errors_of(stage: &Value) -> u64 {
    stage.get("errors").map_or(0, |e| {
        e.as_object()
            .into_iter()
            .flatten()
            .filter_map(|(_, v)| v.as_f64())
            .map(|n| n as u64)
            .sum()
    })
}

/// Every stage of every path, in the order run.
pub(super) fn grid(figures: &Value) -> Grid {
    let mut grid = Grid::new(&[
        "path",
        "offered/s",
        "placed/s",
        "placing request",
        "p50",
        "p99",
        "event→client p50",
        "p99",
        "max",
        "events",
        "delivered",
        "errors",
        "load (1 min)",
        "sustained",
    ]);
    let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
    for path in PATHS {
        for (i, stage) in stages(figures, path).iter().enumerate() {
            let n = |path: &[&str]| stage.pointer(&pointer(path)).and_then(Value::as_f64);
            let placing = stage
                .get("placing")
                .and_then(Value::as_str)
                .unwrap_or("order");
            let request = if placing == "checkout" {
                "POST /checkout"
            } else {
                "POST /orders"
            };
            rows.push((
                i,
                vec![
                    path.to_owned(),
                    whole(n(&["offeredPerSec"])),
                    one_decimal(n(&["ordersPerSec"])),
                    request.to_owned(),
                    ms(n(&["latencyMs", placing, "p50"])),
                    ms(n(&["latencyMs", placing, "p99"])),
                    ms(n(&["eventToClientMs", "p50"])),
                    ms(n(&["eventToClientMs", "p99"])),
                    ms(n(&["eventToClientMs", "max"])),
                    whole(n(&["eventToClientMs", "count"])),
                    format!(
                        "{}/{}",
                        whole(n(&["streams", "finished"])),
                        whole(n(&["streams", "opened"]))
                    ),
                    errors_of(stage).to_string(),
                    one_decimal(load_at_start(stage)),
                    (if stage.get("sustained").and_then(Value::as_bool) == Some(true) {
                        "yes"
                    } else {
                        "NO"
                    })
                    .to_owned(),
                ],
            ));
        }
    }
    // Rate by rate, as they ran.
    rows.sort_by_key(|(i, _)| *i);
    grid.rows = rows.into_iter().map(|(_, row)| row).collect();
    grid
}

/// At each rate both paths ran: the shop's figures over the direct ones.
pub(super) fn side_by_side(figures: &Value) -> Grid {
    let mut grid = Grid::new(&[
        "offered/s",
        "direct placed/s",
        "shop checkouts/s",
        "shop ÷ direct",
        "POST /orders p50 / p99",
        "POST /checkout p50 / p99",
        "p99 ÷",
        "event→client direct p50 / p99",
        "shop p50 / p99",
        "p99 ÷",
        "load (1 min) direct / shop",
    ]);
    let shop = stages(figures, PATHS[1]);
    for direct in stages(figures, PATHS[0]) {
        let rate = direct.get("offeredPerSec").and_then(Value::as_f64);
        let Some(shop) = shop
            .iter()
            .find(|s| s.get("offeredPerSec").and_then(Value::as_f64) == rate)
        else {
            continue;
        };
        let n =
            |stage: &Value, path: &[&str]| stage.pointer(&pointer(path)).and_then(Value::as_f64);
        let pair = |stage: &Value, kind: &str| {
            format!(
                "{} / {}",
                ms(n(stage, &["latencyMs", kind, "p50"])),
                ms(n(stage, &["latencyMs", kind, "p99"]))
            )
        };
        let events = |stage: &Value| {
            format!(
                "{} / {}",
                ms(n(stage, &["eventToClientMs", "p50"])),
                ms(n(stage, &["eventToClientMs", "p99"]))
            )
        };
        grid.rows.push(vec![
            whole(rate),
            one_decimal(n(direct, &["ordersPerSec"])),
            one_decimal(n(shop, &["ordersPerSec"])),
            ratio(n(shop, &["ordersPerSec"]), n(direct, &["ordersPerSec"])),
            pair(direct, "order"),
            pair(shop, "checkout"),
            ratio(
                n(shop, &["latencyMs", "checkout", "p99"]),
                n(direct, &["latencyMs", "order", "p99"]),
            ),
            events(direct),
            events(shop),
            ratio(
                n(shop, &["eventToClientMs", "p99"]),
                n(direct, &["eventToClientMs", "p99"]),
            ),
            format!(
                "{} / {}",
                one_decimal(load_at_start(direct)),
                one_decimal(load_at_start(shop))
            ),
        ]);
    }
    grid
}

/// The other requests of the mix at each stage: p50 / p99 each.
pub(super) fn requests_grid(figures: &Value) -> Grid {
    let kinds = [
        "browse", "search", "product", "login", "cart", "coupon", "quote",
    ];
    let mut header = vec!["path", "offered/s"];
    header.extend(kinds);
    let mut grid = Grid::new(&header);
    for path in PATHS {
        for stage in stages(figures, path) {
            let n = |kind: &str, p: &str| {
                stage
                    .pointer(&pointer(&["latencyMs", kind, p]))
                    .and_then(Value::as_f64)
            };
            let mut row = vec![
                path.to_owned(),
                whole(stage.get("offeredPerSec").and_then(Value::as_f64)),
            ];
            row.extend(kinds.map(|kind| match n(kind, "p50") {
                None => "-".to_owned(),
                p50 => format!("{} / {}", ms(p50), ms(n(kind, "p99"))),
            }));
            grid.rows.push(row);
        }
    }
    grid
}
