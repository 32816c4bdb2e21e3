//! Genesis: the allocation as trie accounts and the genesis header.

use crate::ChainSpec;
use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header, constants::EMPTY_WITHDRAWALS};
use alloy_eips::{eip1559::INITIAL_BASE_FEE, eip7685::EMPTY_REQUESTS_HASH};
use alloy_genesis::GenesisAccount;
use alloy_hardforks::EthereumHardforks;
use alloy_primitives::{B64, B256, Bytes, U256, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY, TrieAccount, root::storage_root_unhashed};

/// The non-zero storage slots of a genesis account, as (slot, value) words.
pub fn genesis_storage(account: &GenesisAccount) -> impl Iterator<Item = (B256, U256)> + '_ {
    account
        .storage
        .iter()
        .flatten()
        .map(|(slot, value)| (*slot, U256::from_be_bytes(value.0)))
        .filter(|(_, value)| !value.is_zero())
}

/// The code hash of a genesis account ([`KECCAK_EMPTY`] without code).
pub fn genesis_code_hash(account: &GenesisAccount) -> B256 {
    match &account.code {
        Some(code) if !code.is_empty() => keccak256(code),
        _ => KECCAK_EMPTY,
    }
}

/// The state trie leaf of a genesis account.
pub fn genesis_trie_account(account: &GenesisAccount) -> TrieAccount {
    TrieAccount {
        nonce: account.nonce.unwrap_or_default(),
        balance: account.balance,
        storage_root: storage_root_unhashed(genesis_storage(account)),
        code_hash: genesis_code_hash(account),
    }
}

/// Builds the genesis header: header fields from the genesis, roots of empty lists, the state
/// root of the allocation, and the fork-dependent fields set for the forks active at genesis.
pub fn genesis_header(spec: &ChainSpec) -> Header {
    let genesis = &spec.genesis;
    let number = genesis.number.unwrap_or_default();
    let timestamp = genesis.timestamp;
    let state_root = alloy_trie::root::state_root_unhashed(
        genesis.alloc.iter().map(|(address, account)| (*address, genesis_trie_account(account))),
    );
    let cancun = spec.is_cancun_active_at_timestamp(timestamp);
    Header {
        parent_hash: genesis.parent_hash.unwrap_or_default(),
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: genesis.coinbase,
        state_root,
        transactions_root: EMPTY_ROOT_HASH,
        receipts_root: EMPTY_ROOT_HASH,
        logs_bloom: Default::default(),
        difficulty: genesis.difficulty,
        number,
        gas_limit: genesis.gas_limit,
        gas_used: 0,
        timestamp,
        extra_data: Bytes::clone(&genesis.extra_data),
        mix_hash: genesis.mix_hash,
        nonce: B64::from(genesis.nonce),
        base_fee_per_gas: spec
            .is_london_active_at_block(number)
            .then(|| genesis.base_fee_per_gas.map(|fee| fee as u64).unwrap_or(INITIAL_BASE_FEE)),
        withdrawals_root: spec
            .is_shanghai_active_at_timestamp(timestamp)
            .then_some(EMPTY_WITHDRAWALS),
        blob_gas_used: cancun.then(|| genesis.blob_gas_used.unwrap_or_default()),
        excess_blob_gas: cancun.then(|| genesis.excess_blob_gas.unwrap_or_default()),
        parent_beacon_block_root: cancun.then_some(B256::ZERO),
        requests_hash: spec.is_prague_active_at_timestamp(timestamp).then_some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    }
}
