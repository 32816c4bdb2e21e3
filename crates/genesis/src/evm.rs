//! [`GenesisEvm`]: an in-memory EVM over a genesis state at the genesis block, in which the
//! genesis builders run constructors at fixed addresses, make set-up calls and write code and
//! storage directly; its final state becomes the genesis alloc.
//!
//! A constructor normally runs in a CREATE at an address derived from the deployer. Here a
//! contract's creation code (with its ABI-encoded arguments appended) is placed at its fixed
//! address and called: the constructor writes its storage there, sees `address(this)` and
//! `block.chainid` as a deployment on this chain would, and returns the runtime code with its
//! immutables filled in. That code replaces the creation code, with nonce 1 (EIP-161).

use crate::{GenesisError, artifacts};
use alloy_evm::{Evm, EvmEnv, EvmFactory};
use alloy_genesis::{Genesis, GenesisAccount};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use phala_evm::{PhalaEvmFactory, evm_env_for_header};
use phala_primitives::{ChainSpec, genesis::genesis_header, predeploys::GENESIS_DEPLOYER};
use revm::{
    DatabaseCommit,
    bytecode::Bytecode,
    context::{TxEnv, result::ExecutionResult},
    database::{CacheDB, EmptyDB},
    state::AccountInfo,
};
use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

/// Gas for each constructor and set-up call (far above what any needs).
const CALL_GAS: u64 = 100_000_000;

/// An in-memory EVM over a genesis state, at the genesis block.
pub(crate) struct GenesisEvm {
    db: CacheDB<EmptyDB>,
    env: EvmEnv,
    factory: PhalaEvmFactory,
    spec: Arc<ChainSpec>,
    /// Accounts that sent calls: their nonces moved, so the alloc gets them as the base had them.
    callers: BTreeSet<Address>,
}

impl GenesisEvm {
    /// An EVM over `base`'s alloc, with the rules of `base`'s chain at its genesis block.
    pub(crate) fn new(base: &Genesis) -> Result<Self, GenesisError> {
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
        Ok(Self {
            db,
            env,
            factory: PhalaEvmFactory::new(spec.clone()),
            spec,
            callers: BTreeSet::new(),
        })
    }

    /// The chain spec of the genesis.
    pub(crate) const fn spec(&self) -> &Arc<ChainSpec> {
        &self.spec
    }

    /// Runs the constructor of our compiled `contract` (`contracts/out`) with `args` at `address`
    /// and leaves its runtime code there.
    pub(crate) fn deploy(
        &mut self,
        contract: &str,
        address: Address,
        args: Vec<u8>,
    ) -> Result<(), GenesisError> {
        let artifact = artifacts::artifact(contract).ok_or_else(|| GenesisError::Execution {
            contract: contract.to_string(),
            reason: "no compiled artifact".into(),
        })?;
        self.deploy_code(contract, address, &artifact.bytecode, &args)
    }

    /// Runs the creation code `init` with the ABI-encoded constructor arguments `args` at
    /// `address` and leaves the runtime code it returns there, with nonce 1. `what` names the
    /// contract in errors.
    pub(crate) fn deploy_code(
        &mut self,
        what: &str,
        address: Address,
        init: &[u8],
        args: &[u8],
    ) -> Result<(), GenesisError> {
        let mut code = init.to_vec();
        code.extend_from_slice(args);
        self.set_code(address, code.into(), 0);
        let runtime = self.call(what, address, Vec::new())?;
        self.set_code(address, runtime, 1);
        Ok(())
    }

    /// Puts `code` at `address` with `nonce`, keeping its balance and storage.
    pub(crate) fn set_code(&mut self, address: Address, code: Bytes, nonce: u64) {
        let code = Bytecode::new_raw(code);
        let balance = self.account(address).map_or(U256::ZERO, |info| info.balance);
        self.db.insert_account_info(
            address,
            AccountInfo {
                balance,
                nonce,
                code_hash: code.hash_slow(),
                account_id: None,
                code: Some(code),
            },
        );
    }

    /// Sets `address`'s nonce, keeping the rest of the account.
    pub(crate) fn set_nonce(&mut self, address: Address, nonce: u64) {
        let mut info = self.account(address).cloned().unwrap_or_default();
        info.nonce = nonce;
        self.db.insert_account_info(address, info);
    }

    /// Sets `address`'s balance, keeping the rest of the account.
    pub(crate) fn set_balance(&mut self, address: Address, balance: U256) {
        let mut info = self.account(address).cloned().unwrap_or_default();
        info.balance = balance;
        self.db.insert_account_info(address, info);
    }

    /// Writes `value` into `address`'s storage `slot`.
    pub(crate) fn set_storage(&mut self, address: Address, slot: B256, value: B256) {
        self.db
            .insert_account_storage(address, slot.into(), value.into())
            .expect("the cache database never fails");
    }

    /// The account at `address`, if the state has one.
    pub(crate) fn account(&self, address: Address) -> Option<&AccountInfo> {
        self.db.cache.accounts.get(&address).map(|account| &account.info)
    }

    /// Calls `to` from the genesis deployer and commits the state; the output on success.
    pub(crate) fn call(
        &mut self,
        what: &str,
        to: Address,
        data: Vec<u8>,
    ) -> Result<Bytes, GenesisError> {
        self.call_from(what, GENESIS_DEPLOYER, to, data)
    }

    /// Calls `to` from `caller` and commits the state; the output on success. `caller`'s own
    /// account (its nonce) is left out of the final alloc: it only stands in for whoever makes
    /// the call on a live chain.
    pub(crate) fn call_from(
        &mut self,
        what: &str,
        caller: Address,
        to: Address,
        data: Vec<u8>,
    ) -> Result<Bytes, GenesisError> {
        self.callers.insert(caller);
        let tx = TxEnv {
            caller,
            kind: TxKind::Call(to),
            data: data.into(),
            gas_limit: CALL_GAS,
            gas_price: 0,
            nonce: self.account(caller).map_or(0, |info| info.nonce),
            chain_id: Some(self.spec.chain_id),
            ..Default::default()
        };
        let failed =
            |reason: String| GenesisError::Execution { contract: what.to_string(), reason };
        let outcome = {
            let mut evm = self.factory.create_evm(&mut self.db, self.env.clone());
            evm.transact(tx).map_err(|err| failed(err.to_string()))?
        };
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

    /// Every account of the final state except untouched empty ones; the callers as `base` had
    /// them (absent when it had none).
    pub(crate) fn into_alloc(self, base: &Genesis) -> BTreeMap<Address, GenesisAccount> {
        let mut alloc = BTreeMap::new();
        for (address, account) in &self.db.cache.accounts {
            if self.callers.contains(address) {
                if let Some(account) = base.alloc.get(address) {
                    alloc.insert(*address, account.clone());
                }
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
