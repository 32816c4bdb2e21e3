//! The error type of the crate.

use crate::l1_info::L1InfoFormat;
use alloy_primitives::{Address, B256, FixedBytes, U256};

/// Why OP protocol data could not be decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProtocolError {
    /// The L1-info calldata is shorter than a function selector.
    #[error("L1-info calldata is {len} bytes, too short for a function selector")]
    L1InfoTooShort {
        /// Length of the calldata.
        len: usize,
    },
    /// The L1-info calldata starts with a selector no fork uses.
    #[error("unknown L1-info function selector {selector}")]
    UnknownL1InfoSelector {
        /// The first four bytes of the calldata.
        selector: FixedBytes<4>,
    },
    /// The L1-info calldata is not exactly as long as its format requires.
    #[error("{format} L1-info calldata must be {expected} bytes, got {len}")]
    L1InfoLength {
        /// The format named by the selector.
        format: L1InfoFormat,
        /// The length the format requires.
        expected: usize,
        /// The length found.
        len: usize,
    },
    /// A `uint64` argument of the ABI-encoded (Bedrock) L1-info call has non-zero high bytes.
    #[error("L1-info argument {field} does not fit in uint64")]
    L1InfoUint64Overflow {
        /// The argument's name.
        field: &'static str,
    },

    /// A `TransactionDeposited` log does not have the four topics of the event.
    #[error("TransactionDeposited log has {count} topics, expected 4")]
    DepositLogTopicCount {
        /// Number of topics in the log.
        count: usize,
    },
    /// The log's first topic is not the `TransactionDeposited` signature hash.
    #[error("log topic {topic} is not the TransactionDeposited event")]
    NotTransactionDeposited {
        /// The log's first topic.
        topic: B256,
    },
    /// The log data is not a whole number of words, or shorter than the `bytes` header.
    #[error("TransactionDeposited log data of {len} bytes is not an ABI-encoded bytes value")]
    DepositLogDataLength {
        /// Length of the log data.
        len: usize,
    },
    /// The ABI offset of `opaqueData` is not 32.
    #[error("TransactionDeposited opaqueData offset is {offset}, expected 32")]
    DepositOpaqueDataOffset {
        /// The offset word.
        offset: U256,
    },
    /// The ABI length of `opaqueData` exceeds the log data or leaves more than the padding.
    #[error(
        "TransactionDeposited opaqueData length {length} does not match the {available} bytes \
         after the header"
    )]
    DepositOpaqueDataLength {
        /// The length word.
        length: U256,
        /// Bytes present after the offset and length words.
        available: usize,
    },
    /// The event's version topic is not one this crate decodes.
    #[error("TransactionDeposited version {version} is not supported (only version 0)")]
    UnsupportedDepositVersion {
        /// The version topic.
        version: U256,
    },
    /// Version-0 opaque data shorter than mint, value, gas and isCreation (73 bytes).
    #[error("TransactionDeposited version-0 opaqueData is {len} bytes, at least 73 required")]
    DepositOpaqueDataTooShort {
        /// Length of the opaque data.
        len: usize,
    },
    /// The deposit mints more than a deposit transaction can carry (`u128`).
    #[error("deposit mint {mint} exceeds 2^128 - 1")]
    DepositMintTooLarge {
        /// The minted value.
        mint: U256,
    },

    /// The log was not emitted by the `L2ToL1MessagePasser` predeploy.
    #[error("log of {address} is not from the L2ToL1MessagePasser")]
    NotMessagePasserLog {
        /// The log's address.
        address: Address,
    },
    /// The log is not a well-formed `MessagePassed` event.
    #[error("malformed MessagePassed event: {0}")]
    MessagePassedAbi(#[from] alloy_sol_types::Error),
    /// The `withdrawalHash` the event states is not the hash of the withdrawal it describes.
    #[error("MessagePassed states withdrawal hash {stated}, but its fields hash to {computed}")]
    WithdrawalHashMismatch {
        /// The hash in the event.
        stated: B256,
        /// The hash of the event's withdrawal fields.
        computed: B256,
    },
}
