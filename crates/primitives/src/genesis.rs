//! Genesis: the allocation as trie accounts, a state file read as an allocation, and the genesis
//! header.

use crate::{ChainSpec, ChainSpecError};
use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header, constants::EMPTY_WITHDRAWALS};
use alloy_eips::{eip1559::INITIAL_BASE_FEE, eip7685::EMPTY_REQUESTS_HASH};
use alloy_genesis::GenesisAccount;
use alloy_hardforks::EthereumHardforks;
use alloy_primitives::{Address, B64, B256, Bytes, U256, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY, TrieAccount, root::storage_root_unhashed};
use std::collections::BTreeMap;

/// Reads a geth-style `alloc`: a JSON object of address → `{balance, nonce, code, storage}`, as
/// `phala-node dump-state` writes it and a genesis file's `alloc` holds it. A `null`, a list, an
/// unknown account field or a value that is not hex is an error with its line and column.
pub fn parse_alloc(bytes: &[u8]) -> Result<BTreeMap<Address, GenesisAccount>, ChainSpecError> {
    serde_json::from_slice(bytes).map_err(ChainSpecError::InvalidAlloc)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alloc_parses_and_bad_input_is_an_error_with_its_position() {
        let alloc = parse_alloc(
            br#"{"0x0000000000000000000000000000000000000001": {"balance": "0x10", "nonce": "0x2",
                "code": "0x6000", "storage": {"0x01": "0x0000000000000000000000000000000000000000000000000000000000000005"}}}"#,
        )
        .unwrap();
        let account = &alloc[&Address::with_last_byte(1)];
        assert_eq!((account.balance, account.nonce), (U256::from(16), Some(2)));
        assert_eq!(
            genesis_storage(account).collect::<Vec<_>>(),
            [(B256::with_last_byte(1), U256::from(5))]
        );
        for bad in [&b"null"[..], b"[]", b"{\"0x01\": {}}", b"{\"0x0000000000000000000000000000000000000001\": {\"balance\": \"0x1\", \"colour\": 1}}", b"{\"", b""] {
            let error = parse_alloc(bad).unwrap_err();
            assert!(error.to_string().starts_with("not a geth-style alloc"), "{error}");
        }
        assert!(parse_alloc(b"{}").unwrap().is_empty());
    }
}
