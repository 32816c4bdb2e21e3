//! The genesis builder of phala-node: the genesis contracts in every chain's genesis state.
//!
//! Key components:
//! - [`GenesisContractsConfig`]: the inputs (token allocation, vault, governance, registry and
//!   pool parameters, the migration snapshot), read from a chain spec's `genesisContracts` key.
//! - [`build_genesis`]: runs each contract's constructor on our EVM at its fixed address (see
//!   [`phala_primitives::predeploys`]) and returns the full genesis with code and storage. The
//!   constructors really run, so immutables (OpenZeppelin's EIP-712 domain, token addresses)
//!   are set as a deployment would set them.
//! - [`op`]: the OP Stack predeploys and preinstalls, added to every OP chain's genesis by
//!   [`build_genesis`] (or directly with [`add_op_predeploys`]): OP's contracts from the pinned
//!   npm package `@eth-optimism/contracts-bedrock`, ours where that release predates our forks,
//!   configured by [`OpPredeployConfig`] (`genesisContracts.opPredeploys`).
//! - [`load_chain_spec_file`]: a chain spec file, built if it has `genesisContracts`.
//! - [`migration`]: the parachain snapshot, its 12 → 18 decimal scaling, the Merkle tree and
//!   proofs, and the text a holder signs to claim.
//! - [`bindings`]: `sol!` bindings of the genesis contracts.
//! - [`artifacts`]: the committed compiler output of `contracts/`.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod artifacts;
pub mod bindings;
mod builder;
mod config;
mod error;
mod evm;
pub mod migration;
pub mod op;

pub use builder::{
    BURNT_STAKE, GENESIS_CONTRACTS_KEY, build_genesis, gpu_class, load_chain_spec_file,
    load_chain_spec_json,
};
pub use config::{
    Allocation, GenesisContractsConfig, GovernanceConfig, PoolsConfig, RegistryConfig, VaultConfig,
    pha,
};
pub use error::GenesisError;
pub use op::{OpPredeployConfig, add_op_predeploys};
