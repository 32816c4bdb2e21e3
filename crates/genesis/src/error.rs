use std::path::PathBuf;

/// Why a genesis could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not the JSON expected.
    #[error("{path}: {source}")]
    Json {
        /// The file (or `<inline>`).
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// An input value is invalid.
    #[error("genesis contracts: {0}")]
    Invalid(String),
    /// The migration snapshot is invalid.
    #[error("migration snapshot: {0}")]
    Snapshot(String),
    /// A constructor or set-up call failed.
    #[error("genesis contract {contract}: {reason}")]
    Execution {
        /// Which contract or call.
        contract: String,
        /// The revert, halt or EVM error.
        reason: String,
    },
    /// The resulting chain spec is invalid.
    #[error(transparent)]
    ChainSpec(#[from] phala_primitives::ChainSpecError),
}
