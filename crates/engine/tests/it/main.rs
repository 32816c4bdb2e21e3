//! The engine's pipeline: insert, fork choice, building and sealing, on a real RocksDB.

use alloy_primitives::{Address, B256, U256};
use phala_chain::{
    BlockError,
    test_utils::{signed_transfer, temp_chain},
};
use phala_engine::{BlockAttributes, Engine, ImportOutcome, InsertOutcome};
use phala_pool::{PoolConfig, TxPool};
use phala_primitives::TxEnvelope;
use phala_storage::KeyValueRead;
use std::sync::Arc;

const RECIPIENT: Address = Address::repeat_byte(0x77);

struct TestEngine {
    _dir: tempfile::TempDir,
    engine: Engine,
}

impl TestEngine {
    fn new() -> Self {
        let (dir, db, spec) = temp_chain();
        let engine = Engine::new(Arc::new(db), spec, TxPool::new(PoolConfig::default()));
        Self { _dir: dir, engine }
    }

    fn head(&self) -> B256 {
        self.engine.db().head_hash().unwrap()
    }

    fn recipient_balance(&self) -> U256 {
        self.engine.db().stored_account(RECIPIENT).unwrap().map(|a| a.balance).unwrap_or_default()
    }
}

fn transfer(nonce: u64, value: u64) -> TxEnvelope {
    TxEnvelope::try_from(signed_transfer(nonce, RECIPIENT, value)).expect("an Ethereum transfer")
}

fn attributes(timestamp: u64) -> BlockAttributes {
    BlockAttributes { timestamp, parent_beacon_block_root: Some(B256::ZERO), ..Default::default() }
}

#[test]
fn inserted_blocks_wait_for_fork_choice_which_reorganises_between_them() {
    let node = TestEngine::new();
    let genesis = node.head();
    let a = node.engine.build_payload(&attributes(1), Some(vec![transfer(0, 1)])).unwrap();
    let b = node.engine.build_payload(&attributes(2), Some(vec![transfer(0, 2)])).unwrap();
    assert_ne!(a.hash, b.hash);

    for payload in [&a, &b] {
        assert_eq!(
            node.engine.insert_block(&payload.block).unwrap(),
            InsertOutcome::Inserted(payload.hash)
        );
        assert_eq!(node.head(), genesis, "insert does not move the head");
        assert!(node.engine.db().header(payload.hash).unwrap().is_some(), "stored");
    }
    assert_eq!(node.engine.insert_block(&a.block).unwrap(), InsertOutcome::AlreadyKnown(a.hash));
    assert_eq!(node.recipient_balance(), U256::ZERO);

    let outcome = node.engine.make_canonical(a.hash).unwrap();
    assert!(matches!(outcome, ImportOutcome::Imported { number: 1, reorg_depth: 0, .. }));
    assert_eq!((node.head(), node.recipient_balance()), (a.hash, U256::from(1)));

    let outcome = node.engine.make_canonical(b.hash).unwrap();
    assert!(matches!(outcome, ImportOutcome::Imported { number: 1, reorg_depth: 1, .. }));
    assert_eq!((node.head(), node.recipient_balance()), (b.hash, U256::from(2)));
    assert_eq!(node.engine.db().canonical_hash(1).unwrap(), Some(b.hash));

    // Back to an ancestor: the blocks above it are unwound.
    let outcome = node.engine.make_canonical(genesis).unwrap();
    assert!(matches!(outcome, ImportOutcome::Imported { number: 0, reorg_depth: 1, .. }));
    assert_eq!((node.head(), node.recipient_balance()), (genesis, U256::ZERO));
    assert_eq!(node.engine.db().canonical_hash(1).unwrap(), None);

    // A block whose kept writes are gone (they were committed and unwound) is executed again
    // from its stored data.
    node.engine.make_canonical(a.hash).unwrap();
    assert_eq!((node.head(), node.recipient_balance()), (a.hash, U256::from(1)));
    assert_eq!(
        node.engine.make_canonical(a.hash).unwrap(),
        ImportOutcome::AlreadyCanonical(a.hash)
    );
}

#[test]
fn an_invalid_block_is_refused_and_nothing_is_written() {
    let node = TestEngine::new();
    let genesis = node.head();
    let mut block =
        node.engine.build_payload(&attributes(1), Some(vec![transfer(0, 1)])).unwrap().block;
    block.header.gas_used += 1;
    let hash = block.header.hash_slow();
    let err = node.engine.insert_block(&block).unwrap_err();
    assert!(matches!(err.source, BlockError::GasUsed { .. }), "{err}");
    assert_eq!(node.head(), genesis);
    assert!(node.engine.db().header(hash).unwrap().is_none());
    let err = node.engine.make_canonical(hash).unwrap_err();
    assert!(matches!(err.source, BlockError::UnknownBlock(unknown) if unknown == hash), "{err}");
}

#[test]
fn a_sealed_block_becomes_the_head_and_leaves_the_pool_empty() {
    let node = TestEngine::new();
    let mut heads = node.engine.subscribe_heads();
    assert_eq!(node.engine.seal_block(&attributes(1), true).unwrap().map(|(o, _)| o), None);
    node.engine.submit_transaction(transfer(0, 5)).unwrap();
    node.engine.submit_transaction(transfer(1, 6)).unwrap();
    assert_eq!(node.engine.pool().status(), (2, 0));

    let (outcome, payload) = node.engine.seal_block(&attributes(1), true).unwrap().unwrap();
    assert!(matches!(outcome, ImportOutcome::Imported { number: 1, transactions: 2, .. }));
    assert_eq!(node.head(), payload.hash);
    assert_eq!(node.recipient_balance(), U256::from(11));
    assert_eq!(node.engine.pool().status(), (0, 0));
    let event = heads.try_recv().unwrap();
    assert_eq!((event.hash, event.header.number), (payload.hash, 1));
    // The sealed block's stored receipts and transaction index are in place.
    assert_eq!(node.engine.db().receipts(payload.hash).unwrap().map(|r| r.len()), Some(2));
}

#[test]
fn a_block_built_on_a_head_that_moved_is_executed_on_its_own_parent() {
    let node = TestEngine::new();
    let a = node.engine.build_payload(&attributes(1), Some(vec![transfer(0, 1)])).unwrap();
    node.engine.submit_transaction(transfer(0, 3)).unwrap();
    // Another block takes the head before `a` arrives through newPayload.
    let (_, sealed) = node.engine.seal_block(&attributes(2), true).unwrap().unwrap();
    assert_eq!(node.head(), sealed.hash);
    assert_eq!(node.engine.insert_block(&a.block).unwrap(), InsertOutcome::Inserted(a.hash));
    node.engine.make_canonical(a.hash).unwrap();
    assert_eq!((node.head(), node.recipient_balance()), (a.hash, U256::from(1)));
}

/// The value of the unlabelled series `name` on the engine's metrics page.
fn metric(engine: &Engine, name: &str) -> u64 {
    let mut page = phala_metrics::Exposition::new();
    engine.metrics().encode(&mut page);
    let page = page.finish();
    page.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no integer {name} on the page:\n{page}"))
}

#[test]
fn metrics_count_sealed_and_imported_blocks_and_time_each_stage() {
    let sequencer = TestEngine::new();
    let mut blocks = Vec::new();
    for nonce in 0..2 {
        sequencer.engine.submit_transaction(transfer(nonce, 1)).unwrap();
        let (_, payload) =
            sequencer.engine.seal_block(&attributes(nonce + 1), true).unwrap().unwrap();
        blocks.push(payload);
    }
    let engine = &sequencer.engine;
    assert_eq!(metric(engine, "phala_chain_blocks_sealed_total"), 2);
    assert_eq!(metric(engine, "phala_engine_block_build_seconds_count"), 2);
    assert_eq!(metric(engine, "phala_engine_block_commit_seconds_count"), 2);
    assert_eq!(metric(engine, "phala_chain_blocks_imported_total"), 0);
    assert_eq!(metric(engine, "phala_chain_transactions_processed_total"), 2);
    assert_eq!(metric(engine, "phala_chain_gas_processed_total"), 2 * 21_000);

    // A follower: the first block in one import, the second inserted and then made the head.
    let follower = TestEngine::new();
    let engine = &follower.engine;
    assert!(matches!(
        engine.import_block(&blocks[0].block).unwrap(),
        ImportOutcome::Imported { .. }
    ));
    assert_eq!(
        engine.insert_block(&blocks[1].block).unwrap(),
        InsertOutcome::Inserted(blocks[1].hash)
    );
    assert_eq!(
        metric(engine, "phala_chain_transactions_processed_total"),
        1,
        "inserted is not head"
    );
    engine.make_canonical(blocks[1].hash).unwrap();
    assert_eq!(
        engine.make_canonical(blocks[1].hash).unwrap(),
        ImportOutcome::AlreadyCanonical(blocks[1].hash)
    );
    assert_eq!(metric(engine, "phala_chain_blocks_imported_total"), 2);
    assert_eq!(metric(engine, "phala_engine_block_import_seconds_count"), 2);
    assert_eq!(
        metric(engine, "phala_engine_block_commit_seconds_count"),
        1,
        "a no-op is not timed"
    );
    assert_eq!(metric(engine, "phala_chain_blocks_sealed_total"), 0);
    assert_eq!(metric(engine, "phala_engine_block_build_seconds_count"), 0);
    assert_eq!(metric(engine, "phala_chain_transactions_processed_total"), 2);
    assert_eq!(metric(engine, "phala_chain_gas_processed_total"), 2 * 21_000);
}
