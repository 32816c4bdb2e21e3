//! Builds the genesis contracts into a chain's genesis: their constructors run in deployment
//! order on [`GenesisEvm`] at their fixed addresses, and on an OP chain the OP Stack predeploys
//! and preinstalls go in first ([`crate::op::add_op_predeploys`]).

use crate::{
    GenesisContractsConfig, GenesisError, bindings::*, config::pha, evm::GenesisEvm,
    migration::Snapshot, op,
};
use alloy_genesis::Genesis;
use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use phala_primitives::{
    ChainSpec,
    predeploys::{
        BURN_ADDRESS, GENESIS_DEPLOYER, GOVERNOR, MIGRATION_CLAIMS, PHA_TOKEN, STAKE_POOLS,
        STAKED_PHA, TIMELOCK, WORKER_REGISTRY,
    },
};
use std::path::Path;

/// The key of a chain spec file that holds the genesis contracts' inputs.
pub const GENESIS_CONTRACTS_KEY: &str = "genesisContracts";

/// PHA staked at genesis for [`BURN_ADDRESS`], so the vault is never nearly empty.
pub const BURNT_STAKE: u64 = 1;

/// `base` with the genesis contracts added: on an OP chain (a config with OP fork keys) first
/// the OP predeploys and preinstalls (configured by `contracts.op_predeploys`, else
/// [`op::OpPredeployConfig::default`]), then the constructors in deployment order, then the
/// vault deposits of the allocations' staked PHA. `snapshot` is the migration snapshot.
pub fn build_genesis(
    base: Genesis,
    contracts: &GenesisContractsConfig,
    snapshot: &Snapshot,
) -> Result<Genesis, GenesisError> {
    contracts.validate()?;
    let mut base = base;
    if ChainSpec::from_genesis(base.clone())?.is_optimism() {
        let config = contracts.op_predeploys.clone().unwrap_or_default();
        op::add_op_predeploys(&mut base, &config)?;
    } else if contracts.op_predeploys.is_some() {
        return Err(GenesisError::OpPredeploysWithoutOpForks);
    }
    for (_, address) in phala_primitives::predeploys::ALL {
        if base.alloc.contains_key(&address) {
            return Err(GenesisError::Invalid(format!(
                "alloc already has an account at predeploy address {address}"
            )));
        }
    }
    let mut evm = GenesisEvm::new(&base)?;

    // Stakes made at genesis, in this order, by the deployer: the burnt first shares, the
    // snapshot's staked balances (held by the claims contract), the allocations' stakes.
    let mut stakes = vec![(BURN_ADDRESS, pha(BURNT_STAKE))];
    if !snapshot.total_staked().is_zero() {
        stakes.push((MIGRATION_CLAIMS, snapshot.total_staked()));
    }
    stakes.extend(
        contracts.allocations.iter().filter(|a| a.staked > 0).map(|a| (a.address, pha(a.staked))),
    );
    let staked_total: U256 = stakes.iter().map(|(_, amount)| *amount).sum();
    let mut holders = vec![
        (MIGRATION_CLAIMS, snapshot.total_free()),
        (STAKED_PHA, pha(contracts.rewards_budget)),
        (GENESIS_DEPLOYER, staked_total),
    ];
    holders.extend(contracts.allocations.iter().map(|a| (a.address, pha(a.pha))));
    let allocated: U256 = holders.iter().map(|(_, amount)| *amount).sum();
    let supply = pha(1_000_000_000);
    if allocated > supply {
        return Err(GenesisError::Invalid(format!(
            "claims, rewards budget and allocations add up to {allocated} wei, more than the \
             supply of 1,000,000,000 PHA"
        )));
    }
    holders.push((TIMELOCK, supply - allocated));
    holders.retain(|(_, amount)| !amount.is_zero());
    let (addresses, amounts): (Vec<Address>, Vec<U256>) = holders.into_iter().unzip();
    evm.deploy(
        "PhalaToken",
        PHA_TOKEN,
        PhalaToken::constructorCall { holders: addresses, amounts }.abi_encode(),
    )?;

    let vault = &contracts.vault;
    evm.deploy(
        "StakedPhala",
        STAKED_PHA,
        StakedPhala::constructorCall {
            pha: PHA_TOKEN,
            owner_: TIMELOCK,
            rewardsPerSecond_: vault.rewards_per_second,
            lockPeriod_: vault.lock_period,
            maxLockedAssets_: pha(vault.max_locked_assets),
            rewardsReserve_: pha(contracts.rewards_budget),
        }
        .abi_encode(),
    )?;

    let governance = &contracts.governance;
    evm.deploy(
        "PhalaTimelock",
        TIMELOCK,
        PhalaTimelock::constructorCall {
            minDelay: U256::from(governance.timelock_min_delay),
            proposers: vec![GOVERNOR],
            // Anyone may execute a proposal whose delay has passed.
            executors: vec![Address::ZERO],
            admin: Address::ZERO,
        }
        .abi_encode(),
    )?;
    evm.deploy(
        "PhalaGovernor",
        GOVERNOR,
        PhalaGovernor::constructorCall {
            votes: STAKED_PHA,
            timelock: TIMELOCK,
            votingDelay_: alloy_primitives::aliases::U48::from(governance.voting_delay),
            votingPeriod_: governance.voting_period as u32,
            proposalThreshold_: pha(governance.proposal_threshold),
            quorumPercent: U256::from(governance.quorum_percent),
            minQuorum_: pha(governance.min_quorum),
            nonVotingHolders_: vec![STAKE_POOLS, MIGRATION_CLAIMS, BURN_ADDRESS],
        }
        .abi_encode(),
    )?;

    let registry = &contracts.registry;
    evm.deploy(
        "WorkerRegistry",
        WORKER_REGISTRY,
        WorkerRegistry::constructorCall {
            owner_: TIMELOCK,
            allowedWorkloads_: registry.allowed_workloads.clone(),
            allowedTcbStatuses_: registry
                .allowed_tcb_statuses
                .iter()
                .fold(0u16, |mask, status| mask | (1 << status)),
            minTcbEvalDataNumber_: registry.min_tcb_eval_data_number,
            requireReportDataBinding_: registry.require_report_data_binding,
            attestationTtl_: registry.attestation_ttl,
            verifierFlags_: registry.verifier_flags,
        }
        .abi_encode(),
    )?;

    let pools = &contracts.pools;
    evm.deploy(
        "StakePools",
        STAKE_POOLS,
        StakePools::constructorCall {
            owner_: TIMELOCK,
            vpha_: STAKED_PHA,
            registry_: WORKER_REGISTRY,
            slashRecipient_: TIMELOCK,
            withdrawDelay_: pools.withdraw_delay,
            gpuClasses_: pools.gpu_classes.keys().map(|name| gpu_class(name)).collect(),
            collateralPerGpu_: pools.gpu_classes.values().map(|amount| pha(*amount)).collect(),
        }
        .abi_encode(),
    )?;

    evm.deploy(
        "MigrationClaims",
        MIGRATION_CLAIMS,
        MigrationClaims::constructorCall {
            pha_: PHA_TOKEN,
            vault_: STAKED_PHA,
            merkleRoot_: snapshot.tree().root(),
            claimDeadline_: contracts.migration_claim_deadline.unwrap_or_default(),
            treasury_: TIMELOCK,
        }
        .abi_encode(),
    )?;

    evm.call(
        "PHA.approve(vault)",
        PHA_TOKEN,
        PhalaToken::approveCall { spender: STAKED_PHA, value: staked_total }.abi_encode(),
    )?;
    for (receiver, assets) in stakes {
        evm.call(
            &format!("vPHA.deposit for {receiver}"),
            STAKED_PHA,
            StakedPhala::depositCall { assets, receiver }.abi_encode(),
        )?;
    }
    // Genesis stakes buy one share per PHA, so each claim pays exactly its `staked` in shares.
    let held = evm.call(
        "vPHA.balanceOf(claims)",
        STAKED_PHA,
        StakedPhala::balanceOfCall { account: MIGRATION_CLAIMS }.abi_encode(),
    )?;
    if U256::from_be_slice(&held) != snapshot.total_staked() {
        return Err(GenesisError::Invalid(
            "claims hold other shares than the snapshot stake".into(),
        ));
    }
    let left = evm.call(
        "PHA.balanceOf(deployer)",
        PHA_TOKEN,
        PhalaToken::balanceOfCall { account: GENESIS_DEPLOYER }.abi_encode(),
    )?;
    if U256::from_be_slice(&left) != U256::ZERO {
        return Err(GenesisError::Invalid("the genesis deployer kept PHA".into()));
    }
    Ok(Genesis { alloc: evm.into_alloc(&base), ..base })
}

/// A GPU class name as the pools store it: UTF-8, right-padded to 32 bytes.
pub fn gpu_class(name: &str) -> B256 {
    let mut word = B256::ZERO;
    word[..name.len()].copy_from_slice(name.as_bytes());
    word
}

/// The genesis of a chain spec file: a geth-style genesis, built with the genesis contracts if it
/// has a `genesisContracts` key (its `migrationSnapshot` path is relative to the file).
pub fn load_chain_spec_file(path: &Path) -> Result<Genesis, GenesisError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| GenesisError::Read { path: path.to_path_buf(), source })?;
    load_chain_spec_json(&text, path)
}

/// [`load_chain_spec_file`] for a file's text; `origin` names the file and anchors relative paths.
pub fn load_chain_spec_json(text: &str, origin: &Path) -> Result<Genesis, GenesisError> {
    let json_error = |source| GenesisError::Json { path: origin.to_path_buf(), source };
    let mut value: serde_json::Value = serde_json::from_str(text).map_err(json_error)?;
    let contracts = value.as_object_mut().and_then(|object| object.remove(GENESIS_CONTRACTS_KEY));
    let base: Genesis = serde_json::from_value(value).map_err(json_error)?;
    let Some(contracts) = contracts else { return Ok(base) };
    let contracts: GenesisContractsConfig =
        serde_json::from_value(contracts).map_err(json_error)?;
    let snapshot = match &contracts.migration_snapshot {
        Some(relative) => {
            let dir = origin.parent().unwrap_or_else(|| Path::new("."));
            Snapshot::read(&dir.join(relative))?
        }
        None => Snapshot::default(),
    };
    build_genesis(base, &contracts, &snapshot)
}
