use alloy_primitives::B256;

/// Errors of block execution. A transaction-level error makes the whole block invalid.
#[derive(Debug, thiserror::Error)]
pub enum ExecutionError {
    /// A transaction or system call failed validation or execution.
    #[error(transparent)]
    Block(#[from] alloy_evm::block::BlockExecutionError),
    /// The signer of a transaction could not be recovered.
    #[error("transaction {index} ({hash}) has an invalid signature")]
    InvalidSignature {
        /// Position in the block.
        index: usize,
        /// Transaction hash.
        hash: B256,
    },
    /// A transaction type the fork does not allow.
    #[error("transaction {index} ({hash}) has type {tx_type}, which is not active at this block")]
    TxTypeNotActive {
        /// Position in the block.
        index: usize,
        /// Transaction hash.
        hash: B256,
        /// The EIP-2718 type.
        tx_type: u8,
    },
    /// Computing a pre-Byzantium receipt's state root failed.
    #[error("intermediate state root: {0}")]
    IntermediateRoot(phala_primitives::StateReadError),
}
