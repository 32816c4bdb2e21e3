//! OP Stack protocol encodings for phala-node: pure and deterministic, no I/O.
//!
//! Key components:
//! - [`L1BlockInfo`] and [`L1InfoFormat`]: the L1-attributes deposit calldata of the `L1Block`
//!   predeploy in every layout (Bedrock, Ecotone, Isthmus, Jovian), decoded and encoded, and the
//!   L1-info deposit transaction itself ([`L1BlockInfo::deposit_tx`]).
//! - [`deposit`]: deposit source hashes of every domain ([`AfterForceIncludeSource`] next to
//!   op-alloy's) and the user deposits of the portal's `TransactionDeposited` logs
//!   ([`decode_transaction_deposited`]).
//! - [`Withdrawal`]: the `MessagePassed` event of the `L2ToL1MessagePasser`, the withdrawal hash,
//!   and the version-0 output root ([`output_root_v0`]).
//! - [`l1_fee_receipt_fields`], [`l1_data_fee`], [`operator_fee`]: the L1 data fee and operator
//!   fee by fork, computed by op-revm's [`op_revm::L1BlockInfo`] (built with
//!   [`L1BlockInfo::to_op_revm`]), the code the executor charges with.
//! - [`batch`]: the derivation's batch data — frames of batcher transactions, channels and their
//!   zlib/brotli compression, singular and span batches (with a span's transactions rebuilt),
//!   and [`batch::BatchError`].
//! - [`derive`]: the derivation pipeline, pure: the L1 system config, the payload attributes
//!   builder the sequencer and verifier share, the sequencer's origin choice, and the Holocene
//!   pipeline from L1 blocks to the attributes of the next safe block.
//! - [`rollup::RollupConfig`]: op-node's `rollup.json` (and kona's variant of it).
//! - [`ProtocolError`]: why data could not be decoded.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod batch;
pub mod deposit;
pub mod derive;
mod error;
pub mod l1_fee;
pub mod l1_info;
pub mod rollup;
pub mod withdrawal;

pub use deposit::{
    AfterForceIncludeSource, L1InfoDepositSource, TRANSACTION_DEPOSITED_TOPIC,
    UpgradeDepositSource, UserDepositSource, decode_transaction_deposited,
};
pub use error::ProtocolError;
pub use l1_fee::{
    L1FeeReceiptFields, estimated_compressed_size, l1_data_fee, l1_data_gas, l1_fee_receipt_fields,
    operator_fee,
};
pub use l1_info::{
    L1_BLOCK_ADDRESS, L1_INFO_DEPOSIT_GAS, L1_INFO_DEPOSIT_GAS_BEDROCK, L1_INFO_DEPOSITOR,
    L1BlockInfo, L1InfoFormat,
};
/// op-revm, whose `L1BlockInfo` and `OpSpecId` this crate's fee functions take.
pub use op_revm;
/// The OP fork identifier of op-revm, which the fork-dependent functions take.
pub use op_revm::OpSpecId;
pub use withdrawal::{
    L2_TO_L1_MESSAGE_PASSER_ADDRESS, MESSAGE_PASSED_TOPIC, Withdrawal, output_root_v0,
};
