use std::path::PathBuf;

/// Errors of node commands.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The chain spec could not be loaded.
    #[error("--chain: {0}")]
    ChainSpec(#[from] phala_primitives::ChainSpecError),
    /// The genesis contracts could not be built.
    #[error("--chain: {0}")]
    Genesis(#[from] phala_genesis::GenesisError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] phala_storage::StorageError),
    /// A block failed to import.
    #[error(transparent)]
    Import(#[from] phala_chain::ImportError),
    /// Chain set-up failed.
    #[error(transparent)]
    Chain(#[from] phala_chain::BlockError),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The import file is not a sequence of RLP blocks.
    #[error("{path}: malformed RLP at byte offset {offset}: {source}")]
    MalformedFile {
        /// The file.
        path: PathBuf,
        /// Where the bad item starts.
        offset: usize,
        /// The RLP error.
        source: alloy_rlp::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `--datadir` holds no database, and the command does not create one.
    #[error(
        "--datadir {}: no database there (`phala-node init --datadir <DIR>` or `phala-node node` creates one)",
        path.display()
    )]
    NoDatabase {
        /// The data directory.
        path: PathBuf,
    },
    /// The `--dev.load-state` file is not a state dump.
    #[error("--dev.load-state {}: {source}", path.display())]
    StateFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: phala_primitives::ChainSpecError,
    },
    /// `db get` found no entry under the key.
    #[error("table {table} has no key {key}")]
    KeyNotFound {
        /// The table.
        table: phala_storage::Table,
        /// The key, hex.
        key: String,
    },
    /// A flag has a bad value.
    #[error("{flag}: {message}")]
    Flag {
        /// The flag, e.g. `--http.api`.
        flag: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The engine failed (loading a dev chain's records).
    #[error(transparent)]
    Engine(#[from] phala_engine::EngineError),
    /// A server could not start.
    #[error(transparent)]
    Server(#[from] phala_rpc::server::ServerError),
    /// The JWT secret could not be loaded.
    #[error("--authrpc.jwtsecret: {0}")]
    Jwt(#[from] phala_rpc::auth::JwtError),
    /// A withdrawal step failed (the portal's refusal, a missing output, …).
    #[error(transparent)]
    Withdrawal(Box<phala_l1::WithdrawalError>),
    /// The async runtime or a listener failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
