//! `phala-node export`: canonical blocks as concatenated RLP, the format `phala-node import`
//! reads (and geth's `export` writes).

use crate::NodeError;
use phala_primitives::Block;
use phala_storage::{Database, KeyValueRead, StorageError, Table};
use std::{
    io::Write,
    path::Path,
    time::{Duration, Instant},
};

/// Totals of an export.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExportStats {
    /// First block written.
    pub from: u64,
    /// Last block written.
    pub to: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl std::fmt::Display for ExportStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exported blocks {}..={} ({} blocks, {} bytes) in {:.2} s",
            self.from,
            self.to,
            self.to - self.from + 1,
            self.bytes,
            self.elapsed.as_secs_f64()
        )
    }
}

/// The block range to export: `--from` (default 1: the genesis block is not imported, `init`
/// writes it) to `--to` (default: the head), checked against the chain.
pub fn export_range(db: &Database, from: u64, to: Option<u64>) -> Result<(u64, u64), NodeError> {
    let head = db.head_header()?.number;
    let to = to.unwrap_or(head);
    if to > head {
        return Err(NodeError::Flag {
            flag: "--to",
            message: format!("block {to} is after the head block {head}"),
        });
    }
    if from > to {
        return Err(NodeError::Flag {
            flag: "--from",
            message: format!("block {from} is after the last block to export, {to}"),
        });
    }
    Ok((from, to))
}

/// Writes the canonical blocks `from..=to` to `out`, each as one RLP item, calling `progress`
/// after each block.
pub fn export_blocks(
    db: &Database,
    from: u64,
    to: u64,
    mut out: impl Write,
    path: &Path,
    mut progress: impl FnMut(u64),
) -> Result<ExportStats, NodeError> {
    let started = Instant::now();
    let mut stats = ExportStats { from, to, ..ExportStats::default() };
    let write_error = |source| NodeError::Write { path: path.to_path_buf(), source };
    for number in from..=to {
        let hash = db.canonical_hash(number)?.ok_or_else(|| StorageError::Corrupt {
            table: Table::CanonicalHashes,
            reason: format!("no canonical block {number}"),
        })?;
        let header = db.header(hash)?.ok_or(StorageError::MissingBlock(hash))?;
        let body = db.body(hash)?.ok_or(StorageError::MissingBlock(hash))?;
        let rlp = alloy_rlp::encode(Block::new(header, body));
        out.write_all(&rlp).map_err(write_error)?;
        stats.bytes += rlp.len() as u64;
        progress(number);
    }
    out.flush().map_err(write_error)?;
    stats.elapsed = started.elapsed();
    Ok(stats)
}

/// `phala-node export`: blocks `from..=to` (default: to the head) of `db` into `path`, written
/// whole or not at all, with a progress bar on a terminal.
pub fn export_file(
    db: &Database,
    from: u64,
    to: Option<u64>,
    path: &Path,
) -> Result<ExportStats, NodeError> {
    let (from, to) = export_range(db, from, to)?;
    let progress = crate::progress::progress_bar(to - from + 1, "blocks", false);
    let stats = crate::output::write_file_atomically(path, |out| {
        export_blocks(db, from, to, out, path, |_| progress.inc(1))
    });
    progress.finish_and_clear();
    stats
}
