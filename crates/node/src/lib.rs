//! Node wiring for phala-node: the command-line interface and the commands behind it.
//!
//! Key components:
//! - [`cli::Cli`]: reth-style subcommands and flags.
//! - [`node`]: `phala-node node` — chain, JSON-RPC, Engine API, sequencer, metrics.
//! - [`sequencer::Sequencer`]: seals blocks from the pool on a timer or per transaction.
//! - [`dev`]: the `--dev` chain and its mnemonic accounts.
//! - [`devnet`]: `phala-node devnet`, anvil and the L1 contracts with this node as the L2
//!   (sequencer, batcher and proposer).
//! - [`withdrawal`]: `phala-node withdrawal status|prove|finalize`.
//! - [`import::import_file`]: imports a file of concatenated RLP blocks with progress output;
//!   [`export::export_file`] writes them.
//! - [`db`]: `phala-node db stats|list|get|checksum|drop` and `phala-node dump-state`
//!   (the state walk itself is [`phala_storage::dump_alloc`]); [`dev::dev_chain_with_alloc`]
//!   starts a dev chain from such a dump (`--dev.load-state`).
//! - [`dirs`]: the default data directory.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod cli;
pub mod db;
pub mod dev;
pub mod devnet;
pub mod dirs;
mod error;
pub mod export;
pub mod import;
pub mod metrics;
pub mod node;
mod output;
mod progress;
pub mod sequencer;
pub mod withdrawal;

pub use error::NodeError;
