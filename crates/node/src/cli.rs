//! The `phala-node` command line.

use crate::{NodeError, dirs::default_datadir, import::import_file};
use clap::{Args, Parser, Subcommand};
use phala_chain::{BlockError, init_genesis, open_chain};
use phala_primitives::ChainSpec;
use phala_storage::{Database, StorageError, Table};
use std::{path::PathBuf, sync::Arc};

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
    /// A full local OP Stack devnet: anvil as L1 with the OP Bedrock contracts, this node as the
    /// L2 sequencer with the batcher; ready when `<datadir>/devnet.json` appears.
    Devnet(Box<crate::devnet::DevnetArgs>),
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
    /// Export canonical blocks as concatenated RLP (the format `import` reads).
    Export {
        /// Chain and data directory.
        #[command(flatten)]
        chain: ChainArgs,
        /// First block to export (the genesis block, 0, is written by `init`, not imported).
        #[arg(long, value_name = "N", default_value_t = 1)]
        from: u64,
        /// Last block to export (default: the head).
        #[arg(long, value_name = "N")]
        to: Option<u64>,
        /// The file to write.
        file: PathBuf,
    },
    /// Write the state after a block as a geth-style `alloc` JSON (address → balance, nonce,
    /// code, storage), sorted by address and slot; `node --dev --dev.load-state` starts a
    /// chain from it.
    DumpState {
        /// Chain and data directory.
        #[command(flatten)]
        chain: ChainArgs,
        /// The canonical block whose post-state to dump (default: the head).
        #[arg(long, value_name = "N")]
        block: Option<u64>,
        /// Write to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print the full genesis of a chain (geth-style JSON, with the code and storage of every
    /// genesis contract).
    DumpGenesis {
        /// Chain spec: `dev` or a path to a chain spec / genesis JSON file.
        #[arg(long, value_name = "CHAIN_OR_PATH", default_value = "dev")]
        chain: String,
    },
    /// Parachain migration tools: the snapshot's Merkle root and each holder's proof.
    Migration {
        /// The migration command.
        #[command(subcommand)]
        command: MigrationCommand,
    },
    /// Withdrawals to L1 without a bridge UI: status, prove, finalize.
    Withdrawal {
        /// The withdrawal command.
        #[command(subcommand)]
        command: crate::withdrawal::WithdrawalCommand,
    },
    /// Database tools.
    Db {
        /// The database command.
        #[command(subcommand)]
        command: DbCommand,
    },
}

/// `phala-node db` subcommands. Tables are named as in `db stats`.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Size and key count of every table, and the head block.
    Stats(ChainArgs),
    /// Print a table's entries in key order, one `0x<key> 0x<value>` per line.
    List {
        /// Chain and data directory.
        #[command(flatten)]
        chain: ChainArgs,
        /// The table.
        table: Table,
        /// Entries to skip first.
        #[arg(long, value_name = "N", default_value_t = 0)]
        skip: usize,
        /// Most entries to print (default: all).
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Print the value of one key (hex) of a table.
    Get {
        /// Chain and data directory.
        #[command(flatten)]
        chain: ChainArgs,
        /// The table.
        table: Table,
        /// The key, hex (`0x` optional).
        key: String,
    },
    /// A keccak-256 checksum of a table's keys and values (default: every table), with its
    /// entry count: equal checksums, equal tables.
    Checksum {
        /// Chain and data directory.
        #[command(flatten)]
        chain: ChainArgs,
        /// The table (default: every table).
        table: Option<Table>,
    },
    /// Delete the database in the data directory (every block and all state).
    Drop {
        /// Chain and data directory.
        #[command(flatten)]
        chain: ChainArgs,
        /// Confirm the deletion: without it nothing is deleted.
        #[arg(long)]
        confirm: bool,
    },
}

/// `phala-node migration` subcommands.
#[derive(Debug, Subcommand)]
pub enum MigrationCommand {
    /// Print the snapshot's totals (18 decimals) and Merkle root.
    Root {
        /// The snapshot JSON (parachain accounts with 12-decimal balances).
        #[arg(long, value_name = "FILE")]
        snapshot: PathBuf,
    },
    /// Print an account's claim as JSON: scaled balances, Merkle proof and, given a recipient,
    /// the exact text to sign with the parachain key (polkadot.js `signRaw` wraps it in
    /// `<Bytes>…</Bytes>`).
    Proof {
        /// The snapshot JSON.
        #[arg(long, value_name = "FILE")]
        snapshot: PathBuf,
        /// The parachain account's 32-byte public key (hex).
        #[arg(long, value_name = "PUBKEY")]
        account: alloy_primitives::B256,
        /// The L2 address to claim to.
        #[arg(long, value_name = "ADDRESS")]
        recipient: Option<alloy_primitives::Address>,
        /// The L2 chain id (for the text to sign).
        #[arg(long, value_name = "ID", default_value_t = crate::dev::DEV_CHAIN_ID)]
        chain_id: u64,
    },
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

    /// Opens the chain in the data directory, which must hold one: none is created.
    pub fn open_existing_chain(&self) -> Result<(Database, Arc<ChainSpec>), NodeError> {
        open_chain(&self.datadir()).map_err(|err| match err {
            BlockError::Storage(StorageError::NoDatabase { path }) => {
                NodeError::NoDatabase { path }
            }
            err => err.into(),
        })
    }

    /// Opens the database in the data directory, which must hold one: none is created.
    pub fn open_existing_database(&self) -> Result<Database, NodeError> {
        Database::open_existing(&self.datadir()).map_err(|err| match err {
            StorageError::NoDatabase { path } => NodeError::NoDatabase { path },
            err => err.into(),
        })
    }
}

impl Cli {
    /// Runs the command; messages for the user go to stdout.
    pub fn run(self) -> Result<(), NodeError> {
        match self.command {
            Command::Node(args) => crate::node::run(*args)?,
            Command::Devnet(args) => crate::devnet::run(*args)?,
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
                let (db, spec) = chain.open_existing_chain()?;
                for file in files {
                    let stats = import_file(&db, spec.clone(), &file)?;
                    println!("{}: {stats}", file.display());
                }
            }
            Command::DumpGenesis { chain } => {
                let (spec, _) = crate::node::resolve_chain(&chain, crate::dev::DEFAULT_MNEMONIC)?;
                let json = serde_json::to_string_pretty(&spec.genesis)
                    .expect("a genesis always serialises");
                println!("{json}");
            }
            Command::Migration { command } => println!("{}", migration(command)?),
            Command::Withdrawal { command } => {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                let json = runtime.block_on(crate::withdrawal::run(command))?;
                println!("{}", serde_json::to_string_pretty(&json).expect("JSON values serialise"));
            }
            Command::Export { chain, from, to, file } => {
                let (db, _) = chain.open_existing_chain()?;
                println!("{}", crate::export::export_file(&db, from, to, &file)?);
            }
            Command::DumpState { chain, block, output } => {
                let (db, _) = chain.open_existing_chain()?;
                let stats = crate::db::dump_state(&db, block, output.as_deref());
                let Some(stats) = crate::db::ignore_broken_pipe(stats)? else { return Ok(()) };
                // Stdout may be the dump itself: the summary goes to stderr.
                eprintln!(
                    "dumped the state after block #{} {} (state root {}): {} accounts, {} storage slots",
                    stats.number, stats.hash, stats.state_root, stats.accounts, stats.slots
                );
            }
            Command::Db { command } => crate::db::run(command)?,
        }
        Ok(())
    }
}

/// The output of a `phala-node migration` command.
fn migration(command: MigrationCommand) -> Result<String, NodeError> {
    use phala_genesis::migration::{Snapshot, claim_text};
    use phala_primitives::predeploys::MIGRATION_CLAIMS;
    let json = match command {
        MigrationCommand::Root { snapshot } => {
            let snapshot = Snapshot::read(&snapshot)?;
            serde_json::json!({
                "accounts": snapshot.entries.len(),
                "totalFree": snapshot.total_free().to_string(),
                "totalStaked": snapshot.total_staked().to_string(),
                "merkleRoot": snapshot.tree().root(),
            })
        }
        MigrationCommand::Proof { snapshot: path, account, recipient, chain_id } => {
            let snapshot = Snapshot::read(&path)?;
            let entry = snapshot.entry(account).ok_or_else(|| NodeError::Flag {
                flag: "--account",
                message: format!("{account} is not in {}", path.display()),
            })?;
            let tree = snapshot.tree();
            let mut json = serde_json::json!({
                "account": entry.account,
                "free": entry.free.to_string(),
                "staked": entry.staked.to_string(),
                "proof": tree.proof(entry.leaf()).expect("the entry is in the tree"),
                "merkleRoot": tree.root(),
                "claimsContract": MIGRATION_CLAIMS,
            });
            if let Some(recipient) = recipient {
                json["recipient"] = serde_json::json!(recipient);
                json["textToSign"] =
                    serde_json::json!(claim_text(recipient, chain_id, MIGRATION_CLAIMS));
            }
            json
        }
    };
    Ok(serde_json::to_string_pretty(&json).expect("JSON values serialise"))
}
