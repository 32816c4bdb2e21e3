//! The `phala-node` command line.

use crate::{NodeError, dirs::default_datadir, import::import_file};
use clap::{Args, Parser, Subcommand};
use phala_chain::{init_genesis, open_chain};
use phala_storage::Database;
use std::path::PathBuf;

/// phala-node: the Phala Network L2 execution client and sequencer.
#[derive(Debug, Parser)]
#[command(name = "phala-node", version, about)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the node: JSON-RPC, Engine API and (with `--dev`) the sequencer.
    Node(Box<crate::node::NodeArgs>),
    /// Initialise a database with the genesis block of a chain.
    Init(ChainArgs),
    /// Import a file of concatenated RLP-encoded blocks.
    Import {
        /// Chain and data directory.
        #[command(flatten)]
        chain: ChainArgs,
        /// The files to import, in order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Database tools.
    Db {
        /// The database command.
        #[command(subcommand)]
        command: DbCommand,
    },
}

/// `phala-node db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Size and key count of every table, and the head block.
    Stats(ChainArgs),
}

/// Where the chain comes from and where it is stored.
#[derive(Debug, Clone, Args)]
pub struct ChainArgs {
    /// Chain spec: `dev` or a path to a geth-style genesis.json.
    #[arg(long, value_name = "CHAIN_OR_PATH", default_value = "dev")]
    pub chain: String,
    /// Data directory (default: `~/.local/share/phala-node/<chain>`).
    #[arg(long, value_name = "DIR")]
    pub datadir: Option<PathBuf>,
}

impl ChainArgs {
    /// The data directory to use.
    pub fn datadir(&self) -> PathBuf {
        self.datadir.clone().unwrap_or_else(|| default_datadir(&self.chain))
    }
}

impl Cli {
    /// Runs the command; messages for the user go to stdout.
    pub fn run(self) -> Result<(), NodeError> {
        match self.command {
            Command::Node(args) => crate::node::run(*args)?,
            Command::Init(args) => {
                let (spec, _) =
                    crate::node::resolve_chain(&args.chain, crate::dev::DEFAULT_MNEMONIC)?;
                let datadir = args.datadir();
                let db = Database::open(&datadir)?;
                let hash = init_genesis(&db, &spec)?;
                println!(
                    "initialised chain {} (genesis {hash}) in {}",
                    spec.chain_id,
                    datadir.display()
                );
            }
            Command::Import { chain, files } => {
                let (db, spec) = open_chain(&chain.datadir())?;
                for file in files {
                    let stats = import_file(&db, spec.clone(), &file)?;
                    println!("{}: {stats}", file.display());
                }
            }
            Command::Db { command: DbCommand::Stats(chain) } => {
                let (db, _) = open_chain(&chain.datadir())?;
                let head = phala_storage::KeyValueRead::head_header(&db)?;
                println!("head: #{} {}", head.number, head.hash_slow());
                println!("{:<22} {:>14} {:>12}", "table", "bytes (sst)", "keys (est)");
                for (table, bytes, keys) in db.table_stats() {
                    println!("{:<22} {bytes:>14} {keys:>12}", table.name());
                }
            }
        }
        Ok(())
    }
}
