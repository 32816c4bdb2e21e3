//! [`PoolMetrics`]: admissions and rejections of the pool. The pool sits behind its owner's
//! lock, so these are plain integers, not atomics.

use crate::{PoolError, TxPool};
use phala_metrics::{Exposition, MetricType};
use std::collections::BTreeMap;

/// Counts of what [`TxPool::add_transaction`] decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolMetrics {
    /// Transactions admitted (replacements included).
    pub inserted: u64,
    /// Transactions refused, by [`PoolError::reason`].
    pub rejected: BTreeMap<&'static str, u64>,
    /// Transactions evicted to make room for better-paying ones.
    pub evicted: u64,
}

impl PoolMetrics {
    /// Counts the outcome of one add.
    pub(crate) fn record<T>(&mut self, result: &Result<T, PoolError>) {
        match result {
            Ok(_) => self.inserted += 1,
            Err(error) => *self.rejected.entry(error.reason()).or_default() += 1,
        }
    }
}

impl TxPool {
    /// Writes the pool's families: sizes, admissions, rejections by reason, evictions.
    pub fn encode_metrics(&self, out: &mut Exposition) {
        let (pending, queued) = self.status();
        let metrics = self.metrics();
        out.gauge("phala_txpool_pending", "Executable transactions in the pool", pending as u64);
        out.gauge(
            "phala_txpool_queued",
            "Transactions waiting for a nonce gap to close or the balance to grow",
            queued as u64,
        );
        out.counter(
            "phala_txpool_inserted_total",
            "Transactions admitted to the pool (replacements included)",
            metrics.inserted,
        );
        out.family(
            "phala_txpool_rejected_total",
            "Transactions the pool refused, by reason",
            MetricType::Counter,
        );
        for (reason, count) in &metrics.rejected {
            out.sample("phala_txpool_rejected_total", &[("reason", *reason)], *count);
        }
        out.counter(
            "phala_txpool_evicted_total",
            "Transactions evicted from a full pool for better-paying ones",
            metrics.evicted,
        );
    }
}
