//! [`EngineMetrics`]: what the block pipeline records, timed with the wall clock. Nothing here
//! feeds back into consensus: the figures are only written to the metrics page.

use phala_chain::ImportOutcome;
use phala_metrics::{BLOCK_SECONDS_BUCKETS, Counter, Exposition, Histogram};

/// Block pipeline timings and chain throughput counters.
#[derive(Debug)]
pub struct EngineMetrics {
    /// Building a block on the head (executing the pool's or the given transactions).
    pub(crate) build: Histogram,
    /// Validating, executing and storing a block that came from outside.
    pub(crate) import: Histogram,
    /// Making a block the head: the commit of its writes, or a re-org onto its branch.
    pub(crate) commit: Histogram,
    /// Blocks this node built and made the head (a sequencer's, or a verifier's derived ones).
    pub(crate) blocks_sealed: Counter,
    /// Blocks from outside that were valid and stored.
    pub(crate) blocks_imported: Counter,
    /// Gas of the blocks that became the head.
    pub(crate) gas_processed: Counter,
    /// Transactions of the blocks that became the head.
    pub(crate) transactions_processed: Counter,
}

impl Default for EngineMetrics {
    fn default() -> Self {
        Self {
            build: Histogram::new(BLOCK_SECONDS_BUCKETS),
            import: Histogram::new(BLOCK_SECONDS_BUCKETS),
            commit: Histogram::new(BLOCK_SECONDS_BUCKETS),
            blocks_sealed: Counter::new(),
            blocks_imported: Counter::new(),
            gas_processed: Counter::new(),
            transactions_processed: Counter::new(),
        }
    }
}

impl EngineMetrics {
    /// Counts the gas and transactions of a block that became the head.
    pub(crate) fn on_new_head(&self, outcome: &ImportOutcome) {
        if let ImportOutcome::Imported { gas_used, transactions, .. } = outcome {
            self.gas_processed.add(*gas_used);
            self.transactions_processed.add(*transactions as u64);
        }
    }

    /// Writes the engine's families.
    pub fn encode(&self, out: &mut Exposition) {
        out.counter(
            "phala_chain_gas_processed_total",
            "Gas used by the blocks that became the canonical head (rate() gives gas per second)",
            self.gas_processed.get(),
        );
        out.counter(
            "phala_chain_transactions_processed_total",
            "Transactions in the blocks that became the canonical head",
            self.transactions_processed.get(),
        );
        out.counter(
            "phala_chain_blocks_sealed_total",
            "Blocks this node built and made the canonical head (sequenced, or derived from L1)",
            self.blocks_sealed.get(),
        );
        out.counter(
            "phala_chain_blocks_imported_total",
            "Blocks received from outside (Engine API, import) that were valid and stored",
            self.blocks_imported.get(),
        );
        out.histogram(
            "phala_engine_block_build_seconds",
            "Time to build a block on the head, executing its transactions",
            &self.build,
        );
        out.histogram(
            "phala_engine_block_import_seconds",
            "Time to validate, execute and store a block received from outside",
            &self.import,
        );
        out.histogram(
            "phala_engine_block_commit_seconds",
            "Time to make an executed block the canonical head (its commit, or a re-org)",
            &self.commit,
        );
    }
}
