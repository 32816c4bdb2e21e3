//! RocksDB storage for phala-node.
//!
//! Key components:
//! - [`Database`]: one RocksDB with a column family per [`Table`]; reads of committed data,
//!   including state at any past block through the history tables.
//! - [`WriteSet`]: pending writes over the database. Everything one block (or one re-org) writes
//!   goes into one write set and is committed as one atomic `WriteBatch`; a dropped write set
//!   leaves the database exactly as it was. [`DetachedWrites`] keeps a block's writes for a
//!   later commit (executed now, made canonical later).
//! - [`trie`]: the Merkle-Patricia state trie with nodes stored by path, updated incrementally
//!   (only the paths of changed keys are re-hashed), with alloy-trie node encoding.
//!   [`trie::TrieReader`] reads proofs (`eth_getProof`) at the head by path, or at any past
//!   canonical block by hash from its state root (one point read per node either way).
//! - [`StateWriter`]: applies a block's [`StateChanges`](phala_primitives::StateChanges) to plain
//!   state, change sets, history and the trie, and unwinds a block again. History is kept for
//!   plain state (`AccountHistory`, `StorageHistory`) and for the tries (`TrieNodes`: every
//!   node version by hash), so past state and proofs cost about what the latest do;
//!   [`Database::open`] backfills the trie nodes of a database written by an older version.
//! - [`Database::walk_state_at`] and [`dump_alloc`]: the state after any past canonical block,
//!   streamed in address and slot order (plain state merged with the history tables), and as
//!   geth-style `alloc` JSON.
//! - [`Database::open_existing`], [`Database::entries`], [`Database::table_checksum`],
//!   [`Database::destroy`]: the `db` tools' access (no database is created by a read).
//! - [`WitnessState`]: state read from a witness (trie nodes and code by hash) for stateless
//!   execution; [`WitnessState::seed`] writes the witness's trie nodes and the touched plain
//!   state into an empty database, so that [`StateWriter`] computes the post-state root.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod db;
mod dump;
mod error;
mod models;
mod state;
mod tables;
pub mod trie;
mod witness;

pub use db::{Database, DetachedWrites, KeyValueRead, RawEntry, WriteSet};
pub use dump::{DumpStats, StateEntry, dump_alloc, dump_alloc_with_progress};
pub use error::{StorageError, WitnessError};
pub use models::{StoredAccount, TxLocation};
pub use state::{HistoricalState, LatestState, SnapshotState, StateWriter, unwound_state};
pub use tables::Table;
pub use witness::{SeedSummary, WitnessState};

/// Result of a storage operation.
pub type StorageResult<T> = Result<T, StorageError>;
