//! Percentiles and summaries of samples (milliseconds), and their JSON.

use serde_json::{Value, json};

/// The nearest-rank `p`-th percentile (0 < p ≤ 100) of `sorted` (ascending); zero when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Count, p50, p90, p99, max and mean of some samples.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    /// How many samples.
    pub count: usize,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// The largest.
    pub max: f64,
    /// The mean.
    pub mean: f64,
}

impl Summary {
    /// Summarises `samples` (any order; NaNs are left out).
    pub fn of(samples: &[f64]) -> Self {
        let mut sorted: Vec<f64> = samples.iter().copied().filter(|x| !x.is_nan()).collect();
        sorted.sort_by(f64::total_cmp);
        let count = sorted.len();
        let mean = if count == 0 {
            0.0
        } else {
            sorted.iter().sum::<f64>() / count as f64
        };
        Self {
            count,
            p50: percentile(&sorted, 50.0),
            p90: percentile(&sorted, 90.0),
            p99: percentile(&sorted, 99.0),
            max: sorted.last().copied().unwrap_or(0.0),
            mean,
        }
    }

    /// `{count, p50, p90, p99, max, mean}`, figures rounded to microseconds.
    pub fn to_json(&self) -> Value {
        json!({
            "count": self.count,
            "p50": round3(self.p50),
            "p90": round3(self.p90),
            "p99": round3(self.p99),
            "max": round3(self.max),
            "mean": round3(self.mean),
        })
    }
}

/// `x` to three decimals.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 50.0), 50.0);
        assert_eq!(percentile(&sorted, 99.0), 99.0);
        assert_eq!(percentile(&sorted, 100.0), 100.0);
        assert_eq!(percentile(&sorted, 0.1), 1.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 50.0), 2.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 99.0), 3.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn a_summary_sorts_and_skips_what_is_not_a_number() {
        let s = Summary::of(&[5.0, 1.0, f64::NAN, 3.0, 2.0, 4.0]);
        assert_eq!(s.count, 5);
        assert_eq!((s.p50, s.p99, s.max, s.mean), (3.0, 5.0, 5.0, 3.0));
        assert_eq!(Summary::of(&[]), Summary::default());
        assert_eq!(
            Summary::of(&[1.23456]).to_json()["p50"].as_f64(),
            Some(1.235)
        );
    }
}
