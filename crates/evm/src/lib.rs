//! Block execution for phala-node.
//!
//! Key components:
//! - [`BlockExecutor`]: executes a block's transactions on a [`StateReader`] with Ethereum L1
//!   rules (system calls of EIP-4788 and EIP-2935, pre-merge block and ommer rewards, the DAO
//!   fork, withdrawals, EIP-6110/7002/7251 requests), built on alloy-evm and revm.
//! - [`ExecutionOutcome`]: receipts, gas, requests and the [`StateChanges`] to persist.
//! - [`EvmSpec`]: the chain spec as alloy-evm sees it.
//! - [`PhalaEvmFactory`]: Ethereum's EVM plus the scheduled Phala precompiles (TDX attestation
//!   verifier, P256VERIFY on OP chains).

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod database;
mod error;
mod executor;
mod precompiles;
mod spec;
pub mod substrate;

pub use alloy_evm::block::BlockValidationError;
pub use database::StateDatabase;
pub use error::ExecutionError;
pub use executor::{
    BlockExecutor, ExecutionOutcome, IntermediateRoot, StrictSource, TransactionSource,
    blob_gas_of, evm_env_for_header, execution_ctx, state_changes,
};
pub use precompiles::{PhalaEvmFactory, TDX_VERIFIER_ADDRESS, tdx_precompile};
pub use spec::EvmSpec;

pub use phala_primitives::{StateChanges, StateReader};
