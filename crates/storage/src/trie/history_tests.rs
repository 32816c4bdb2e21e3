//! Proofs at past blocks walked by hash through [`Table::TrieNodes`], checked against the
//! in-memory unwinding ([`unwound_state`]) as the oracle and against the state roots of the
//! blocks' headers.

use super::*;
use crate::{Database, StateWriter, tables::meta, unwound_state};
use alloy_primitives::Bytes;
use alloy_trie::proof::verify_proof;
use phala_primitives::{Account, AccountChange, BlockBody, Header, StateChanges};

/// A deterministic pseudo-random sequence (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const ACCOUNTS: u64 = 24;
/// The first accounts are contracts with storage.
const CONTRACTS: u64 = 6;
const SLOTS: u64 = 40;

fn address(i: u64) -> Address {
    Address::left_padding_from(&(i + 1).to_be_bytes())
}

/// One block of random changes: balances and nonces, storage writes and deletions (some slots
/// change in nearly every block), storage wipes (a self-destruct or re-creation) and account
/// removals.
fn random_changes(rng: &mut Rng) -> StateChanges {
    let mut changes = StateChanges::default();
    for _ in 0..8 {
        let i = rng.below(ACCOUNTS);
        let mut change = AccountChange::default();
        if rng.below(10) == 0 {
            // Removed (its storage goes with it).
            changes.accounts.insert(address(i), change);
            continue;
        }
        change.account = Some(Account {
            nonce: rng.below(1000),
            balance: U256::from(rng.next()),
            ..Account::default()
        });
        if i < CONTRACTS {
            change.storage_wiped = rng.below(12) == 0;
            for _ in 0..rng.below(10) {
                let slot = U256::from(rng.below(SLOTS));
                // A third of the writes delete the slot.
                let value = if rng.below(3) == 0 { U256::ZERO } else { U256::from(rng.next()) };
                change.storage.insert(slot, value);
            }
            // Slot 0 changes whenever the contract does, so its path is shadowed often.
            change.storage.insert(U256::ZERO, U256::from(rng.next() | 1));
        }
        changes.accounts.insert(address(i), change);
    }
    changes
}

/// Applies `changes` as canonical block `number` on top of `parent`; returns its header.
fn apply_block(db: &Database, parent: B256, number: u64, changes: &StateChanges) -> Header {
    let mut writes = db.write_set();
    let mut writer = StateWriter::new(&mut writes);
    let state_root = writer.apply_state_changes(number, changes).unwrap();
    let header = Header { number, parent_hash: parent, state_root, ..Header::default() };
    let hash = header.hash_slow();
    writer.insert_block(hash, &header, &BlockBody::default(), &[]);
    writer.make_canonical(hash, number, &[]);
    writes.commit().unwrap();
    header
}

/// A chain of `blocks` blocks of random changes after a genesis block; the headers, genesis
/// first.
fn build_chain(db: &Database, blocks: u64, seed: u64) -> Vec<Header> {
    let mut rng = Rng(seed);
    let mut headers = vec![apply_block(db, B256::ZERO, 0, &random_changes(&mut rng))];
    for number in 1..=blocks {
        let parent = headers.last().unwrap().hash_slow();
        headers.push(apply_block(db, parent, number, &random_changes(&mut rng)));
    }
    headers
}

/// Every account of the pool plus one that never exists, each with a few slots.
fn all_proofs<R: KeyValueRead>(reader: TrieReader<'_, R>) -> Vec<AccountProof> {
    let slots: Vec<U256> = [0, 1, 7, 39, 1000].into_iter().map(U256::from).collect();
    (0..=ACCOUNTS).map(|i| reader.account_proof(address(i), &slots).unwrap()).collect()
}

fn as_bytes(proof: &[Vec<u8>]) -> Vec<Bytes> {
    proof.iter().cloned().map(Bytes::from).collect()
}

/// Checks every proof against the state root `root`, as a light client would.
fn verify(root: B256, addresses: impl Iterator<Item = Address>, proofs: &[AccountProof]) {
    for (address, proof) in addresses.zip(proofs) {
        let leaf = proof.account.map(|account| alloy_rlp::encode(account.trie_account()));
        verify_proof(root, Nibbles::unpack(keccak256(address)), leaf, &as_bytes(&proof.proof))
            .unwrap_or_else(|err| panic!("account {address}: {err:?}"));
        let storage_root = proof.account.map_or(EMPTY_ROOT_HASH, |account| account.storage_root);
        for slot in &proof.storage {
            let value = (!slot.value.is_zero()).then(|| alloy_rlp::encode(slot.value));
            let key = Nibbles::unpack(keccak256(slot.slot.to_be_bytes::<32>()));
            verify_proof(storage_root, key, value, &as_bytes(&slot.proof))
                .unwrap_or_else(|err| panic!("account {address} slot {}: {err:?}", slot.slot));
        }
    }
}

/// Checks the historical proofs at `number` against the unwinding oracle and the header.
fn check_past_block(db: &Database, header: &Header) {
    let number = header.number;
    let proofs = all_proofs(TrieReader::at(db, number, header.state_root));
    let unwound = unwound_state(db, number).unwrap();
    assert_eq!(proofs, all_proofs(TrieReader::latest(&unwound)), "block {number}");
    verify(header.state_root, (0..=ACCOUNTS).map(address), &proofs);
}

fn past<'a>(db: &'a Database, header: &Header) -> TrieReader<'a, Database> {
    TrieReader::at(db, header.number, header.state_root)
}

#[test]
fn past_proofs_match_unwound_state_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let headers = build_chain(&db, 120, 0x2545f4914f6cdd1d);
    // The random changes really do remove accounts and wipe storage, and shadow old nodes.
    let removed = (0..ACCOUNTS).filter(|i| db.stored_account(address(*i)).unwrap().is_none());
    assert!(removed.count() > 0);
    for number in [0, 1, 2, 17, 59, 60, 100, 119, 120] {
        check_past_block(&db, &headers[number]);
    }
    // At the head, the walk by hash and the latest reads by path agree.
    assert_eq!(all_proofs(past(&db, &headers[120])), all_proofs(TrieReader::latest(&db)));
}

#[test]
fn proofs_differ_between_blocks() {
    // Guards the test above against comparing equal-but-trivial proofs: the state does change.
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let headers = build_chain(&db, 20, 0x9e3779b97f4a7c15);
    assert_ne!(all_proofs(past(&db, &headers[5])), all_proofs(past(&db, &headers[6])));
    assert_ne!(all_proofs(past(&db, &headers[5])), all_proofs(TrieReader::latest(&db)));
}

#[test]
fn every_node_referenced_by_hash_is_kept_by_hash() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    build_chain(&db, 10, 0x0123456789abcdef);
    let nodes = db.scan_prefix(Table::TrieNodes, &[]).unwrap();
    assert!(!nodes.is_empty());
    for (hash, node) in &nodes {
        assert_eq!(hash.as_slice(), keccak256(node).as_slice());
    }
    let by_hash = |node: &[u8]| db.get(Table::TrieNodes, keccak256(node).as_slice()).unwrap();
    let storage = db.scan_prefix(Table::StorageTrie, &[]).unwrap();
    // Every current node a parent refers to by hash, and every root, is there.
    for (key, node) in &storage {
        if key.len() == 32 || node.len() >= 32 {
            assert_eq!(by_hash(node).as_ref(), Some(node));
        }
    }
    let state_root = db.get(Table::AccountTrie, &[]).unwrap().unwrap();
    assert!(by_hash(&state_root).is_some());
}

#[test]
fn short_nodes_are_inlined_unless_roots() {
    let short = [0xc2, 0x20, 0x01];
    assert!(!is_hashed_node(Table::AccountTrie, &[3], &short));
    assert!(!is_hashed_node(Table::StorageTrie, &[7; 33], &short));
    assert!(is_hashed_node(Table::AccountTrie, &[], &short));
    assert!(is_hashed_node(Table::StorageTrie, &[7; 32], &short));
    assert!(is_hashed_node(Table::StorageTrie, &[7; 40], &[0x80; 32]));
}

#[test]
fn unwound_blocks_leave_past_proofs_intact() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let headers = build_chain(&db, 40, 0xdeadbeefcafef00d);
    for _ in 0..5 {
        let mut writes = db.write_set();
        StateWriter::new(&mut writes).unwind_head().unwrap();
        writes.commit().unwrap();
    }
    let head = db.head_header().unwrap();
    assert_eq!(head.number, 35);
    // The head's proofs by hash are the latest proofs, and the past is intact.
    assert_eq!(all_proofs(past(&db, &headers[35])), all_proofs(TrieReader::latest(&db)));
    check_past_block(&db, &headers[20]);
    // A different block 36 on top: its proofs are its own.
    let mut rng = Rng(7);
    let header = apply_block(&db, head.hash_slow(), 36, &random_changes(&mut rng));
    assert_ne!(header.state_root, headers[36].state_root);
    check_past_block(&db, &headers[35]);
    check_past_block(&db, &header);
}

#[test]
fn fresh_database_is_marked() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    assert!(db.get(Table::Meta, meta::TRIE_NODES).unwrap().is_some());
}

/// Removes every node kept by hash and the marker: the database as an older version left it.
fn forget_trie_nodes(db: &Database) {
    let mut writes = db.write_set();
    for (key, _) in db.scan_prefix(Table::TrieNodes, &[]).unwrap() {
        writes.delete(Table::TrieNodes, key);
    }
    writes.delete(Table::Meta, meta::TRIE_NODES);
    writes.commit().unwrap();
    assert!(db.scan_prefix(Table::TrieNodes, &[]).unwrap().is_empty());
}

#[test]
fn backfill_of_an_old_database_gives_the_same_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let (headers, expected, nodes) = {
        let db = Database::open(dir.path()).unwrap();
        let headers = build_chain(&db, 60, 0x1234567887654321);
        let expected: Vec<_> =
            [3, 30, 59].into_iter().map(|n| all_proofs(past(&db, &headers[n]))).collect();
        let nodes = db.scan_prefix(Table::TrieNodes, &[]).unwrap();
        forget_trie_nodes(&db);
        (headers, expected, nodes)
    };
    let db = Database::open(dir.path()).unwrap();
    assert!(db.get(Table::Meta, meta::TRIE_NODES).unwrap().is_some());
    // The backfill finds every version the blocks wrote (and no other).
    assert_eq!(db.scan_prefix(Table::TrieNodes, &[]).unwrap(), nodes);
    for (n, proofs) in [3, 30, 59].into_iter().zip(&expected) {
        assert_eq!(&all_proofs(past(&db, &headers[n])), proofs, "block {n}");
        check_past_block(&db, &headers[n]);
    }
}

#[test]
fn backfill_does_not_rerun_once_marked() {
    let dir = tempfile::tempdir().unwrap();
    let headers = {
        let db = Database::open(dir.path()).unwrap();
        let headers = build_chain(&db, 3, 11);
        let mut writes = db.write_set();
        for (key, _) in db.scan_prefix(Table::TrieNodes, &[]).unwrap() {
            writes.delete(Table::TrieNodes, key);
        }
        writes.commit().unwrap();
        headers
    };
    let db = Database::open(dir.path()).unwrap();
    assert!(db.scan_prefix(Table::TrieNodes, &[]).unwrap().is_empty());
    // Without its nodes a past proof is a clear error, not a wrong answer.
    let err = past(&db, &headers[1]).account_proof(address(0), &[]).unwrap_err();
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err:?}");
}
