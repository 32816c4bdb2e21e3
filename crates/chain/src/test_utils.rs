//! Test helpers (feature `test-utils`): a funded key and a temporary chain on a real RocksDB.

use crate::init_genesis;
use alloy_consensus::{SignableTransaction, TxEip1559, crypto::secp256k1};
use alloy_genesis::{Genesis, GenesisAccount};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use phala_primitives::{
    ChainSpec, EthereumHardfork, OpHardfork, PhalaTxEnvelope, op_genesis_keys_through,
};
use phala_storage::Database;
use std::sync::Arc;

/// The secret key of the funded test account.
pub const TEST_SECRET: B256 = B256::repeat_byte(0x42);

/// The chain id of the test chain.
pub const TEST_CHAIN_ID: u64 = 1337;

/// The address of [`TEST_SECRET`].
pub fn test_sender() -> Address {
    let probe = B256::repeat_byte(1);
    let signature = secp256k1::sign_message(TEST_SECRET, probe).expect("valid key");
    secp256k1::recover_signer(&signature, probe).expect("valid signature")
}

/// A chain with every Ethereum fork up to Prague at genesis, a 30M gas limit and 1,000 ETH for
/// [`test_sender`].
pub fn test_spec() -> Arc<ChainSpec> {
    let mut genesis = Genesis { gas_limit: 30_000_000, ..Default::default() };
    genesis.config.chain_id = TEST_CHAIN_ID;
    genesis.alloc.insert(
        test_sender(),
        GenesisAccount { balance: U256::from(10u128.pow(21)), ..Default::default() },
    );
    Arc::new(ChainSpec::with_all_forks_up_to(
        EthereumHardfork::Prague,
        TEST_CHAIN_ID,
        genesis,
        Vec::new(),
        None,
    ))
}

/// An OP Stack chain: every Ethereum fork to Prague and every OP fork to Isthmus at genesis
/// (no predeploys: the L1-attributes deposit calls an empty L1Block, so L1 fees are zero), a
/// 30M gas limit, a 1 gwei base fee and 1,000 ETH for [`test_sender`].
pub fn op_test_spec() -> Arc<ChainSpec> {
    let mut config = serde_json::json!({ "chainId": TEST_CHAIN_ID, "terminalTotalDifficulty": 0 });
    let object = config.as_object_mut().expect("an object");
    for key in [
        "homesteadBlock",
        "eip150Block",
        "eip155Block",
        "eip158Block",
        "byzantiumBlock",
        "constantinopleBlock",
        "petersburgBlock",
        "istanbulBlock",
        "berlinBlock",
        "londonBlock",
        "mergeNetsplitBlock",
    ]
    .into_iter()
    .chain(op_genesis_keys_through(OpHardfork::Isthmus))
    {
        object.insert(key.to_string(), 0.into());
    }
    let genesis = serde_json::json!({
        "config": config,
        "gasLimit": "0x1c9c380",
        "difficulty": "0x0",
        "baseFeePerGas": "0x3b9aca00",
        "alloc": { test_sender().to_string(): { "balance": "0x3635c9adc5dea00000" } },
    });
    let genesis = serde_json::from_value(genesis).expect("a genesis");
    Arc::new(ChainSpec::from_genesis(genesis).expect("a valid OP spec"))
}

/// A temporary database holding the genesis of [`op_test_spec`].
pub fn temp_op_chain() -> (tempfile::TempDir, Database, Arc<ChainSpec>) {
    let spec = op_test_spec();
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = Database::open(dir.path()).expect("open database");
    init_genesis(&db, &spec).expect("genesis");
    (dir, db, spec)
}

/// The Isthmus L1-attributes deposit of an [`op_test_spec`] block whose parent is block
/// `parent_number` (a fixed L1 origin, so the sequence number counts the blocks).
pub fn l1_attributes_deposit(parent_number: u64) -> PhalaTxEnvelope {
    let info = phala_protocol::L1BlockInfo {
        number: 1,
        base_fee: U256::from(1_000_000_000u64),
        sequence_number: parent_number,
        ..Default::default()
    };
    info.deposit_tx(phala_protocol::L1InfoFormat::Isthmus, phala_protocol::OpSpecId::ISTHMUS).into()
}

/// A temporary database holding the genesis of [`test_spec`]; it lives as long as the directory.
pub fn temp_chain() -> (tempfile::TempDir, Database, Arc<ChainSpec>) {
    let spec = test_spec();
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = Database::open(dir.path()).expect("open database");
    init_genesis(&db, &spec).expect("genesis");
    (dir, db, spec)
}

/// An EIP-1559 transfer of `value` wei to `to` from [`test_sender`], signed.
pub fn signed_transfer(nonce: u64, to: Address, value: u64) -> PhalaTxEnvelope {
    let tx = TxEip1559 {
        chain_id: TEST_CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(to),
        value: U256::from(value),
        input: Bytes::new(),
        access_list: Default::default(),
    };
    let signature = secp256k1::sign_message(TEST_SECRET, tx.signature_hash()).expect("valid key");
    tx.into_signed(signature).into()
}

/// Every key and value of every table.
pub type DatabaseSnapshot = Vec<(phala_storage::Table, Vec<(Vec<u8>, Vec<u8>)>)>;

/// Every key and value of every table, to prove that a rejected block changed nothing.
pub fn database_snapshot(db: &Database) -> DatabaseSnapshot {
    use phala_storage::KeyValueRead;
    phala_storage::Table::ALL
        .iter()
        .map(|table| (*table, db.scan_prefix(*table, &[]).expect("a readable table")))
        .collect()
}
