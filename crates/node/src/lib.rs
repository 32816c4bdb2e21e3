//! Node wiring for phala-node: the command-line interface and the commands behind it.
//!
//! Key components:
//! - [`cli::Cli`]: reth-style subcommands and flags.
//! - [`import::import_file`]: imports a file of concatenated RLP blocks with progress output.
//! - [`dirs`]: the default data directory.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod cli;
pub mod dirs;
mod error;
pub mod import;

pub use error::NodeError;
