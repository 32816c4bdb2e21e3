//! OP Stack blocks through the builder and the importer: the L1-attributes deposit first, the
//! deposit receipt, the Isthmus withdrawals root, and bad OP blocks refused with the database
//! unchanged.

use alloy_consensus::{EMPTY_ROOT_HASH, proofs::calculate_transaction_root};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, U256};
use alloy_rlp::Encodable;
use phala_chain::{
    BlockAttributes, BlockBuilder, BlockError, BlockImporter, ImportOutcome,
    test_utils::{
        DatabaseSnapshot, database_snapshot, l1_attributes_deposit, signed_transfer, temp_op_chain,
    },
};
use phala_primitives::{Block, ChainSpec, PhalaTxEnvelope, TxDeposit};
use phala_storage::{Database, KeyValueRead};
use std::sync::Arc;

struct OpChain {
    _dir: tempfile::TempDir,
    db: Database,
    spec: Arc<ChainSpec>,
}

impl OpChain {
    fn new() -> Self {
        let (dir, db, spec) = temp_op_chain();
        Self { _dir: dir, db, spec }
    }

    /// Block 1: the L1-attributes deposit, then `txs`.
    fn build(&self, txs: Vec<PhalaTxEnvelope>) -> Block {
        let attributes = BlockAttributes {
            timestamp: 2,
            beneficiary: Address::repeat_byte(0x11),
            parent_beacon_block_root: Some(Default::default()),
            transactions: vec![l1_attributes_deposit(0)],
            no_tx_pool: true,
            eip1559_params: Some([0; 8]),
            ..Default::default()
        };
        BlockBuilder::new(&self.db, self.spec.clone()).build(&attributes, txs).unwrap()
    }

    fn importer(&self) -> BlockImporter<'_> {
        BlockImporter::new(&self.db, self.spec.clone())
    }

    fn snapshot(&self) -> DatabaseSnapshot {
        database_snapshot(&self.db)
    }
}

fn transfer() -> PhalaTxEnvelope {
    signed_transfer(0, Address::repeat_byte(0x99), 1000)
}

#[test]
fn an_op_block_is_built_and_imported_with_its_deposit_receipt() {
    let builder = OpChain::new();
    let block = builder.build(vec![transfer()]);
    assert!(block.body.transactions[0].is_deposit());
    assert_eq!(block.header.excess_blob_gas, Some(0));
    // Isthmus: the (empty) L2ToL1MessagePasser's storage root.
    assert_eq!(block.header.withdrawals_root, Some(EMPTY_ROOT_HASH));
    let importer = OpChain::new();
    let outcome = importer.importer().import(&block).unwrap();
    assert!(
        matches!(outcome, ImportOutcome::Imported { number: 1, transactions: 2, .. }),
        "{outcome:?}"
    );
    let receipts = importer.db.receipts(block.header.hash_slow()).unwrap().unwrap();
    let deposit = receipts[0].as_deposit().expect("a deposit receipt");
    assert_eq!(deposit.deposit_nonce, Some(0));
    assert_eq!(deposit.deposit_receipt_version, Some(1));
    assert!(receipts[1].as_deposit().is_none() && receipts[1].status());
}

#[test]
fn an_op_block_without_the_l1_attributes_deposit_is_rejected_without_changes() {
    let builder = OpChain::new();
    let mut block = builder.build(vec![transfer()]);
    block.body.transactions.remove(0);
    block.header.transactions_root = calculate_transaction_root(&block.body.transactions);
    let importer = OpChain::new();
    let before = importer.snapshot();
    let err = importer.importer().import(&block).unwrap_err();
    assert!(matches!(err.source, BlockError::Body(_)), "{err}");
    assert!(err.to_string().contains("must be the L1-attributes deposit"), "{err}");
    assert_eq!(importer.snapshot(), before);
}

#[test]
fn a_malformed_deposit_is_rejected_without_changes() {
    let builder = OpChain::new();
    let block = builder.build(vec![transfer()]);
    let importer = OpChain::new();
    let before = importer.snapshot();

    // Bytes that are not a deposit: the deposit's RLP list claims one byte less than it has.
    let mut rlp = Vec::new();
    block.encode(&mut rlp);
    let deposit = block.body.transactions[0].encoded_2718();
    let at = rlp.windows(deposit.len()).position(|w| w == deposit).expect("the deposit bytes");
    let length_bytes = usize::from(deposit[1] - 0xf7);
    assert!((1..=2).contains(&length_bytes), "a long RLP list");
    assert_ne!(deposit[1 + length_bytes], 0, "no borrow needed");
    rlp[at + 1 + length_bytes] -= 1;
    let err = importer.importer().import_rlp(&rlp).unwrap_err();
    assert!(matches!(err.source, BlockError::Rlp(_)), "{err}");

    // A well-formed deposit the rules refuse: a system transaction after Regolith.
    let mut system = block.clone();
    let mut deposit: TxDeposit = block.body.transactions[0].as_deposit().unwrap().inner().clone();
    deposit.is_system_transaction = true;
    system.body.transactions[0] = deposit.into();
    system.header.transactions_root = calculate_transaction_root(&system.body.transactions);
    // (op-revm turns it into a failed deposit that uses all its gas, so the header's gas is
    // wrong.)
    let err = importer.importer().import(&system).unwrap_err();
    assert!(matches!(err.source, BlockError::GasUsed { .. }), "{err}");

    // A deposit that mints more than the block's gas allows to run.
    let mut greedy = block.clone();
    let user_deposit: PhalaTxEnvelope = TxDeposit {
        from: Address::repeat_byte(5),
        mint: 1,
        value: U256::from(1),
        gas_limit: 40_000_000,
        ..Default::default()
    }
    .into();
    greedy.body.transactions.insert(1, user_deposit);
    greedy.header.transactions_root = calculate_transaction_root(&greedy.body.transactions);
    let err = importer.importer().import(&greedy).unwrap_err();
    assert!(matches!(err.source, BlockError::Execution(_)), "{err}");

    assert_eq!(importer.snapshot(), before);
}

#[test]
fn a_failed_deposit_still_mints_and_bumps_the_nonce() {
    let builder = OpChain::new();
    let depositor = Address::repeat_byte(0x77);
    let mint = 5 * 10u128.pow(18);
    // Too little gas for its intrinsic cost: the deposit fails, as deposits do, in the block.
    let failing: PhalaTxEnvelope = TxDeposit {
        from: depositor,
        to: alloy_primitives::TxKind::Call(Address::repeat_byte(0x55)),
        mint,
        value: U256::from(10u64.pow(18)),
        gas_limit: 20_000,
        ..Default::default()
    }
    .into();
    let block = builder.build(vec![failing]);
    let importer = OpChain::new();
    importer.importer().import(&block).unwrap();
    let receipts = importer.db.receipts(block.header.hash_slow()).unwrap().unwrap();
    assert!(!receipts[1].status(), "the deposit failed");
    assert_eq!(receipts[1].as_deposit().unwrap().deposit_nonce, Some(0));
    let account = importer.db.stored_account(depositor).unwrap().expect("the depositor exists");
    assert_eq!(account.balance, U256::from(mint), "the mint stays, the value does not move");
    assert_eq!(account.nonce, 1, "the nonce is bumped");
    assert!(importer.db.stored_account(Address::repeat_byte(0x55)).unwrap().is_none());
    // A failed deposit uses all its gas (Regolith).
    assert_eq!(receipts[1].cumulative_gas_used() - receipts[0].cumulative_gas_used(), 20_000);
}
