//! Reading the Prometheus text exposition every service serves on `/metrics`, and turning its
//! request histograms into per-route rates, latency quantiles and error rates. Given the
//! increase of each series between two scrapes, the figures are those of that span.

use std::collections::{BTreeMap, HashMap};

/// One sample: `name{labels} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The metric name.
    pub name: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// The value.
    pub value: f64,
}

/// Every sample of a text exposition; comment lines and lines that do not parse are skipped.
pub fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(parse_line)
        .collect()
}

fn parse_line(line: &str) -> Option<Sample> {
    let name_end = line.find(['{', ' '])?;
    let name = line[..name_end].to_owned();
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(body) = rest.strip_prefix('{') {
        let mut chars = body.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            if c == '}' {
                end = Some(i);
                break;
            }
            if c == ',' || c == ' ' {
                continue;
            }
            let eq = body[i..].find('=')? + i;
            let key = body[i..eq].trim().to_owned();
            while chars.peek().is_some_and(|(j, _)| *j <= eq) {
                chars.next();
            }
            if chars.next()?.1 != '"' {
                return None;
            }
            let mut value = String::new();
            loop {
                match chars.next()?.1 {
                    '\\' => match chars.next()?.1 {
                        'n' => value.push('\n'),
                        other => value.push(other),
                    },
                    '"' => break,
                    other => value.push(other),
                }
            }
            labels.insert(key, value);
        }
        rest = &body[end? + 1..];
    }
    let value = rest.split_whitespace().next()?.parse().ok()?;
    Some(Sample {
        name,
        labels,
        value,
    })
}

/// Latency and errors of one route, as the dashboard answers it.
pub use shared::api::reports::RouteFigures as RouteStats;

#[derive(Default)]
struct Acc {
    buckets: BTreeMap<u64, f64>,
    infinite: f64,
    count: f64,
    errors: f64,
}

/// Per-route figures from `http_request_duration_seconds` of `service` (series labelled with
/// another service are left out: in tests several services share one process), busiest first;
/// `seconds` is the span the counts cover, for the rate. Routes without a request are left out.
pub fn routes(samples: &[Sample], service: &str, seconds: f64) -> Vec<RouteStats> {
    let mut by_route: HashMap<(String, String), Acc> = HashMap::new();
    for s in samples {
        if s.labels.get("service").is_some_and(|v| v != service) {
            continue;
        }
        let (Some(method), Some(route)) = (s.labels.get("method"), s.labels.get("route")) else {
            continue;
        };
        let acc = by_route.entry((method.clone(), route.clone())).or_default();
        match s.name.as_str() {
            "http_request_duration_seconds_bucket" => {
                match s.labels.get("le").map(String::as_str) {
                    Some("+Inf") => acc.infinite += s.value,
                    Some(le) => {
                        if let Ok(bound) = le.parse::<f64>() {
                            // Bounds as integer microseconds, to key and sort them exactly.
                            *acc.buckets.entry((bound * 1e6).round() as u64).or_default() +=
                                s.value;
                        }
                    }
                    None => {}
                }
            }
            "http_request_duration_seconds_count" => {
                acc.count += s.value;
                if s.labels.get("status").is_some_and(|st| st.starts_with('5')) {
                    acc.errors += s.value;
                }
            }
            _ => {}
        }
    }
    let mut out: Vec<RouteStats> = by_route
        .into_iter()
        .filter(|(_, acc)| acc.count > 0.0)
        .map(|((method, route), acc)| {
            let buckets: Vec<(f64, f64)> = acc
                .buckets
                .iter()
                .map(|(us, n)| (*us as f64 / 1e6, *n))
                .collect();
            let total = acc.infinite.max(acc.count);
            let q = |p| quantile(&buckets, total, p).map(|s| tidy(s * 1e3, 1e3));
            RouteStats {
                method,
                route,
                requests: acc.count.round() as u64,
                per_second: per_second(acc.count, seconds),
                error_rate: tidy(acc.errors / acc.count, 1e4),
                p50_ms: q(0.5),
                p95_ms: q(0.95),
                p99_ms: q(0.99),
            }
        })
        .collect();
    out.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.route.cmp(&b.route)));
    out
}

/// The `p` quantile from cumulative `(upper bound, count)` buckets over `total` observations,
/// interpolating linearly inside the bucket (as Prometheus' `histogram_quantile` does); past
/// the last finite bound it answers that bound.
pub fn quantile(buckets: &[(f64, f64)], total: f64, p: f64) -> Option<f64> {
    if total <= 0.0 {
        return None;
    }
    let rank = p * total;
    let mut lower = (0.0, 0.0);
    for &(bound, cumulative) in buckets {
        if cumulative >= rank {
            let (lo_bound, lo_count) = lower;
            let width = cumulative - lo_count;
            if width <= 0.0 {
                return Some(bound);
            }
            return Some(lo_bound + (bound - lo_bound) * (rank - lo_count) / width);
        }
        lower = (bound, cumulative);
    }
    buckets.last().map(|(bound, _)| *bound)
}

/// `value` rounded to `1/scale`, and never `-0` (which JSON would show as `-0.0`).
pub fn tidy(value: f64, scale: f64) -> f64 {
    let rounded = (value * scale).round() / scale;
    if rounded == 0.0 || !rounded.is_finite() {
        0.0
    } else {
        rounded
    }
}

/// `count` per second over `seconds`, to the thousandth; 0 over an empty span.
pub fn per_second(count: f64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        tidy(count / seconds, 1e3)
    } else {
        0.0
    }
}

/// Open live streams: the sum of every gauge whose name ends in `_streams`, per metric.
pub fn streams(samples: &[Sample]) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for s in samples.iter().filter(|s| s.name.ends_with("_streams")) {
        *out.entry(s.name.clone()).or_insert(0.0) += s.value;
    }
    for value in out.values_mut() {
        *value = tidy(*value, 1e3);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{service="order-service",method="GET",route="/orders",status="200",le="0.01"} 50
http_request_duration_seconds_bucket{service="order-service",method="GET",route="/orders",status="200",le="0.1"} 90
http_request_duration_seconds_bucket{service="order-service",method="GET",route="/orders",status="200",le="+Inf"} 90
http_request_duration_seconds_count{service="order-service",method="GET",route="/orders",status="200"} 90
http_request_duration_seconds_bucket{service="order-service",method="GET",route="/orders",status="500",le="0.01"} 0
http_request_duration_seconds_bucket{service="order-service",method="GET",route="/orders",status="500",le="0.1"} 10
http_request_duration_seconds_bucket{service="order-service",method="GET",route="/orders",status="500",le="+Inf"} 10
http_request_duration_seconds_count{service="order-service",method="GET",route="/orders",status="500"} 10
http_request_duration_seconds_count{service="other",method="GET",route="/x",status="200"} 7
order_live_streams{kind="sse"} 2
order_live_streams{kind="ws"} 3
odd{a="quote \" and, comma"} 1
"#;

    #[test]
    fn samples_are_read_with_their_labels_even_with_escapes() {
        let samples = parse(TEXT);
        let odd = samples.iter().find(|s| s.name == "odd").unwrap();
        assert_eq!(odd.labels["a"], "quote \" and, comma");
        assert_eq!(samples.len(), 12);
    }

    #[test]
    fn route_quantiles_merge_every_status_and_errors_are_the_5xx_share() {
        let routes = routes(&parse(TEXT), "order-service", 50.0);
        assert_eq!(routes.len(), 1);
        let r = &routes[0];
        assert_eq!(r.requests, 100);
        assert_eq!(r.per_second, 2.0);
        assert_eq!(r.error_rate, 0.1);
        // 50 of 100 fall at or below 10 ms: the median is the bucket's bound.
        assert_eq!(r.p50_ms, Some(10.0));
        // The 95th is 45 of the 50 between 10 and 100 ms.
        assert_eq!(r.p95_ms, Some(91.0));
    }

    #[test]
    fn figures_are_never_negative_zero() {
        assert!(tidy(-0.0, 1e3).is_sign_positive());
        assert!(tidy(-0.00001, 1e3).is_sign_positive());
        assert!(per_second(0.0, 0.0).is_sign_positive());
        assert_eq!(tidy(0.12345, 1e3), 0.123);
    }

    #[test]
    fn open_streams_are_summed_per_gauge() {
        assert_eq!(streams(&parse(TEXT))["order_live_streams"], 5.0);
    }
}
