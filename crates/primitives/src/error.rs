/// Errors raised while loading or validating a chain specification.
#[derive(Debug, thiserror::Error)]
pub enum ChainSpecError {
    /// A Holocene or Jovian header's `extraData` is not an encoding of EIP-1559 parameters.
    #[error(
        "extraData of {length} bytes is not EIP-1559 parameters (version 0: 9 bytes, version 1: 17 bytes)"
    )]
    InvalidExtraData {
        /// Its length.
        length: usize,
    },
    /// The chain spec name is neither a known spec nor a file.
    #[error("unknown chain `{0}`: expected one of dev, or a path to a genesis.json")]
    UnknownChain(String),
    /// The merge configuration cannot be turned into a fork schedule.
    #[error(
        "genesis config sets terminalTotalDifficulty {0} but no mergeNetsplitBlock; the first post-merge block must be known"
    )]
    UnknownMergeBlock(alloy_primitives::U256),
    /// Hardforks are configured out of order.
    #[error("hardfork {later} is scheduled before {earlier}")]
    ForkOrder {
        /// The fork that must come first.
        earlier: String,
        /// The fork scheduled too early.
        later: String,
    },
    /// A genesis config field has a value of the wrong kind.
    #[error("genesis config field {field}: {message}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A state file is not a geth-style `alloc` (address → account).
    #[error("not a geth-style alloc (address → {{balance, nonce, code, storage}}): {0}")]
    InvalidAlloc(#[source] serde_json::Error),
}
