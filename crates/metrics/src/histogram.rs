//! [`Histogram`]: counts of observations per fixed bucket, as Prometheus histograms are.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

/// Bucket bounds (seconds) for block building, import and commit: 1 ms to 30 s.
pub const BLOCK_SECONDS_BUCKETS: &[f64] =
    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Bucket bounds (seconds) for JSON-RPC calls: 50 µs to 10 s.
pub const RPC_SECONDS_BUCKETS: &[f64] = &[
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    2.5, 5.0, 10.0,
];

/// A Prometheus histogram over fixed bucket bounds. Each observation increments one bucket (the
/// first whose bound is at least the value, or the implicit `+Inf` one); the cumulative counts
/// Prometheus wants are computed when a [`HistogramSnapshot`] is taken, so recording is one
/// atomic add for the bucket and one for the sum.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    /// One count per bound, then the `+Inf` bucket; not cumulative.
    buckets: Box<[AtomicU64]>,
    /// The sum of the observations, as `f64` bits.
    sum: AtomicU64,
}

impl Histogram {
    /// A histogram with the given bucket upper bounds, which must be strictly increasing.
    pub fn new(bounds: &'static [f64]) -> Self {
        let buckets = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
        Self { bounds, buckets, sum: AtomicU64::new(0f64.to_bits()) }
    }

    /// Records `value`; NaN is ignored (it belongs to no bucket).
    pub fn observe(&self, value: f64) {
        if value.is_nan() {
            return;
        }
        let index = self.bounds.partition_point(|bound| *bound < value);
        if let Some(bucket) = self.buckets.get(index) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        // The closure always returns `Some`, so the update cannot fail.
        let _ = self.sum.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
            Some((f64::from_bits(bits) + value).to_bits())
        });
    }

    /// Records a duration in seconds.
    pub fn observe_duration(&self, duration: Duration) {
        self.observe(duration.as_secs_f64());
    }

    /// Records the seconds elapsed since `start`.
    pub fn observe_since(&self, start: Instant) {
        self.observe_duration(start.elapsed());
    }

    /// The cumulative bucket counts, count and sum as of now.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut total = 0;
        let mut cumulative = Vec::with_capacity(self.bounds.len());
        let mut counts = self.buckets.iter().map(|bucket| bucket.load(Ordering::Relaxed));
        for &bound in self.bounds {
            total += counts.next().unwrap_or_default();
            cumulative.push((bound, total));
        }
        // The `+Inf` bucket: the count is the sum of the buckets read, so `+Inf` equals it even
        // while observations race with the snapshot.
        total += counts.next().unwrap_or_default();
        HistogramSnapshot {
            buckets: cumulative,
            count: total,
            sum: f64::from_bits(self.sum.load(Ordering::Relaxed)),
        }
    }
}

/// A histogram's figures at one moment, as exposed.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    /// `(upper bound, observations at or below it)`, bounds increasing; `+Inf` is [`Self::count`].
    pub buckets: Vec<(f64, u64)>,
    /// Every observation.
    pub count: u64,
    /// The sum of the observations.
    pub sum: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_bounds_inclusive() {
        let histogram = Histogram::new(&[0.1, 1.0, 10.0]);
        for value in [0.05, 0.1, 0.5, 1.0, 20.0, f64::NAN] {
            histogram.observe(value);
        }
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.buckets, vec![(0.1, 2), (1.0, 4), (10.0, 4)]);
        assert_eq!(snapshot.count, 5);
        assert!((snapshot.sum - 21.65).abs() < 1e-9);
    }

    #[test]
    fn bucket_constants_increase() {
        for bounds in [BLOCK_SECONDS_BUCKETS, RPC_SECONDS_BUCKETS] {
            assert!(bounds.windows(2).all(|pair| pair[0] < pair[1]));
        }
    }

    #[test]
    fn durations_are_seconds() {
        let histogram = Histogram::new(BLOCK_SECONDS_BUCKETS);
        histogram.observe_duration(Duration::from_millis(3));
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.buckets[1], (0.0025, 0));
        assert_eq!(snapshot.buckets[2], (0.005, 1));
    }
}
