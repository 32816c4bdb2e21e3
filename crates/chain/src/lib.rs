//! Block import for phala-node: validate, execute, compute the state root, persist.
//!
//! Key components:
//! - [`BlockImporter`]: imports blocks into the RocksDB [`Database`](phala_storage::Database).
//!   Every imported block becomes the head (re-organising onto its branch when its parent is
//!   not the head); one block's writes, re-org included, are committed atomically, and a block
//!   that fails any check leaves the database exactly as it was.
//! - [`validation`]: header checks against the parent and the chain spec, body checks, and the
//!   checks of execution results against the header.
//! - [`init_genesis`]: writes the genesis block and allocation into a new database.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod builder;
mod error;
mod genesis;
mod importer;
pub mod validation;

pub use builder::{BlockAttributes, BlockBuilder, BuiltBlock};
pub use error::{BlockError, ImportError};
pub use genesis::{genesis_state_changes, init_genesis, open_chain};
pub use importer::{BlockImporter, ImportOutcome};
