use alloy_primitives::Address;
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
    /// The OP predeploys were asked for on a genesis without OP forks.
    #[error(
        "the genesis is not an OP chain (its config has no bedrockBlock), so it gets no OP predeploys"
    )]
    NotAnOpChain,
    /// `genesisContracts.opPredeploys` is set on a chain spec without OP forks.
    #[error(
        "genesisContracts.opPredeploys is set, but the chain spec has no OP forks (no bedrockBlock)"
    )]
    OpPredeploysWithoutOpForks,
    /// An OP predeploy input is invalid.
    #[error("opPredeploys.{field}: {reason}")]
    InvalidOpPredeploy {
        /// The field, as the spec file names it (e.g. `baseFeeVault.recipient`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The base alloc already has an account where an OP predeploy or preinstall goes.
    #[error("alloc already has an account at {address}, where the OP {name} goes")]
    OpAllocConflict {
        /// What goes there.
        name: String,
        /// The address.
        address: Address,
    },
    /// The resulting chain spec is invalid.
    #[error(transparent)]
    ChainSpec(#[from] phala_primitives::ChainSpecError),
}
