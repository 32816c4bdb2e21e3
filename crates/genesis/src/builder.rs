//! Runs the genesis contracts' constructors on our EVM at their fixed addresses.
//!
//! A constructor normally runs in a CREATE at an address derived from the deployer. Here each
//! contract's creation code (with its ABI-encoded arguments appended) is placed at its fixed
//! address and called: the constructor writes its storage there, sees `address(this)` and
//! `block.chainid` as a deployment on this chain would, and returns the runtime code with its
//! immutables filled in. That code replaces the creation code, with nonce 1 (EIP-161).

use crate::{
    GenesisContractsConfig, GenesisError, artifacts, bindings::*, config::pha, migration::Snapshot,
};
use alloy_evm::{Evm, EvmEnv, EvmFactory};
use alloy_genesis::{Genesis, GenesisAccount};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use phala_evm::{PhalaEvmFactory, evm_env_for_header};
use phala_primitives::{
    ChainSpec,
    genesis::genesis_header,
    predeploys::{
        BURN_ADDRESS, GENESIS_DEPLOYER, GOVERNOR, MIGRATION_CLAIMS, PHA_TOKEN, STAKE_POOLS,
        STAKED_PHA, TIMELOCK, WORKER_REGISTRY,
    },
};
use revm::{
    DatabaseCommit,
    bytecode::Bytecode,
    context::{TxEnv, result::ExecutionResult},
    database::{CacheDB, EmptyDB},
    state::AccountInfo,
};
use std::{collections::BTreeMap, path::Path, sync::Arc};

/// The key of a chain spec file that holds the genesis contracts' inputs.
pub const GENESIS_CONTRACTS_KEY: &str = "genesisContracts";

/// PHA staked at genesis for [`BURN_ADDRESS`], so the vault is never nearly empty.
pub const BURNT_STAKE: u64 = 1;

/// Gas for each constructor and set-up call (far above what any needs).
const CALL_GAS: u64 = 100_000_000;

/// `base` with the genesis contracts added: constructors run in deployment order, then the
/// vault deposits of the allocations' staked PHA. `snapshot` is the migration snapshot.
pub fn build_genesis(
    base: Genesis,
    contracts: &GenesisContractsConfig,
    snapshot: &Snapshot,
) -> Result<Genesis, GenesisError> {
    contracts.validate()?;
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

/// An in-memory EVM over the base genesis state, at the genesis block.
struct GenesisEvm {
    db: CacheDB<EmptyDB>,
    env: EvmEnv,
    factory: PhalaEvmFactory,
    chain_id: u64,
    nonce: u64,
}

impl GenesisEvm {
    fn new(base: &Genesis) -> Result<Self, GenesisError> {
        let spec = Arc::new(ChainSpec::from_genesis(base.clone())?);
        let mut env = evm_env_for_header(&spec, &genesis_header(&spec));
        // Genesis code runs for free and without limits; nothing here is a user transaction.
        env.cfg_env.disable_base_fee = true;
        env.cfg_env.disable_nonce_check = true;
        env.cfg_env.disable_block_gas_limit = true;
        env.cfg_env.tx_gas_limit_cap = Some(u64::MAX);
        let mut db = CacheDB::new(EmptyDB::default());
        for (address, account) in &base.alloc {
            let code = account.code.clone().map(Bytecode::new_raw);
            let info = AccountInfo {
                balance: account.balance,
                nonce: account.nonce.unwrap_or_default(),
                code_hash: code
                    .as_ref()
                    .map_or(revm::primitives::KECCAK_EMPTY, Bytecode::hash_slow),
                account_id: None,
                code,
            };
            db.insert_account_info(*address, info);
            for (slot, value) in account.storage.iter().flatten() {
                db.insert_account_storage(*address, (*slot).into(), (*value).into())
                    .expect("the cache database never fails");
            }
        }
        let chain_id = spec.chain_id;
        Ok(Self { db, env, factory: PhalaEvmFactory::new(spec), chain_id, nonce: 0 })
    }

    /// Runs `contract`'s constructor with `args` at `address` and leaves its runtime code there.
    fn deploy(
        &mut self,
        contract: &str,
        address: Address,
        args: Vec<u8>,
    ) -> Result<(), GenesisError> {
        let artifact = artifacts::artifact(contract).ok_or_else(|| GenesisError::Execution {
            contract: contract.to_string(),
            reason: "no compiled artifact".into(),
        })?;
        let mut init = artifact.bytecode.to_vec();
        init.extend_from_slice(&args);
        let init = Bytecode::new_raw(init.into());
        self.db.insert_account_info(
            address,
            AccountInfo {
                balance: U256::ZERO,
                nonce: 0,
                code_hash: init.hash_slow(),
                account_id: None,
                code: Some(init),
            },
        );
        let runtime = Bytecode::new_raw(self.call(contract, address, Vec::new())?);
        let balance = self.db.cache.accounts.get(&address).map_or(U256::ZERO, |a| a.info.balance);
        self.db.insert_account_info(
            address,
            AccountInfo {
                balance,
                nonce: 1,
                code_hash: runtime.hash_slow(),
                account_id: None,
                code: Some(runtime),
            },
        );
        Ok(())
    }

    /// Calls `to` from the genesis deployer and commits the state; the output on success.
    fn call(&mut self, what: &str, to: Address, data: Vec<u8>) -> Result<Bytes, GenesisError> {
        let tx = TxEnv {
            caller: GENESIS_DEPLOYER,
            kind: TxKind::Call(to),
            data: data.into(),
            gas_limit: CALL_GAS,
            gas_price: 0,
            nonce: self.nonce,
            chain_id: Some(self.chain_id),
            ..Default::default()
        };
        let failed =
            |reason: String| GenesisError::Execution { contract: what.to_string(), reason };
        let outcome = {
            let mut evm = self.factory.create_evm(&mut self.db, self.env.clone());
            evm.transact(tx).map_err(|err| failed(err.to_string()))?
        };
        self.nonce += 1;
        match outcome.result {
            ExecutionResult::Success { output, .. } => {
                self.db.commit(outcome.state);
                Ok(output.into_data())
            }
            ExecutionResult::Revert { output, .. } => Err(failed(format!(
                "reverted: {}",
                alloy_sol_types::decode_revert_reason(&output)
                    .unwrap_or_else(|| format!("0x{}", alloy_primitives::hex::encode(&output)))
            ))),
            ExecutionResult::Halt { reason, .. } => Err(failed(format!("halted: {reason:?}"))),
        }
    }

    /// Every account of the final state except the deployer and untouched empty ones.
    fn into_alloc(self, base: &Genesis) -> BTreeMap<Address, GenesisAccount> {
        let mut alloc = BTreeMap::new();
        for (address, account) in &self.db.cache.accounts {
            if *address == GENESIS_DEPLOYER {
                continue;
            }
            let storage: BTreeMap<B256, B256> = account
                .storage
                .iter()
                .filter(|(_, value)| !value.is_zero())
                .map(|(slot, value)| (B256::from(*slot), B256::from(*value)))
                .collect();
            let info = &account.info;
            let code = info.code.as_ref().map(Bytecode::original_bytes).filter(|c| !c.is_empty());
            let empty =
                info.balance.is_zero() && info.nonce == 0 && code.is_none() && storage.is_empty();
            if empty && !base.alloc.contains_key(address) {
                continue;
            }
            let mut genesis_account = GenesisAccount::default()
                .with_balance(info.balance)
                .with_nonce((info.nonce > 0).then_some(info.nonce))
                .with_code(code);
            if !storage.is_empty() {
                genesis_account = genesis_account.with_storage(Some(storage));
            }
            alloc.insert(*address, genesis_account);
        }
        alloc
    }
}
