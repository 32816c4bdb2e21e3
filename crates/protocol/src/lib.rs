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
//! - [`ProtocolError`]: why data could not be decoded.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod deposit;
mod error;
pub mod l1_info;
pub mod withdrawal;

pub use deposit::{
    AfterForceIncludeSource, L1InfoDepositSource, TRANSACTION_DEPOSITED_TOPIC,
    UpgradeDepositSource, UserDepositSource, decode_transaction_deposited,
};
pub use error::ProtocolError;
pub use l1_info::{
    L1_BLOCK_ADDRESS, L1_INFO_DEPOSIT_GAS, L1_INFO_DEPOSIT_GAS_BEDROCK, L1_INFO_DEPOSITOR,
    L1BlockInfo, L1InfoFormat,
};
/// The OP fork identifier of op-revm, which the fork-dependent functions take.
pub use op_revm::OpSpecId;
pub use withdrawal::{
    L2_TO_L1_MESSAGE_PASSER_ADDRESS, MESSAGE_PASSED_TOPIC, Withdrawal, output_root_v0,
};
