//! Workload generators shared by the benchmarks.
//!
//! Key components:
//! - [`TransferWorkload`]: a genesis with funded senders and an ERC-20-style token, and blocks
//!   full of signed ETH and token transfers, built through the node's own block builder.
//! - [`erc20_transfer_code`]: the token's runtime code (balances in a `mapping(address =>
//!   uint256)` at slot 0, `transfer` with a `Transfer` log).

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

// The `vs-anvil` binary's own dependencies.
use alloy_eips as _;
use alloy_sol_types as _;
use serde_json as _;
use tempfile as _;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, crypto::secp256k1};
use alloy_genesis::{Genesis, GenesisAccount};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use phala_chain::{BlockAttributes, BlockBuilder, BlockImporter, init_genesis};
use phala_primitives::{Block, ChainSpec, EthereumHardfork};
use phala_storage::Database;
use std::sync::Arc;

/// Address of the benchmark token.
pub const TOKEN: Address = Address::repeat_byte(0x70);

/// Runtime code of a minimal ERC-20 `transfer(address,uint256)`: balances at
/// `keccak(holder ‖ 0)`, reverts on insufficient balance, emits `Transfer(from, to, amount)`
/// and returns `true`. Any calldata is treated as a `transfer` call.
pub fn erc20_transfer_code() -> Bytes {
    let transfer_topic = keccak256("Transfer(address,address,uint256)");
    let mut code = vec![
        0x60, 0x04, 0x35, // PUSH1 4 CALLDATALOAD            to
        0x60, 0x24, 0x35, // PUSH1 0x24 CALLDATALOAD         amount to
        0x33, 0x60, 0x00, 0x52, // CALLER PUSH1 0 MSTORE
        0x60, 0x00, 0x60, 0x20, 0x52, // PUSH1 0 PUSH1 0x20 MSTORE
        0x60, 0x40, 0x60, 0x00, 0x20, // PUSH1 0x40 PUSH1 0 SHA3   fromSlot amount to
        0x80, 0x54, // DUP1 SLOAD                          bal fromSlot amount to
        0x82, 0x81, 0x10, // DUP3 DUP2 LT                  bal<amount bal fromSlot amount to
        0x60, 0x00, 0x57, // PUSH1 <revert> JUMPI (patched below)
        0x82, 0x90, 0x03, // DUP3 SWAP1 SUB                bal-amount fromSlot amount to
        0x90, 0x55, // SWAP1 SSTORE                        amount to
        0x81, 0x60, 0x00, 0x52, // DUP2 PUSH1 0 MSTORE
        0x60, 0x40, 0x60, 0x00, 0x20, // PUSH1 0x40 PUSH1 0 SHA3   toSlot amount to
        0x80, 0x54, 0x82, 0x01, 0x90, 0x55, // DUP1 SLOAD DUP3 ADD SWAP1 SSTORE   amount to
        0x60, 0x00, 0x52, // PUSH1 0 MSTORE                to
        0x33, // CALLER                                   from to
        0x7f, // PUSH32 topic
    ];
    code.extend_from_slice(transfer_topic.as_slice());
    code.extend_from_slice(&[
        0x60, 0x20, 0x60, 0x00, 0xa3, // PUSH1 0x20 PUSH1 0 LOG3
        0x60, 0x01, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3, // return true
    ]);
    let revert_at = code.len() as u8;
    code.extend_from_slice(&[0x5b, 0x60, 0x00, 0x80, 0xfd]); // JUMPDEST PUSH1 0 DUP1 REVERT
    code[26] = revert_at;
    Bytes::from(code)
}

/// Storage slot of `holder`'s token balance.
pub fn balance_slot(holder: Address) -> B256 {
    let mut preimage = [0u8; 64];
    preimage[12..32].copy_from_slice(holder.as_slice());
    keccak256(preimage)
}

/// A funded sender.
#[derive(Debug, Clone)]
pub struct Sender {
    /// Secret key.
    pub secret: B256,
    /// Address.
    pub address: Address,
    /// Next nonce.
    pub nonce: u64,
}

fn address_of(secret: B256) -> Address {
    let probe = B256::repeat_byte(0x11);
    let signature = secp256k1::sign_message(secret, probe).expect("valid benchmark key");
    secp256k1::recover_signer(&signature, probe).expect("recoverable benchmark signature")
}

/// A chain of transfer blocks.
#[derive(Debug)]
pub struct TransferWorkload {
    /// The chain spec (all forks through Prague, chain id 1337).
    pub spec: Arc<ChainSpec>,
    /// The senders.
    pub senders: Vec<Sender>,
}

impl TransferWorkload {
    /// A workload with `senders` funded accounts holding ETH and tokens.
    pub fn new(senders: usize) -> Self {
        let senders: Vec<Sender> = (1..=senders as u64)
            .map(|i| {
                let secret = B256::from(U256::from(i) + U256::from(0x1000));
                Sender { secret, address: address_of(secret), nonce: 0 }
            })
            .collect();
        let mut genesis = Genesis { gas_limit: 60_000_000, ..Default::default() };
        genesis.config.chain_id = 1337;
        let mut token_storage = std::collections::BTreeMap::new();
        for sender in &senders {
            genesis.alloc.insert(
                sender.address,
                GenesisAccount { balance: U256::from(10u128.pow(24)), ..Default::default() },
            );
            token_storage
                .insert(balance_slot(sender.address), B256::from(U256::from(10u64.pow(18))));
        }
        genesis.alloc.insert(
            TOKEN,
            GenesisAccount {
                code: Some(erc20_transfer_code()),
                storage: Some(token_storage),
                ..Default::default()
            },
        );
        let spec = ChainSpec::with_all_forks_up_to(
            EthereumHardfork::Prague,
            1337,
            genesis,
            Vec::new(),
            None,
        );
        Self { spec: Arc::new(spec), senders }
    }

    fn signed(&mut self, index: usize, to: TxKind, input: Bytes, value: U256) -> TxEnvelope {
        let chain_id = self.spec.chain_id;
        let sender = &mut self.senders[index];
        let tx = TxEip1559 {
            chain_id,
            nonce: sender.nonce,
            gas_limit: 100_000,
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to,
            value,
            input,
            access_list: Default::default(),
        };
        sender.nonce += 1;
        let signature =
            secp256k1::sign_message(sender.secret, tx.signature_hash()).expect("valid key");
        tx.into_signed(signature).into()
    }

    /// The transactions of one block: `count` transfers, alternating ETH and token transfers,
    /// each to a fresh recipient derived from `salt`.
    pub fn transactions(&mut self, count: usize, salt: u64) -> Vec<TxEnvelope> {
        (0..count)
            .map(|i| {
                let index = i % self.senders.len();
                let recipient =
                    Address::from_word(keccak256((salt * 1_000_003 + i as u64).to_be_bytes()));
                if i % 2 == 0 {
                    self.signed(index, TxKind::Call(recipient), Bytes::new(), U256::from(1))
                } else {
                    let mut input = vec![0xa9, 0x05, 0x9c, 0xbb];
                    input.extend_from_slice(recipient.into_word().as_slice());
                    input.extend_from_slice(&U256::from(1000).to_be_bytes::<32>());
                    self.signed(index, TxKind::Call(TOKEN), Bytes::from(input), U256::ZERO)
                }
            })
            .collect()
    }

    /// Builds `blocks` blocks of `txs_per_block` transfers on a fresh database in `dir`.
    pub fn build_chain(
        &mut self,
        dir: &std::path::Path,
        blocks: usize,
        txs_per_block: usize,
    ) -> Result<Vec<Block>, phala_chain::BlockError> {
        let db = Database::open(dir)?;
        init_genesis(&db, &self.spec)?;
        let builder = BlockBuilder::new(&db, self.spec.clone());
        let importer = BlockImporter::new(&db, self.spec.clone());
        let mut chain = Vec::with_capacity(blocks);
        for number in 1..=blocks as u64 {
            let attributes = BlockAttributes {
                timestamp: number * 2,
                beneficiary: Address::repeat_byte(0xfe),
                ..Default::default()
            };
            let txs = self.transactions(txs_per_block, number);
            let block = builder.build(&attributes, txs.into_iter().map(Into::into).collect())?;
            importer.import(&block).map_err(|err| err.source)?;
            chain.push(block);
        }
        Ok(chain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_chain_imports_into_a_fresh_database() {
        let mut workload = TransferWorkload::new(8);
        let build_dir = tempfile::tempdir().unwrap();
        let chain = workload.build_chain(build_dir.path(), 3, 16).unwrap();
        assert!(chain.iter().all(|block| block.header.gas_used > 16 * 21_000));

        let import_dir = tempfile::tempdir().unwrap();
        let db = Database::open(import_dir.path()).unwrap();
        init_genesis(&db, &workload.spec).unwrap();
        let importer = BlockImporter::new(&db, workload.spec.clone());
        for block in &chain {
            importer.import(block).unwrap();
        }
        let token_balance = phala_storage::KeyValueRead::storage_value(
            &db,
            TOKEN,
            U256::from_be_bytes(balance_slot(workload.senders[1].address).0),
        )
        .unwrap();
        // With 8 senders and 16 transfers per block, sender 1 sends transfers 1 and 9 of each
        // block, both token transfers of 1000.
        assert_eq!(token_balance, U256::from(10u64.pow(18) - 3 * 2 * 1000));
    }
}
