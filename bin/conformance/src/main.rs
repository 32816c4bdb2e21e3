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
        /// A file of fixture names (`file::key` relative to the suite root, one per line, `#`
        /// comments) that are known to fail. They are still reported as FAIL and counted, but
        /// only other failures, or listed fixtures that now pass, make the exit status non-zero.
        #[arg(long, value_name = "FILE")]
        expected_failures: Option<PathBuf>,
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
        Command::Blockchain { paths, filter, jobs, expected_failures } => {
            let expected = match expected_failures
                .map(|path| std::fs::read_to_string(&path).map_err(|err| (path, err)))
            {
                None => Vec::new(),
                Some(Ok(text)) => text
                    .lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty() && !line.starts_with('#'))
                    .map(str::to_string)
                    .collect(),
                Some(Err((path, err))) => {
                    eprintln!("error: --expected-failures {}: {err}", path.display());
                    return ExitCode::from(2);
                }
            };
            let paths = if paths.is_empty() {
                vec![conformance_dir().join("blockchain/dev")]
            } else {
                paths
            };
            match blockchain::run(&paths, filter.as_deref(), jobs.max(1)) {
                Ok(summary) => {
                    let unexpected: Vec<_> = summary
                        .failures
                        .iter()
                        .filter(|name| !expected.iter().any(|known| name.ends_with(known.as_str())))
                        .collect();
                    let now_passing: Vec<_> = expected
                        .iter()
                        .filter(|known| {
                            !summary.failures.iter().any(|name| name.ends_with(known.as_str()))
                        })
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
                    println!(
                        "{} passed, {} failed, {} skipped",
                        summary.passed, summary.failed, summary.skipped
                    );
                    if unexpected.is_empty() && (expected.is_empty() || now_passing.is_empty()) {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(err) => {
                    eprintln!("error: {err:#}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
