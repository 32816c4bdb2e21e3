//! The `--dev` chain: chain id 1337, an OP Stack L2 with every OP fork our EVM runs (Bedrock
//! through Jovian, which imply Shanghai, Cancun and Prague) from genesis, the OP predeploys and
//! preinstalls, accounts derived from
//! a mnemonic (by default the "test test … junk" one of anvil and reth) prefunded with
//! 10,000 ETH, 1,000,000 PHA and 1,000,000 vPHA each, and every genesis contract (the migration
//! claims hold the sample snapshot of `genesis/migration`).

use crate::NodeError;
use alloy_eips::{eip2935, eip4788};
use alloy_genesis::{ChainConfig, Genesis, GenesisAccount};
use alloy_primitives::{Address, U256};
use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner};
use phala_genesis::{
    GenesisContractsConfig, GenesisError, build_genesis, migration::sample_snapshot,
};
use phala_primitives::{ChainSpec, OpHardfork, PhalaHardfork, op_genesis_keys_through};
use std::collections::BTreeMap;

/// The well-known development mnemonic.
pub const DEFAULT_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// How many accounts the dev chain funds and signs for.
pub const DEV_ACCOUNTS: u32 = 20;

/// Chain id of the dev chain.
pub const DEV_CHAIN_ID: u64 = 1337;

/// Balance of each dev account: 10,000 ETH.
pub fn dev_balance() -> U256 {
    U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64))
}

/// The first [`DEV_ACCOUNTS`] signers of `mnemonic` on the path `m/44'/60'/0'/0/i`.
pub fn dev_signers(mnemonic: &str) -> Result<Vec<PrivateKeySigner>, String> {
    (0..DEV_ACCOUNTS)
        .map(|index| {
            MnemonicBuilder::from_phrase(mnemonic)
                .index(index)
                .and_then(|builder| builder.build())
                .map_err(|err| format!("invalid --dev.mnemonic: {err}"))
        })
        .collect()
}

/// The dev genesis before the genesis contracts: every Ethereum fork to Prague and every OP
/// fork to Jovian at 0, 30M gas limit, 1 gwei initial base fee, the EIP-4788 and EIP-2935
/// system contracts, and `accounts` funded with ETH. (An OP chain processes no EIP-7685
/// requests, so the EIP-7002/7251 contracts are not there.)
pub fn dev_base_genesis(accounts: &[Address]) -> Genesis {
    let config = ChainConfig {
        chain_id: DEV_CHAIN_ID,
        homestead_block: Some(0),
        eip150_block: Some(0),
        eip155_block: Some(0),
        eip158_block: Some(0),
        byzantium_block: Some(0),
        constantinople_block: Some(0),
        petersburg_block: Some(0),
        istanbul_block: Some(0),
        muir_glacier_block: Some(0),
        berlin_block: Some(0),
        london_block: Some(0),
        arrow_glacier_block: Some(0),
        gray_glacier_block: Some(0),
        merge_netsplit_block: Some(0),
        terminal_total_difficulty: Some(U256::ZERO),
        terminal_total_difficulty_passed: true,
        shanghai_time: Some(0),
        cancun_time: Some(0),
        prague_time: Some(0),
        blob_schedule: default_blob_schedule(),
        ..Default::default()
    };
    let mut config = config;
    // Every Phala hardfork (TDX attestation, Substrate signatures, TDX repricing) and every OP
    // hardfork the EVM runs from genesis.
    let op_forks = op_genesis_keys_through(OpHardfork::Jovian);
    for key in PhalaHardfork::ALL.iter().map(|fork| fork.genesis_key()).chain(op_forks) {
        config.extra_fields.insert_value(key.to_string(), 0u64).expect("a number serialises");
    }
    let mut alloc: BTreeMap<Address, GenesisAccount> = accounts
        .iter()
        .map(|address| (*address, GenesisAccount::default().with_balance(dev_balance())))
        .collect();
    for (address, code) in [
        (eip4788::BEACON_ROOTS_ADDRESS, &eip4788::BEACON_ROOTS_CODE),
        (eip2935::HISTORY_STORAGE_ADDRESS, &eip2935::HISTORY_STORAGE_CODE),
    ] {
        alloc.insert(
            address,
            GenesisAccount::default().with_nonce(Some(1)).with_code(Some(code.clone())),
        );
    }
    Genesis {
        config,
        nonce: 0,
        timestamp: 0,
        extra_data: Default::default(),
        gas_limit: 30_000_000,
        difficulty: U256::ZERO,
        mix_hash: Default::default(),
        coinbase: Address::ZERO,
        alloc,
        base_fee_per_gas: Some(1_000_000_000),
        excess_blob_gas: Some(0),
        blob_gas_used: Some(0),
        number: Some(0),
        parent_hash: None,
        slot_number: None,
    }
}

fn default_blob_schedule() -> BTreeMap<String, alloy_eips::eip7840::BlobParams> {
    use alloy_eips::eip7840::BlobParams;
    BTreeMap::from([
        ("cancun".to_string(), BlobParams::cancun()),
        ("prague".to_string(), BlobParams::prague()),
    ])
}

/// The full dev genesis: [`dev_base_genesis`] with the genesis contracts, `accounts` holding
/// PHA and vPHA, and the sample migration snapshot.
pub fn dev_genesis(accounts: &[Address]) -> Result<Genesis, GenesisError> {
    build_genesis(
        dev_base_genesis(accounts),
        &GenesisContractsConfig::dev(accounts),
        &sample_snapshot(),
    )
}

/// The dev chain spec for `mnemonic`, with its signers.
pub fn dev_chain(mnemonic: &str) -> Result<(ChainSpec, Vec<PrivateKeySigner>), NodeError> {
    let signers = dev_signers(mnemonic)
        .map_err(|message| NodeError::Flag { flag: "--dev.mnemonic", message })?;
    let addresses: Vec<Address> = signers.iter().map(|signer| signer.address()).collect();
    let spec = ChainSpec::from_genesis(dev_genesis(&addresses)?)?;
    Ok((spec, signers))
}

/// The dev chain with its allocation replaced by `alloc`, a state dump (`phala-node dump-state`):
/// the dev chain's config, forks, gas limit and base fee, and the dumped accounts as the whole
/// genesis state. The dump already holds every predeploy and genesis contract as the dumped
/// chain left them, so none is built again (building them would overwrite their state); the
/// genesis state root is the dumped block's. The mnemonic still names the signers.
pub fn dev_chain_with_alloc(
    mnemonic: &str,
    alloc: BTreeMap<Address, GenesisAccount>,
) -> Result<(ChainSpec, Vec<PrivateKeySigner>), NodeError> {
    let signers = dev_signers(mnemonic)
        .map_err(|message| NodeError::Flag { flag: "--dev.mnemonic", message })?;
    let genesis = Genesis { alloc, ..dev_base_genesis(&[]) };
    Ok((ChainSpec::from_genesis(genesis)?, signers))
}

/// Reads a `--dev.load-state` file: a geth-style `alloc` as `phala-node dump-state` writes it.
pub fn read_state_file(
    path: &std::path::Path,
) -> Result<BTreeMap<Address, GenesisAccount>, NodeError> {
    let bytes = std::fs::read(path).map_err(|err| NodeError::Flag {
        flag: "--dev.load-state",
        message: format!("cannot read {}: {err}", path.display()),
    })?;
    phala_primitives::genesis::parse_alloc(&bytes)
        .map_err(|source| NodeError::StateFile { path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn default_mnemonic_gives_the_anvil_accounts() {
        let signers = dev_signers(DEFAULT_MNEMONIC).unwrap();
        assert_eq!(signers.len(), 20);
        assert_eq!(signers[0].address(), address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
        assert_eq!(signers[1].address(), address!("70997970C51812dc3A010C7d01b50e0d17dc79C8"));
        assert_eq!(signers[9].address(), address!("a0Ee7A142d267C1f36714E4a8F75612F20a79720"));
    }

    #[test]
    fn dev_spec_survives_a_json_round_trip() {
        let (spec, _) = dev_chain(DEFAULT_MNEMONIC).unwrap();
        assert_eq!(spec.chain_id, 1337);
        let json = serde_json::to_vec(&spec.genesis).unwrap();
        let again = ChainSpec::from_genesis(serde_json::from_slice(&json).unwrap()).unwrap();
        assert_eq!(again.genesis_hash(), spec.genesis_hash());
        use phala_primitives::{EthereumHardforks, OpHardforks};
        assert!(again.is_optimism());
        assert!(again.is_jovian_active_at_timestamp(0));
        assert!(again.is_prague_active_at_timestamp(0));
        assert!(!again.is_osaka_active_at_timestamp(0), "OP's forks imply Prague, not Osaka");
        assert!(again.is_tdx_attestation_active_at_timestamp(0));
    }

    /// The dev genesis dumped and loaded again is the dev genesis: same state root, same hash.
    #[test]
    fn a_dump_of_the_dev_genesis_loads_as_the_dev_genesis() {
        let (spec, _) = dev_chain(DEFAULT_MNEMONIC).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let db = phala_storage::Database::open(dir.path()).unwrap();
        phala_chain::init_genesis(&db, &spec).unwrap();
        let mut dump = Vec::new();
        let stats = phala_storage::dump_alloc(&db, Some(0), &mut dump).unwrap();
        assert_eq!(stats.state_root, spec.genesis_header.state_root);
        let alloc = phala_primitives::genesis::parse_alloc(&dump).unwrap();
        assert_eq!(alloc.len() as u64, stats.accounts);
        let (loaded, signers) = dev_chain_with_alloc(DEFAULT_MNEMONIC, alloc).unwrap();
        assert_eq!(loaded.genesis_hash(), spec.genesis_hash());
        assert_eq!(signers.len(), DEV_ACCOUNTS as usize);
    }

    #[test]
    fn bad_mnemonic_is_an_error() {
        assert!(dev_signers("not a mnemonic").unwrap_err().contains("invalid --dev.mnemonic"));
        assert!(dev_chain("not a mnemonic").unwrap_err().to_string().starts_with("--dev.mnemonic"));
    }
}
