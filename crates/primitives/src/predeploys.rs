//! Fixed addresses of the genesis contracts (predeploys).
//!
//! They share the prefix `0x504841` ("PHA") and sit outside the Ethereum precompile range, the
//! RIP range and the OP Stack's `0x4200…` predeploys. The Phala precompiles (TDX attestation,
//! ed25519 and sr25519 verification) are at `0x544458`–`0x54445a`.

use alloy_primitives::{Address, address};

/// The account that runs the genesis constructors. It is not part of any genesis state.
pub const GENESIS_DEPLOYER: Address = address!("0x5048410000000000000000000000000000000000");
/// The PHA ERC-20 token.
pub const PHA_TOKEN: Address = address!("0x5048410000000000000000000000000000000001");
/// The vPHA staking vault (ERC-4626 over PHA, with votes).
pub const STAKED_PHA: Address = address!("0x5048410000000000000000000000000000000002");
/// The governance timelock: owner of every parameter, and the treasury.
pub const TIMELOCK: Address = address!("0x5048410000000000000000000000000000000003");
/// The governor (proposals voted with vPHA).
pub const GOVERNOR: Address = address!("0x5048410000000000000000000000000000000004");
/// The TDX worker registry (ERC-721 worker tokens).
pub const WORKER_REGISTRY: Address = address!("0x5048410000000000000000000000000000000005");
/// The compute stake pools.
pub const STAKE_POOLS: Address = address!("0x5048410000000000000000000000000000000006");
/// The parachain migration claims.
pub const MIGRATION_CLAIMS: Address = address!("0x5048410000000000000000000000000000000007");

/// Holder of the vault shares of the 1 PHA staked at genesis so that the vault is never nearly
/// empty (the ERC-4626 first-depositor defence). Nobody has its key.
pub const BURN_ADDRESS: Address = address!("0x000000000000000000000000000000000000dEaD");

/// Every predeploy with its contract name, in deployment order.
pub const ALL: [(&str, Address); 7] = [
    ("PhalaToken", PHA_TOKEN),
    ("StakedPhala", STAKED_PHA),
    ("PhalaTimelock", TIMELOCK),
    ("PhalaGovernor", GOVERNOR),
    ("WorkerRegistry", WORKER_REGISTRY),
    ("StakePools", STAKE_POOLS),
    ("MigrationClaims", MIGRATION_CLAIMS),
];

/// The OP Stack's L2ToL1MessagePasser predeploy; from Isthmus an OP block's `withdrawalsRoot` is
/// its storage root.
pub const L2_TO_L1_MESSAGE_PASSER: Address =
    alloy_primitives::address!("0x4200000000000000000000000000000000000016");

/// The OP Stack's SequencerFeeVault predeploy: an OP block's fee recipient (priority fees).
pub const SEQUENCER_FEE_VAULT: Address =
    alloy_primitives::address!("0x4200000000000000000000000000000000000011");

/// The OP Stack's BaseFeeVault predeploy: receives the base fee (not burnt on an OP chain).
pub const BASE_FEE_VAULT: Address =
    alloy_primitives::address!("0x4200000000000000000000000000000000000019");

/// The OP Stack's L1FeeVault predeploy: receives the L1 data fee.
pub const L1_FEE_VAULT: Address =
    alloy_primitives::address!("0x420000000000000000000000000000000000001A");
