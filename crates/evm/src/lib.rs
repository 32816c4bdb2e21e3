//! Block execution for phala-node.
//!
//! Key components:
//! - [`EvmConfig`]: the one execution seam. Environments and EVMs ([`PhalaEvm`], transaction
//!   [`PhalaTx`]) with the chain's rules — Ethereum L1 (revm) or OP Stack (op-revm: deposits,
//!   L1 data and operator fees, fee vaults) — for import, building, calls, tracing and simulation.
//! - [`BlockExecutor`]: executes a block's transactions on a [`StateReader`] through
//!   [`PhalaBlockExecutor`]: alloy-evm's Ethereum executor (system calls of EIP-4788 and EIP-2935,
//!   pre-merge block and ommer rewards, the DAO fork, withdrawals, EIP-6110/7002/7251 requests)
//!   or alloy-op-evm's OP executor (deposit receipts with nonce and version, the Canyon
//!   create2 deployer, Jovian's DA footprint).
//! - [`ExecutionOutcome`]: receipts, gas, requests and the [`StateChanges`] to persist.
//! - [`EvmSpec`]: the chain spec as alloy-evm sees it.
//! - [`PhalaEvmFactory`]: Ethereum's EVM plus the scheduled Phala precompiles (TDX attestation
//!   verifier, ed25519/sr25519, P256VERIFY on OP chains), as an alloy-evm `EvmFactory` (the
//!   genesis builder runs constructors on it).

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod block;
mod database;
mod error;
mod evm;
mod executor;
mod precompiles;
mod spec;
pub mod substrate;
mod tx;

pub use alloy_evm::block::BlockValidationError;
pub use block::{PhalaBlockExecutor, PhalaReceiptBuilder, PhalaTxResult};
pub use database::{CodeCache, StateDatabase};
pub use error::ExecutionError;
pub use evm::{EvmConfig, PhalaEvm, PhalaEvmError};
pub use executor::{
    BlockExecutor, ExecutionOutcome, IntermediateRoot, StrictSource, TransactionSource,
    blob_gas_of, evm_env_for_header, state_changes,
};
pub use precompiles::{PhalaEvmFactory, TDX_VERIFIER_ADDRESS, tdx_precompile, tdx_rules};
pub use spec::EvmSpec;
pub use tx::PhalaTx;

pub use alloy_op_evm::{
    OpEvmContext, OpTxError, spec_by_timestamp_after_bedrock as op_spec_at_timestamp,
};
pub use op_revm::{OpHaltReason, OpTransactionError};

pub use phala_primitives::{StateChanges, StateReader};
