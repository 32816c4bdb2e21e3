//! Runners for the third-party conformance suites in `../shared/conformance`.
//!
//! - `conformance blockchain [PATH]...`: EF blockchain tests, imported through the node's own
//!   RocksDB storage and block importer (see `blockchain.rs` for exactly what is checked).

mod blockchain;

use clap::{Parser, Subcommand};
use std::{path::PathBuf, process::ExitCode};

#[derive(Debug, Parser)]
#[command(name = "conformance", about = "Run third-party conformance suites against phala-node")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run EF blockchain test fixtures (files or directories of `.json` fixtures).
    Blockchain {
        /// Fixture files or directories. Default: `<conformance dir>/blockchain/dev`, where the
        /// conformance dir is `$PHALA_CONFORMANCE_DIR` or `../shared/conformance`.
        paths: Vec<PathBuf>,
        /// Only run fixtures whose `file::key` name contains this text.
        #[arg(long)]
        filter: Option<String>,
        /// Worker threads.
        #[arg(long, default_value_t = 2)]
        jobs: usize,
    },
}

/// The conformance data directory.
fn conformance_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PHALA_CONFORMANCE_DIR") {
        return PathBuf::from(dir);
    }
    let relative = PathBuf::from("../shared/conformance");
    if relative.is_dir() {
        return relative;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Blockchain { paths, filter, jobs } => {
            let paths = if paths.is_empty() {
                vec![conformance_dir().join("blockchain/dev")]
            } else {
                paths
            };
            match blockchain::run(&paths, filter.as_deref(), jobs.max(1)) {
                Ok(summary) if summary.failed == 0 => ExitCode::SUCCESS,
                Ok(_) => ExitCode::FAILURE,
                Err(err) => {
                    eprintln!("error: {err:#}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
