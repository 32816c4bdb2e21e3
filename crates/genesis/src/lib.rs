//! The genesis builder of phala-node: the genesis contracts in every chain's genesis state.
//!
//! Key components:
//! - [`GenesisContractsConfig`]: the inputs (token allocation, vault, governance, registry and
//!   pool parameters, the migration snapshot), read from a chain spec's `genesisContracts` key.
//! - [`build_genesis`]: runs each contract's constructor on our EVM at its fixed address (see
//!   [`phala_primitives::predeploys`]) and returns the full genesis with code and storage. The
//!   constructors really run, so immutables (OpenZeppelin's EIP-712 domain, token addresses)
//!   are set as a deployment would set them.
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
pub mod migration;

pub use builder::{
    BURNT_STAKE, GENESIS_CONTRACTS_KEY, build_genesis, gpu_class, load_chain_spec_file,
    load_chain_spec_json,
};
pub use config::{
    Allocation, GenesisContractsConfig, GovernanceConfig, PoolsConfig, RegistryConfig, VaultConfig,
    pha,
};
pub use error::GenesisError;
