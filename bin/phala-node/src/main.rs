//! The `phala-node` binary: parses the command line and runs the command.

use clap::Parser;
use phala_node::cli::Cli;

fn main() -> eyre::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    Cli::parse().run()?;
    Ok(())
}
