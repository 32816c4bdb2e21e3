//! Errors returned by the pool.
//!
//! The `Display` text of each variant is the message geth returns for the same condition, because
//! the RPC layer forwards it verbatim as the JSON-RPC error message (code -32000).

use alloy_primitives::{Address, U256};

/// Why a transaction was not admitted to the pool (or a state read failed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The transaction type is not enabled by the active fork (or by the chain).
    #[error("transaction type not supported")]
    TxTypeNotSupported,
    /// The transaction is signed for a different chain.
    #[error("invalid chain id")]
    InvalidChainId,
    /// The encoded transaction is larger than the pool accepts.
    #[error("oversized data")]
    OversizedData,
    /// The gas limit is above the block gas limit.
    #[error("exceeds block gas limit")]
    ExceedsBlockGasLimit,
    /// EIP-7825 (Osaka): the gas limit is above the per-transaction cap.
    #[error("transaction gas limit too high (cap: {cap}, tx: {gas})")]
    GasLimitTooHigh {
        /// The per-transaction gas cap.
        cap: u64,
        /// The transaction's gas limit.
        gas: u64,
    },
    /// The priority fee is above the fee cap.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    /// EIP-3860 (Shanghai): the init code of a create transaction is too large.
    #[error("max initcode size exceeded: code size {size}, limit {limit}")]
    MaxInitCodeSizeExceeded {
        /// Length of the init code.
        size: usize,
        /// The init code limit.
        limit: usize,
    },
    /// The gas limit does not cover the intrinsic gas.
    #[error("intrinsic gas too low: have {have}, want {want}")]
    IntrinsicGasTooLow {
        /// The transaction's gas limit.
        have: u64,
        /// The intrinsic gas.
        want: u64,
    },
    /// EIP-7623 (Prague): the gas limit does not cover the calldata floor cost.
    #[error("insufficient gas for floor data gas cost: have {have}, want {want}")]
    FloorDataGas {
        /// The transaction's gas limit.
        have: u64,
        /// The floor data gas.
        want: u64,
    },
    /// A blob transaction without blobs.
    #[error("blobless blob transaction")]
    BloblessBlobTransaction,
    /// An EIP-7702 transaction without authorizations.
    #[error("EIP-7702 transaction with empty auth list")]
    EmptyAuthList,
    /// The priority fee is below the pool's minimum.
    #[error("transaction underpriced")]
    Underpriced,
    /// EIP-2681: the nonce cannot be incremented.
    #[error("nonce has max value: address {address}, nonce: {nonce}")]
    NonceMax {
        /// The sender.
        address: Address,
        /// The transaction nonce.
        nonce: u64,
    },
    /// The nonce is below the sender's account nonce.
    #[error("nonce too low: address {address}, tx: {tx} state: {state}")]
    NonceTooLow {
        /// The sender.
        address: Address,
        /// The transaction nonce.
        tx: u64,
        /// The account nonce in the latest state.
        state: u64,
    },
    /// The sender cannot pay for this transaction (after its lower-nonce pool transactions).
    #[error(
        "insufficient funds for gas * price + value: address {address} have {have} want {want}"
    )]
    InsufficientFunds {
        /// The sender.
        address: Address,
        /// The sender's balance.
        have: U256,
        /// What the sender needs.
        want: U256,
    },
    /// The transaction is already in the pool.
    #[error("already known")]
    AlreadyKnown,
    /// A transaction with the same sender and nonce is in the pool and the new one does not pay
    /// enough more to replace it.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// The sender already has the maximum number of transactions in the pool.
    #[error("account limit exceeded")]
    AccountLimitExceeded,
    /// The pool is full and the transaction pays less than everything that could be evicted.
    #[error("txpool is full")]
    TxPoolFull,
    /// Reading the account state failed.
    #[error("state error: {0}")]
    State(String),
}

impl PoolError {
    /// A short, fixed name of the condition (the `reason` label of the rejection counter).
    pub const fn reason(&self) -> &'static str {
        match self {
            Self::TxTypeNotSupported => "tx_type_not_supported",
            Self::InvalidChainId => "invalid_chain_id",
            Self::OversizedData => "oversized_data",
            Self::ExceedsBlockGasLimit => "exceeds_block_gas_limit",
            Self::GasLimitTooHigh { .. } => "gas_limit_too_high",
            Self::TipAboveFeeCap => "tip_above_fee_cap",
            Self::MaxInitCodeSizeExceeded { .. } => "max_initcode_size_exceeded",
            Self::IntrinsicGasTooLow { .. } => "intrinsic_gas_too_low",
            Self::FloorDataGas { .. } => "floor_data_gas",
            Self::BloblessBlobTransaction => "blobless_blob_transaction",
            Self::EmptyAuthList => "empty_auth_list",
            Self::Underpriced => "underpriced",
            Self::NonceMax { .. } => "nonce_max",
            Self::NonceTooLow { .. } => "nonce_too_low",
            Self::InsufficientFunds { .. } => "insufficient_funds",
            Self::AlreadyKnown => "already_known",
            Self::ReplacementUnderpriced => "replacement_underpriced",
            Self::AccountLimitExceeded => "account_limit_exceeded",
            Self::TxPoolFull => "txpool_full",
            Self::State(_) => "state_error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn messages_match_geth() {
        let address = address!("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
        let cases = [
            (PoolError::TxTypeNotSupported, "transaction type not supported"),
            (PoolError::InvalidChainId, "invalid chain id"),
            (PoolError::OversizedData, "oversized data"),
            (PoolError::ExceedsBlockGasLimit, "exceeds block gas limit"),
            (
                PoolError::GasLimitTooHigh { cap: 16_777_216, gas: 16_777_217 },
                "transaction gas limit too high (cap: 16777216, tx: 16777217)",
            ),
            (PoolError::TipAboveFeeCap, "max priority fee per gas higher than max fee per gas"),
            (
                PoolError::MaxInitCodeSizeExceeded { size: 49_153, limit: 49_152 },
                "max initcode size exceeded: code size 49153, limit 49152",
            ),
            (
                PoolError::IntrinsicGasTooLow { have: 21_000, want: 21_016 },
                "intrinsic gas too low: have 21000, want 21016",
            ),
            (
                PoolError::FloorDataGas { have: 21_016, want: 21_040 },
                "insufficient gas for floor data gas cost: have 21016, want 21040",
            ),
            (PoolError::BloblessBlobTransaction, "blobless blob transaction"),
            (PoolError::EmptyAuthList, "EIP-7702 transaction with empty auth list"),
            (PoolError::Underpriced, "transaction underpriced"),
            (
                PoolError::NonceTooLow { address, tx: 1, state: 2 },
                "nonce too low: address 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed, tx: 1 state: 2",
            ),
            (
                PoolError::InsufficientFunds { address, have: U256::from(5), want: U256::from(7) },
                "insufficient funds for gas * price + value: address \
                 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed have 5 want 7",
            ),
            (PoolError::AlreadyKnown, "already known"),
            (PoolError::ReplacementUnderpriced, "replacement transaction underpriced"),
            (PoolError::AccountLimitExceeded, "account limit exceeded"),
            (PoolError::TxPoolFull, "txpool is full"),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
    }
}
