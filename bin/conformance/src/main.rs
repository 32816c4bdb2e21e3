//! Runners for the third-party conformance suites in `../shared/conformance`.
//!
//! - `conformance blockchain [PATH]...`: EF blockchain tests, imported through the node's own
//!   RocksDB storage and block importer (see `blockchain.rs` for exactly what is checked).
//! - `conformance rpc [DIR]`: execution-apis JSON-RPC tests against a node serving HTTP, run as
//!   hive's rpc-compat simulator runs them (see `rpc.rs`).
//! - `conformance op-execution [PATH]...`: real OP Sepolia blocks re-executed statelessly from
//!   their preimages with the node's builder steps, executor and trie (see `op_execution.rs`).
//! - `conformance op-batches [DIR]`: the OP batch data (a real batcher transaction, a span-batch
//!   body) through phala-protocol's batch codec (see `op_batches.rs`).
//! - `conformance op-vectors [PATH]`: the OP Stack protocol vectors (L1 fees, L1-info calldata,
//!   deposit source hashes, withdrawal hashes), computed with phala-protocol (see
//!   `op_vectors.rs`).

mod blockchain;
mod op_batches;
mod op_execution;
mod op_vectors;
mod rpc;

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
        /// A file of fixture names (`file::key` relative to the suite root, one per line, `#`
        /// comments) that are known to fail. They are still reported as FAIL and counted, but
        /// only other failures, or listed fixtures that now pass, make the exit status non-zero.
        #[arg(long, value_name = "FILE")]
        expected_failures: Option<PathBuf>,
    },
    /// Run execution-apis JSON-RPC tests (a folder with genesis.json, chain.rlp, headfcu.json and
    /// method folders of `.io` files).
    Rpc {
        /// The suite: a folder, or the name of one under `<conformance dir>/rpc/` (such as
        /// `osaka-head`). Default: `prague-head`.
        dir: Option<PathBuf>,
        /// Only run tests whose `method/test` name contains this text.
        #[arg(long)]
        filter: Option<String>,
        /// A file of test names (`method/test`, one per line, `#` comments) known to fail; as for
        /// `blockchain`.
        #[arg(long, value_name = "FILE")]
        expected_failures: Option<PathBuf>,
    },
    /// Decode OP batch data (batcher transactions, channels, span batches) and compare the facts.
    OpBatches {
        /// The folder with the data files and `expected.json`. Default:
        /// `<conformance dir>/op/batches`.
        dir: Option<PathBuf>,
    },
    /// Re-execute real OP blocks from their preimages and compare the block hash.
    OpExecution {
        /// Fixture files or folders. Default: `<conformance dir>/op/execution`.
        paths: Vec<PathBuf>,
    },
    /// Run the OP Stack protocol vectors (L1 data fees, L1-info calldata, deposit source hashes,
    /// withdrawal hashes) with phala-protocol.
    OpVectors {
        /// A vector file or a folder of them. Default: `<conformance dir>/op/vectors`.
        path: Option<PathBuf>,
    },
}

fn read_expected(path: Option<PathBuf>) -> Result<Vec<String>, ExitCode> {
    match path.map(|path| std::fs::read_to_string(&path).map_err(|err| (path, err))) {
        None => Ok(Vec::new()),
        Some(Ok(text)) => Ok(text
            .lines()
            .map(|line| line.split('#').next().unwrap_or_default().trim())
            .filter(|line| !line.is_empty())
            .map(str::to_string)
            .collect()),
        Some(Err((path, err))) => {
            eprintln!("error: --expected-failures {}: {err}", path.display());
            Err(ExitCode::from(2))
        }
    }
}

/// Prints the closing lines and decides the exit status: only unexpected failures, or listed
/// failures that now pass, fail the run; a runner that could not run at all exits with 2.
fn report(run: eyre::Result<blockchain::Summary>, expected: &[String]) -> ExitCode {
    let summary = match run {
        Ok(summary) => summary,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::from(2);
        }
    };
    let unexpected: Vec<_> = summary
        .failures
        .iter()
        .filter(|name| !expected.iter().any(|known| name.ends_with(known.as_str())))
        .collect();
    let now_passing: Vec<_> = expected
        .iter()
        .filter(|known| !summary.failures.iter().any(|name| name.ends_with(known.as_str())))
        .collect();
    for name in &now_passing {
        println!("expected failure did not fail (remove it from the list): {name}");
    }
    if !expected.is_empty() {
        println!(
            "{} unexpected failures, {} known failures",
            unexpected.len(),
            summary.failures.len() - unexpected.len()
        );
    }
    println!("{} passed, {} failed, {} skipped", summary.passed, summary.failed, summary.skipped);
    if unexpected.is_empty() && now_passing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
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
        Command::Blockchain { paths, filter, jobs, expected_failures } => {
            let expected = match read_expected(expected_failures) {
                Ok(expected) => expected,
                Err(code) => return code,
            };
            let paths = if paths.is_empty() {
                vec![conformance_dir().join("blockchain/dev")]
            } else {
                paths
            };
            report(blockchain::run(&paths, filter.as_deref(), jobs.max(1)), &expected)
        }
        Command::Rpc { dir, filter, expected_failures } => {
            let expected = match read_expected(expected_failures) {
                Ok(expected) => expected,
                Err(code) => return code,
            };
            let dir = match dir {
                Some(dir) if dir.is_dir() => dir,
                Some(name) => conformance_dir().join("rpc").join(name),
                None => conformance_dir().join("rpc/prague-head"),
            };
            report(rpc::run(&dir, filter.as_deref()), &expected)
        }
        Command::OpBatches { dir } => {
            let dir = dir.unwrap_or_else(|| conformance_dir().join("op/batches"));
            report(op_batches::run(&dir), &[])
        }
        Command::OpExecution { paths } => {
            let paths =
                if paths.is_empty() { vec![conformance_dir().join("op/execution")] } else { paths };
            report(op_execution::run(&paths), &[])
        }
        Command::OpVectors { path } => {
            let path = path.unwrap_or_else(|| conformance_dir().join("op/vectors"));
            report(op_vectors::run(&path), &[])
        }
    }
}
