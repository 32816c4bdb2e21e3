//! Chain specification and block types for phala-node.
//!
//! Key components:
//! - [`ChainSpec`]: chain id, Ethereum hardforks by block number / total difficulty / timestamp, the
//!   OP hardforks of the L2 (alloy-op-hardforks' [`OpHardfork`], with the Ethereum forks they
//!   imply), blob schedule, base fee rules by fork (OP: Canyon's denominator, Holocene's and
//!   Jovian's [`Eip1559ExtraData`]) and the genesis allocation.
//! - [`PhalaTxEnvelope`] / [`PhalaReceiptEnvelope`]: one transaction and one receipt type for
//!   both rule sets — every Ethereum type and the OP deposit (`0x7E`): the block body, the pool,
//!   storage and RPC all carry them.
//! - [`predeploys`]: the fixed addresses of the genesis contracts.
//! - [`genesis`]: loading a geth-style `genesis.json` and building the genesis header.
//! - Re-exports of the alloy block, transaction and receipt types used across the workspace.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod chain_spec;
mod error;
pub mod genesis;
pub mod predeploys;
mod receipt;
pub mod state;
mod transaction;

pub use chain_spec::{
    ChainSpec, Eip1559ExtraData, OpBaseFeeConfig, PhalaHardfork, op_genesis_keys_through,
};
pub use error::ChainSpecError;
pub use receipt::PhalaReceiptEnvelope;
pub use state::{Account, AccountChange, StateChanges, StateOverlay, StateReadError, StateReader};
pub use transaction::{PhalaTxEnvelope, PhalaTxType, TxDeposit};

pub use alloy_consensus::{
    Block as AlloyBlock, BlockBody as AlloyBlockBody, Header, ReceiptEnvelope, TxEnvelope,
};
pub use alloy_hardforks::{EthereumHardfork, EthereumHardforks, ForkCondition};
pub use alloy_op_hardforks::{OpHardfork, OpHardforks};

/// A block of either rule set: Ethereum transactions and OP deposits.
pub type Block = AlloyBlock<PhalaTxEnvelope>;
/// The body of a [`Block`].
pub type BlockBody = AlloyBlockBody<PhalaTxEnvelope>;
