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
//! - [`import::import_file`]: imports a file of concatenated RLP blocks with progress output.
//! - [`dirs`]: the default data directory.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod cli;
pub mod dev;
pub mod devnet;
pub mod dirs;
mod error;
pub mod import;
pub mod metrics;
pub mod node;
pub mod sequencer;
pub mod withdrawal;

pub use error::NodeError;
