//! `phala-node import`: a file of concatenated RLP blocks (as `chain.rlp` files are).

use crate::NodeError;
use phala_chain::{BlockImporter, ImportOutcome};
use phala_primitives::ChainSpec;
use phala_storage::Database;
use std::{
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

/// Totals of an import.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct ImportStats {
    /// Blocks imported.
    pub blocks: u64,
    /// Blocks skipped because they were already canonical.
    pub already_known: u64,
    /// Transactions in the imported blocks.
    pub transactions: u64,
    /// Gas used by the imported blocks.
    pub gas: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl ImportStats {
    /// Throughput in million gas per second.
    pub fn mgas_per_second(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds == 0.0 { 0.0 } else { self.gas as f64 / seconds / 1e6 }
    }
}

impl std::fmt::Display for ImportStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {} blocks ({} already known), {} transactions, {} gas in {:.2} s: {:.2} Mgas/s",
            self.blocks,
            self.already_known,
            self.transactions,
            self.gas,
            self.elapsed.as_secs_f64(),
            self.mgas_per_second()
        )
    }
}

/// Splits a byte string of concatenated RLP items into the items.
pub fn split_rlp_items<'a>(path: &Path, mut bytes: &'a [u8]) -> Result<Vec<&'a [u8]>, NodeError> {
    let total = bytes.len();
    let mut items = Vec::new();
    while !bytes.is_empty() {
        let offset = total - bytes.len();
        let malformed =
            |source| NodeError::MalformedFile { path: path.to_path_buf(), offset, source };
        let mut rest = bytes;
        let header = alloy_rlp::Header::decode(&mut rest).map_err(malformed)?;
        if !header.list {
            return Err(malformed(alloy_rlp::Error::UnexpectedString));
        }
        let header_len = bytes.len() - rest.len();
        let item_len = header_len + header.payload_length;
        if item_len > bytes.len() {
            return Err(malformed(alloy_rlp::Error::InputTooShort));
        }
        items.push(&bytes[..item_len]);
        bytes = &bytes[item_len..];
    }
    Ok(items)
}

/// Imports every block of `path` in order, stopping at the first invalid block.
pub fn import_file(
    db: &Database,
    spec: Arc<ChainSpec>,
    path: &Path,
) -> Result<ImportStats, NodeError> {
    let bytes = std::fs::read(path)
        .map_err(|source| NodeError::Read { path: path.to_path_buf(), source })?;
    let items = split_rlp_items(path, &bytes)?;
    let progress = crate::progress::progress_bar(items.len() as u64, "blocks", false);
    let importer = BlockImporter::new(db, spec);
    let started = Instant::now();
    let mut stats = ImportStats::default();
    for item in items {
        match importer.import_rlp(item)? {
            ImportOutcome::Imported { gas_used, transactions, .. } => {
                stats.blocks += 1;
                stats.gas += gas_used;
                stats.transactions += transactions as u64;
            }
            ImportOutcome::AlreadyCanonical(_) => stats.already_known += 1,
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    stats.elapsed = started.elapsed();
    Ok(stats)
}
