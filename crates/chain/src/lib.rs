//! Block import for phala-node: validate, execute, compute the state root, persist.
//!
//! Key components:
//! - [`BlockImporter`]: imports blocks into the RocksDB [`Database`](phala_storage::Database),
//!   in two steps that callers may also take apart: [`BlockImporter::execute`] validates and
//!   executes a block on its parent (re-organising in memory when the parent is not the head)
//!   into an [`ExecutedBlock`] that holds its writes, and [`BlockImporter::commit`] makes it the
//!   head; [`BlockImporter::make_canonical`] moves the head to any stored block. One block's
//!   writes, re-org included, are committed atomically, and a block that fails any check leaves
//!   the database exactly as it was.
//! - [`validation`]: header checks against the parent and the chain spec, body checks, and the
//!   checks of execution results against the header.
//! - [`init_genesis`]: writes the genesis block and allocation into a new database.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod builder;
mod error;
mod genesis;
mod importer;
pub mod validation;

#[cfg(feature = "test-utils")]
pub mod test_utils;

pub use builder::{BlockAttributes, BlockBuilder, BuiltBlock, block_template, seal_template};
pub use error::{BlockError, ImportError};
pub use genesis::{alloc_state_changes, genesis_state_changes, init_genesis, open_chain};
pub use importer::{BlockImporter, ExecutedBlock, ImportOutcome};
pub use validation::gas_used_per_tx;
