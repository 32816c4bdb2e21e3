use alloy_primitives::{B256, Bloom};
use phala_storage::StorageError;

/// Why a block is invalid.
#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    /// The block could not be decoded.
    #[error("malformed block RLP: {0}")]
    Rlp(#[from] alloy_rlp::Error),
    /// The parent is not known.
    #[error("unknown parent {0}")]
    UnknownParent(B256),
    /// No block with this hash is stored.
    #[error("unknown block {0}")]
    UnknownBlock(B256),
    /// The block was executed on a head that is no longer the head.
    #[error("block was executed on {base}, but the head is now {head}")]
    StaleBase {
        /// The head it was executed on.
        base: B256,
        /// The head now.
        head: B256,
    },
    /// A header field is wrong.
    #[error("invalid header: {0}")]
    Header(String),
    /// The body does not match the header.
    #[error("invalid body: {0}")]
    Body(String),
    /// A transaction or system call failed.
    #[error("execution failed: {0}")]
    Execution(#[from] phala_evm::ExecutionError),
    /// Gas used differs from the header.
    #[error("gas used mismatch: header {header}, execution {computed}")]
    GasUsed {
        /// In the header.
        header: u64,
        /// Computed.
        computed: u64,
    },
    /// Receipts root differs from the header.
    #[error("receipts root mismatch: header {header}, computed {computed}")]
    ReceiptsRoot {
        /// In the header.
        header: B256,
        /// Computed.
        computed: B256,
    },
    /// Logs bloom differs from the header.
    #[error("logs bloom mismatch: header {header}, computed {computed}")]
    LogsBloom {
        /// In the header.
        header: Box<Bloom>,
        /// Computed.
        computed: Box<Bloom>,
    },
    /// Requests hash differs from the header.
    #[error("requests hash mismatch: header {header:?}, computed {computed:?}")]
    RequestsHash {
        /// In the header.
        header: Option<B256>,
        /// Computed.
        computed: Option<B256>,
    },
    /// State root differs from the header.
    #[error("state root mismatch: header {header}, computed {computed}")]
    StateRoot {
        /// In the header.
        header: B256,
        /// Computed.
        computed: B256,
    },
    /// Payload attributes the chain's rules cannot build from.
    #[error("invalid payload attributes: {0}")]
    InvalidAttributes(String),
    /// An OP block's withdrawals root (from Isthmus, the L2ToL1MessagePasser's storage root)
    /// differs from the header.
    #[error("withdrawals root mismatch: header {header:?}, computed {computed}")]
    WithdrawalsRoot {
        /// In the header.
        header: Option<B256>,
        /// Computed.
        computed: B256,
    },
    /// An OP block's blob gas used (from Jovian, its DA footprint) differs from the header.
    #[error("blob gas used mismatch: header {header:?}, execution {computed}")]
    BlobGasUsed {
        /// In the header.
        header: Option<u64>,
        /// Computed.
        computed: u64,
    },
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A block that could not be imported, named by number and hash.
#[derive(Debug, thiserror::Error)]
#[error("block #{number} ({hash}) rejected: {source}")]
pub struct ImportError {
    /// Block number (as the header claims).
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// The reason.
    #[source]
    pub source: BlockError,
}
