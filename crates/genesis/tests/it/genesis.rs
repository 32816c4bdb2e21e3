//! The genesis builder: deterministic output, spec files, and clear errors for bad inputs.

use crate::harness::{base_genesis, test_accounts};
use alloy_primitives::{Address, U256};
use phala_genesis::{
    GenesisContractsConfig, GenesisError, build_genesis, load_chain_spec_file,
    load_chain_spec_json, migration::sample_snapshot,
};
use phala_primitives::{ChainSpec, predeploys};
use std::path::{Path, PathBuf};

fn dev_like(
    edit: impl FnOnce(&mut GenesisContractsConfig),
) -> Result<alloy_genesis::Genesis, GenesisError> {
    let accounts = test_accounts(3);
    let mut config = GenesisContractsConfig::dev(&accounts);
    edit(&mut config);
    build_genesis(base_genesis(&accounts, 0), &config, &sample_snapshot())
}

fn hash(genesis: alloy_genesis::Genesis) -> alloy_primitives::B256 {
    ChainSpec::from_genesis(genesis).unwrap().genesis_hash()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn same_inputs_same_genesis_hash() {
    let first = dev_like(|_| {}).unwrap();
    let second = dev_like(|_| {}).unwrap();
    assert_eq!(serde_json::to_string(&first).unwrap(), serde_json::to_string(&second).unwrap());
    assert_eq!(hash(first.clone()), hash(second));
    // The dumped genesis loads back (as a plain genesis) to the same hash.
    let dumped = serde_json::to_string_pretty(&first).unwrap();
    let reloaded = load_chain_spec_json(&dumped, Path::new("dump.json")).unwrap();
    assert_eq!(hash(reloaded), hash(first.clone()));
    // Every predeploy has code and nonce 1; all but the claims (immutables only) have storage.
    for (name, address) in predeploys::ALL {
        let account = &first.alloc[&address];
        assert!(account.code.as_ref().is_some_and(|code| !code.is_empty()), "{name}");
        assert_eq!(account.nonce, Some(1), "{name}");
        let has_storage = account.storage.as_ref().is_some_and(|s| !s.is_empty());
        assert_eq!(has_storage, address != predeploys::MIGRATION_CLAIMS, "{name}");
    }
    assert!(!first.alloc.contains_key(&predeploys::GENESIS_DEPLOYER));
    // Another input, another hash.
    let other = dev_like(|config| config.rewards_budget += 1).unwrap();
    assert_ne!(hash(other), hash(first));
}

#[test]
fn testnet_spec_file_builds_deterministically() {
    let path = repo().join("chainspec/testnet.json");
    let first = load_chain_spec_file(&path).unwrap();
    let second = load_chain_spec_file(&path).unwrap();
    assert_eq!(hash(first.clone()), hash(second));
    for (_, address) in predeploys::ALL {
        assert!(first.alloc.contains_key(&address));
    }
    let spec = ChainSpec::from_genesis(first).unwrap();
    assert!(spec.is_tdx_attestation_active_at_timestamp(spec.genesis.timestamp));
}

#[test]
fn bad_inputs_are_clear_errors() {
    let error = dev_like(|config| config.rewards_budget = 2_000_000_000).unwrap_err().to_string();
    assert!(error.contains("more than the supply"), "{error}");
    let error = dev_like(|config| config.governance.quorum_percent = 101).unwrap_err().to_string();
    assert!(error.contains("quorumPercent"), "{error}");
    let error = dev_like(|config| {
        let first = config.allocations[0].clone();
        config.allocations.push(first);
    })
    .unwrap_err()
    .to_string();
    assert!(error.contains("listed twice"), "{error}");
    let error = dev_like(|config| config.allocations[0].address = predeploys::STAKED_PHA)
        .unwrap_err()
        .to_string();
    assert!(error.contains("reserved address"), "{error}");
    let error = dev_like(|config| config.vault.max_locked_assets = 10).unwrap_err().to_string();
    assert!(error.contains("vPHA.deposit") && error.contains("reverted"), "{error}");

    // A predeploy address already in the base alloc.
    let accounts = test_accounts(1);
    let mut base = base_genesis(&accounts, 0);
    base.alloc.insert(predeploys::PHA_TOKEN, Default::default());
    let error = build_genesis(base, &GenesisContractsConfig::dev(&accounts), &sample_snapshot())
        .unwrap_err()
        .to_string();
    assert!(error.contains("predeploy address"), "{error}");

    // Spec files: unknown keys, a missing snapshot file.
    let spec = std::fs::read_to_string(repo().join("chainspec/testnet.json")).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&spec).unwrap();
    value["genesisContracts"]["rewardBudget"] = 1.into();
    let origin = repo().join("chainspec/testnet.json");
    let error = load_chain_spec_json(&value.to_string(), &origin).unwrap_err().to_string();
    assert!(error.contains("rewardBudget"), "{error}");
    let mut value: serde_json::Value = serde_json::from_str(&spec).unwrap();
    value["genesisContracts"]["migrationSnapshot"] = "nope.json".into();
    let error = load_chain_spec_json(&value.to_string(), &origin).unwrap_err().to_string();
    assert!(error.contains("nope.json"), "{error}");
}

#[test]
fn treasury_gets_the_rest_of_the_supply() {
    let genesis = dev_like(|_| {}).unwrap();
    let chain = crate::harness::Chain::from_genesis(genesis, test_accounts(3), 3);
    use phala_genesis::bindings::PhalaToken;
    let snapshot = sample_snapshot();
    let balance = |who: Address| -> U256 {
        chain.view(predeploys::PHA_TOKEN, PhalaToken::balanceOfCall { account: who })
    };
    let pha = phala_genesis::pha;
    // Claims hold the snapshot's free PHA; the vault holds the rewards budget and every genesis
    // stake (allocations, the snapshot's staked PHA, the burnt first PHA).
    assert_eq!(balance(predeploys::MIGRATION_CLAIMS), snapshot.total_free());
    assert_eq!(
        balance(predeploys::STAKED_PHA),
        pha(100_000_000) + pha(3_000_000) + snapshot.total_staked() + pha(1)
    );
    let rest = pha(1_000_000_000)
        - snapshot.total_free()
        - snapshot.total_staked()
        - pha(1)
        - pha(100_000_000)
        - pha(6_000_000);
    assert_eq!(balance(predeploys::TIMELOCK), rest);
}
