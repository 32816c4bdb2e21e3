use alloy_consensus::{
    SignableTransaction, TxEip4844, TxEip4844Variant, TxEip4844WithSidecar, crypto::secp256k1,
    proofs::calculate_transaction_root,
};
use alloy_eips::{
    eip4844::{BlobTransactionSidecar, Bytes48, DATA_GAS_PER_BLOB},
    eip7594::BlobTransactionSidecarVariant,
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rlp::Encodable;
use phala_chain::{
    BlockAttributes, BlockBuilder, BlockError, BlockImporter, ImportOutcome,
    validation::carries_blob_sidecar,
};
use phala_primitives::{Block, ChainSpec, PhalaTxEnvelope};
use phala_storage::{Database, KeyValueRead};
use std::sync::Arc;

use phala_chain::test_utils::{
    DatabaseSnapshot, TEST_SECRET as SECRET, database_snapshot, signed_transfer, temp_chain,
    test_sender,
};

struct TestChain {
    _dir: tempfile::TempDir,
    db: Database,
    spec: Arc<ChainSpec>,
    sender: Address,
    nonce: u64,
}

impl TestChain {
    fn new() -> Self {
        let (dir, db, spec) = temp_chain();
        Self { _dir: dir, db, spec, sender: test_sender(), nonce: 0 }
    }

    fn transfer(&mut self, to: Address, value: u64) -> PhalaTxEnvelope {
        self.nonce += 1;
        signed_transfer(self.nonce - 1, to, value)
    }

    /// A one-blob transaction in the network form a pool receives: with blob, commitment and
    /// proof (not KZG-valid; nothing here checks them).
    fn blob_tx_with_sidecar(&mut self) -> PhalaTxEnvelope {
        let sidecar = BlobTransactionSidecar::new(
            vec![Default::default()],
            vec![Bytes48::repeat_byte(0xc0)],
            vec![Bytes48::repeat_byte(0xf0)],
        );
        let tx = TxEip4844 {
            chain_id: 1337,
            nonce: self.nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: 1,
            to: Address::repeat_byte(0x77),
            value: U256::from(1),
            access_list: Default::default(),
            blob_versioned_hashes: sidecar.versioned_hashes().collect(),
            max_fee_per_blob_gas: 10_000_000_000,
            input: Bytes::new(),
        };
        self.nonce += 1;
        let signature = secp256k1::sign_message(SECRET, tx.signature_hash()).unwrap();
        let pooled =
            TxEip4844Variant::TxEip4844WithSidecar(TxEip4844WithSidecar::from_tx_and_sidecar(
                tx,
                BlobTransactionSidecarVariant::Eip4844(sidecar),
            ));
        PhalaTxEnvelope::Eip4844(pooled.into_signed(signature))
    }

    /// Builds (without importing) a block on the head.
    fn build(&mut self, timestamp: u64, txs: Vec<PhalaTxEnvelope>) -> Block {
        let attributes = BlockAttributes {
            timestamp,
            beneficiary: Address::repeat_byte(0xbe),
            ..Default::default()
        };
        BlockBuilder::new(&self.db, self.spec.clone()).build(&attributes, txs).unwrap()
    }

    fn importer(&self) -> BlockImporter<'_> {
        BlockImporter::new(&self.db, self.spec.clone())
    }

    /// Every key and value of every table, to prove that a rejected block changed nothing.
    fn snapshot(&self) -> DatabaseSnapshot {
        database_snapshot(&self.db)
    }

    fn balance(&self, address: Address) -> U256 {
        self.db.stored_account(address).unwrap().map(|a| a.balance).unwrap_or_default()
    }
}

fn rlp(block: &Block) -> Vec<u8> {
    let mut out = Vec::new();
    block.encode(&mut out);
    out
}

#[test]
fn builds_and_imports_blocks_with_transfers() {
    let mut chain = TestChain::new();
    let recipient = Address::repeat_byte(0x99);
    let tx = chain.transfer(recipient, 1000);
    let block = chain.build(12, vec![tx]);
    let outcome = chain.importer().import(&block).unwrap();
    assert!(matches!(outcome, ImportOutcome::Imported { number: 1, transactions: 1, .. }));
    assert_eq!(chain.balance(recipient), U256::from(1000));
    // The sender paid the value plus 21000 gas at a positive price.
    assert!(chain.balance(chain.sender) < U256::from(10u128.pow(21) - 1000 - 21_000));
    assert_eq!(chain.db.head_hash().unwrap(), block.header.hash_slow());
    // Importing the same block again is a no-op.
    assert_eq!(
        chain.importer().import(&block).unwrap(),
        ImportOutcome::AlreadyCanonical(block.header.hash_slow())
    );
}

#[test]
fn blob_transactions_enter_blocks_without_their_sidecar() {
    let mut chain = TestChain::new();
    let pooled = chain.blob_tx_with_sidecar();
    assert!(carries_blob_sidecar(&pooled));
    let block = chain.build(12, vec![pooled.clone()]);
    let [included] = &block.body.transactions[..] else { panic!("one transaction") };
    assert!(!carries_blob_sidecar(included));
    assert_eq!(included.tx_hash(), pooled.tx_hash(), "the hash covers the canonical form");
    assert_eq!(block.header.blob_gas_used, Some(DATA_GAS_PER_BLOB));
    let outcome = chain.importer().import(&block).unwrap();
    assert!(matches!(outcome, ImportOutcome::Imported { number: 1, transactions: 1, .. }));
}

#[test]
fn a_block_carrying_a_blob_sidecar_is_rejected_without_changes() {
    let mut chain = TestChain::new();
    let pooled = chain.blob_tx_with_sidecar();
    let mut block = chain.build(12, vec![pooled.clone()]);
    // The network form in the body, with a transactions root that matches it: only the form
    // is wrong (EEST `test_reject_valid_full_blob_in_block_rlp`).
    block.body.transactions = vec![pooled];
    block.header.transactions_root = calculate_transaction_root(&block.body.transactions);
    let before = chain.snapshot();
    let err = chain.importer().import(&block).unwrap_err();
    assert!(
        matches!(&err.source, BlockError::Body(message) if message.contains("sidecar")),
        "{err}"
    );
    assert_eq!(chain.snapshot(), before);
}

#[test]
fn malformed_rlp_is_rejected_without_changes() {
    let mut chain = TestChain::new();
    let tx = chain.transfer(Address::repeat_byte(1), 1);
    let block = chain.build(12, vec![tx]);
    let before = chain.snapshot();
    let mut bytes = rlp(&block);
    bytes.truncate(bytes.len() - 3);
    let err = chain.importer().import_rlp(&bytes).unwrap_err();
    assert!(matches!(err.source, BlockError::Rlp(_)), "{err}");
    let mut trailing = rlp(&block);
    trailing.push(0x80);
    assert!(matches!(
        chain.importer().import_rlp(&trailing).unwrap_err().source,
        BlockError::Rlp(_)
    ));
    assert!(chain.importer().import_rlp(&[0xc0]).is_err());
    assert_eq!(chain.snapshot(), before);
}

#[test]
fn unknown_parent_is_rejected_without_changes() {
    let mut chain = TestChain::new();
    let mut block = chain.build(12, Vec::new());
    block.header.parent_hash = B256::repeat_byte(0xab);
    let before = chain.snapshot();
    let err = chain.importer().import(&block).unwrap_err();
    assert!(
        matches!(err.source, BlockError::UnknownParent(hash) if hash == B256::repeat_byte(0xab))
    );
    assert!(err.to_string().contains("block #1"), "{err}");
    assert_eq!(chain.snapshot(), before);
}

#[test]
fn bad_state_root_is_rejected_without_changes() {
    let mut chain = TestChain::new();
    let tx = chain.transfer(Address::repeat_byte(2), 5);
    let mut block = chain.build(12, vec![tx]);
    block.header.state_root = B256::repeat_byte(0x55);
    let before = chain.snapshot();
    let err = chain.importer().import(&block).unwrap_err();
    assert!(matches!(err.source, BlockError::StateRoot { .. }), "{err}");
    assert_eq!(chain.snapshot(), before);
}

#[test]
fn reorg_to_a_sibling_branch_and_back() {
    let mut chain = TestChain::new();
    let a = Address::repeat_byte(0xa1);
    let b = Address::repeat_byte(0xb1);
    let genesis_snapshot = chain.snapshot();

    // Branch A: two blocks paying `a`.
    let tx = chain.transfer(a, 100);
    let a1 = chain.build(12, vec![tx]);
    chain.importer().import(&a1).unwrap();
    let tx = chain.transfer(a, 100);
    let a2 = chain.build(24, vec![tx]);
    chain.importer().import(&a2).unwrap();
    assert_eq!(chain.balance(a), U256::from(200));

    // Branch B on genesis: built from a fresh database at genesis, then imported here.
    let mut other = TestChain::new();
    let tx = other.transfer(b, 7);
    let b1 = other.build(13, vec![tx]);
    let outcome = chain.importer().import(&b1).unwrap();
    assert!(matches!(outcome, ImportOutcome::Imported { reorg_depth: 2, .. }));
    assert_eq!(chain.db.head_hash().unwrap(), b1.header.hash_slow());
    assert_eq!(chain.balance(a), U256::ZERO);
    assert_eq!(chain.balance(b), U256::from(7));
    assert_eq!(chain.db.canonical_hash(2).unwrap(), None);
    assert_eq!(chain.db.tx_location(*a1.body.transactions[0].tx_hash()).unwrap(), None);

    // Back to branch A by extending it: a3 on a2 re-applies a1 and a2.
    let tx = chain.transfer(a, 100);
    let third = chain.build_on_branch(&a2, 36, vec![tx]);
    let outcome = chain.importer().import(&third).unwrap();
    assert!(matches!(outcome, ImportOutcome::Imported { reorg_depth: 1, .. }));
    assert_eq!(chain.balance(a), U256::from(300));
    assert_eq!(chain.balance(b), U256::ZERO);
    assert_ne!(chain.snapshot(), genesis_snapshot);
}

impl TestChain {
    /// Builds a block on `parent` by replaying the branch on a fresh database.
    fn build_on_branch(
        &mut self,
        parent: &Block,
        timestamp: u64,
        txs: Vec<PhalaTxEnvelope>,
    ) -> Block {
        let fresh = Self::new();
        let mut branch = vec![parent.clone()];
        let mut cursor = parent.header.parent_hash;
        while cursor != fresh.spec.genesis_hash() {
            let header = self.db.header(cursor).unwrap().unwrap();
            let body = self.db.body(cursor).unwrap().unwrap();
            cursor = header.parent_hash;
            branch.push(Block { header, body });
        }
        for block in branch.iter().rev() {
            fresh.importer().import(block).unwrap();
        }
        let attributes = BlockAttributes {
            timestamp,
            beneficiary: Address::repeat_byte(0xbe),
            ..Default::default()
        };
        BlockBuilder::new(&fresh.db, fresh.spec.clone()).build(&attributes, txs).unwrap()
    }
}
