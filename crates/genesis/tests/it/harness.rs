//! A chain in a temporary RocksDB with the genesis contracts, driven by real signed transactions
//! in real blocks (built by `BlockBuilder`, imported by `BlockImporter`).

use alloy_consensus::{SignableTransaction, TxEip1559, crypto::secp256k1};
use alloy_evm::{Evm, EvmFactory};
use alloy_genesis::{Genesis, GenesisAccount};
use alloy_primitives::{Address, B256, Bytes, Log, TxKind, U256};
use alloy_sol_types::{SolCall, SolInterface};
use phala_chain::{BlockAttributes, BlockBuilder, BlockImporter, ImportOutcome, init_genesis};
use phala_evm::{PhalaEvmFactory, StateDatabase, evm_env_for_header};
use phala_genesis::{GenesisContractsConfig, build_genesis};
use phala_primitives::{ChainSpec, TxEnvelope};
use phala_storage::{Database, KeyValueRead, LatestState};
use revm::{
    context::{TxEnv, result::ExecutionResult},
    database::CacheDB,
};
use std::{collections::BTreeMap, sync::Arc};

pub(crate) const CHAIN_ID: u64 = 1337;
/// Seconds between blocks unless a test warps.
pub(crate) const BLOCK_TIME: u64 = 2;

/// What a transaction did.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) success: bool,
    pub(crate) gas_used: u64,
    pub(crate) logs: Vec<Log>,
}

pub(crate) struct Chain {
    _dir: tempfile::TempDir,
    pub(crate) db: Database,
    pub(crate) spec: Arc<ChainSpec>,
    /// Funded accounts: 10,000 ETH each, and whatever the config allocates.
    pub(crate) accounts: Vec<Address>,
    secrets: Vec<B256>,
    nonces: BTreeMap<Address, u64>,
    /// The head block's timestamp.
    pub(crate) time: u64,
}

/// Secret key `i` of the test accounts.
fn secret(index: usize) -> B256 {
    B256::left_padding_from(&[0x5e, index as u8 + 1])
}

pub(crate) fn address_of(secret: B256) -> Address {
    let probe = B256::repeat_byte(1);
    let signature = secp256k1::sign_message(secret, probe).unwrap();
    secp256k1::recover_signer(&signature, probe).unwrap()
}

/// The test accounts' addresses.
pub(crate) fn test_accounts(count: usize) -> Vec<Address> {
    (0..count).map(|i| address_of(secret(i))).collect()
}

/// The base genesis: chain 1337, every fork including the Phala ones at 0, `accounts` with ETH.
pub(crate) fn base_genesis(accounts: &[Address], timestamp: u64) -> Genesis {
    let mut config = serde_json::json!({
        "chainId": CHAIN_ID, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0,
        "eip158Block": 0, "byzantiumBlock": 0, "constantinopleBlock": 0, "petersburgBlock": 0,
        "istanbulBlock": 0, "berlinBlock": 0, "londonBlock": 0, "mergeNetsplitBlock": 0,
        "terminalTotalDifficulty": 0, "terminalTotalDifficultyPassed": true,
        "shanghaiTime": 0, "cancunTime": 0, "pragueTime": 0, "osakaTime": 0,
        "tdxAttestationTime": 0, "substrateSignaturesTime": 0, "tdxRepricingTime": 0,
        "blobSchedule": {
            "cancun": { "target": 3, "max": 6, "baseFeeUpdateFraction": 3338477 },
            "prague": { "target": 6, "max": 9, "baseFeeUpdateFraction": 5007716 },
            "osaka": { "target": 6, "max": 9, "baseFeeUpdateFraction": 5007716 }
        }
    });
    let _ = &mut config;
    let mut genesis: Genesis = serde_json::from_value(serde_json::json!({
        "config": config, "gasLimit": "0x1c9c380", "difficulty": "0x0", "alloc": {},
        "baseFeePerGas": "0x3b9aca00", "timestamp": format!("{timestamp:#x}"),
        "excessBlobGas": "0x0", "blobGasUsed": "0x0",
    }))
    .unwrap();
    for account in accounts {
        genesis
            .alloc
            .insert(*account, GenesisAccount::default().with_balance(U256::from(10u128.pow(22))));
    }
    genesis
}

impl Chain {
    /// A chain with the dev inputs for `count` test accounts, changed by `edit`.
    pub(crate) fn new(count: usize, edit: impl FnOnce(&mut GenesisContractsConfig)) -> Self {
        Self::with_genesis_time(count, 0, edit)
    }

    /// [`Chain::new`] with genesis at `timestamp`.
    pub(crate) fn with_genesis_time(
        count: usize,
        timestamp: u64,
        edit: impl FnOnce(&mut GenesisContractsConfig),
    ) -> Self {
        let accounts = test_accounts(count);
        let mut config = GenesisContractsConfig::dev(&accounts);
        edit(&mut config);
        let genesis = build_genesis(
            base_genesis(&accounts, timestamp),
            &config,
            &phala_genesis::migration::sample_snapshot(),
        )
        .unwrap();
        Self::from_genesis(genesis, accounts, count)
    }

    pub(crate) fn from_genesis(genesis: Genesis, accounts: Vec<Address>, count: usize) -> Self {
        let time = genesis.timestamp;
        let spec = Arc::new(ChainSpec::from_genesis(genesis).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        init_genesis(&db, &spec).unwrap();
        Self {
            _dir: dir,
            db,
            spec,
            accounts,
            secrets: (0..count).map(secret).collect(),
            nonces: BTreeMap::new(),
            time,
        }
    }

    /// Sends `call` from account `from` to `to` in a block of its own, `BLOCK_TIME` after the head.
    pub(crate) fn send<C: SolCall>(&mut self, from: usize, to: Address, call: C) -> Outcome {
        self.send_data(from, to, call.abi_encode(), U256::ZERO)
    }

    /// Sends a call and asserts it succeeded.
    pub(crate) fn ok<C: SolCall>(&mut self, from: usize, to: Address, call: C) -> Outcome {
        let outcome = self.send(from, to, call);
        assert!(outcome.success, "{} from account {from} failed", C::SIGNATURE);
        outcome
    }

    /// The revert data of `call` from `from` at the next block, then sends it and asserts the
    /// transaction failed in its block.
    pub(crate) fn fails<C: SolCall>(&mut self, from: usize, to: Address, call: C) -> Bytes {
        let data = call.abi_encode();
        let revert = self
            .call_raw(self.accounts[from], to, data.clone())
            .expect_err("the call should revert");
        let outcome = self.send_data(from, to, data, U256::ZERO);
        assert!(!outcome.success, "{} should fail in a block", C::SIGNATURE);
        revert
    }

    /// The decoded custom error of a failing `call`.
    pub(crate) fn fails_with<C: SolCall, E: SolInterface>(
        &mut self,
        from: usize,
        to: Address,
        call: C,
    ) -> E {
        let revert = self.fails(from, to, call);
        E::abi_decode(&revert).unwrap_or_else(|_| panic!("unexpected revert data {revert}"))
    }

    pub(crate) fn send_data(
        &mut self,
        from: usize,
        to: Address,
        input: Vec<u8>,
        value: U256,
    ) -> Outcome {
        let sender = self.accounts[from];
        let nonce = self.nonces.entry(sender).or_default();
        let tx = TxEip1559 {
            chain_id: CHAIN_ID,
            nonce: *nonce,
            gas_limit: 16_000_000,
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 1,
            to: TxKind::Call(to),
            value,
            input: input.into(),
            access_list: Default::default(),
        };
        *nonce += 1;
        let signature = secp256k1::sign_message(self.secrets[from], tx.signature_hash()).unwrap();
        let envelope: TxEnvelope = tx.into_signed(signature).into();
        let receipts = self.mine_with(vec![envelope]);
        let receipt = &receipts[0];
        Outcome {
            success: receipt.status(),
            gas_used: receipt.cumulative_gas_used(),
            logs: receipt.logs().to_vec(),
        }
    }

    /// Account `index`'s secp256k1 signature over `digest`.
    pub(crate) fn sign_digest(&self, index: usize, digest: B256) -> alloy_primitives::Signature {
        secp256k1::sign_message(self.secrets[index], digest).unwrap()
    }

    /// Mines an empty block `seconds` after the head.
    pub(crate) fn warp(&mut self, seconds: u64) {
        assert!(seconds >= BLOCK_TIME, "a block is at least BLOCK_TIME after its parent");
        self.time += seconds - BLOCK_TIME;
        self.mine_with(Vec::new());
    }

    /// Mines a block with `transactions` `BLOCK_TIME` after the head; its receipts.
    fn mine_with(
        &mut self,
        transactions: Vec<TxEnvelope>,
    ) -> Vec<phala_primitives::PhalaReceiptEnvelope> {
        self.time += BLOCK_TIME;
        let attributes = BlockAttributes {
            timestamp: self.time,
            beneficiary: Address::repeat_byte(0xbe),
            parent_beacon_block_root: Some(B256::ZERO),
            ..Default::default()
        };
        let block = BlockBuilder::new(&self.db, self.spec.clone())
            .build(&attributes, transactions.into_iter().map(Into::into).collect())
            .unwrap();
        let hash = block.header.hash_slow();
        let outcome = BlockImporter::new(&self.db, self.spec.clone()).import(&block).unwrap();
        assert!(matches!(outcome, ImportOutcome::Imported { .. }), "{outcome:?}");
        self.db.receipts(hash).unwrap().unwrap()
    }

    /// `call` from account 0 on the head state, as if in the next block.
    pub(crate) fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let output = self
            .call_raw(self.accounts[0], to, call.abi_encode())
            .unwrap_or_else(|revert| panic!("{} reverted: {revert}", C::SIGNATURE));
        C::abi_decode_returns(&output).unwrap()
    }

    /// Executes a call on the head state in the next block's environment: its output, or its
    /// revert data.
    pub(crate) fn call_raw(
        &self,
        from: Address,
        to: Address,
        data: Vec<u8>,
    ) -> Result<Bytes, Bytes> {
        let head = self.db.head_header().unwrap();
        let mut env = evm_env_for_header(&self.spec, &head);
        env.block_env.number = U256::from(head.number + 1);
        env.block_env.timestamp = U256::from(self.time + BLOCK_TIME);
        env.cfg_env.disable_base_fee = true;
        let mut db = CacheDB::new(StateDatabase::new(LatestState::new(&self.db)));
        let mut evm = PhalaEvmFactory::new(self.spec.clone()).create_evm(&mut db, env);
        let nonce = self.nonces.get(&from).copied().unwrap_or_default();
        let tx = TxEnv {
            caller: from,
            kind: TxKind::Call(to),
            data: data.into(),
            gas_limit: 16_000_000,
            gas_price: 0,
            nonce,
            chain_id: Some(CHAIN_ID),
            ..Default::default()
        };
        match evm.transact(tx).unwrap().result {
            ExecutionResult::Success { output, .. } => Ok(output.into_data()),
            ExecutionResult::Revert { output, .. } => Err(output),
            ExecutionResult::Halt { reason, .. } => panic!("call halted: {reason:?}"),
        }
    }
}

/// `amount` whole PHA in wei.
pub(crate) fn pha(amount: u64) -> U256 {
    phala_genesis::pha(amount)
}
