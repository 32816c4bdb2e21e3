//! Witness reads and seeding checked against a database built by the node's own writer, and the
//! post-state roots against alloy-trie's `HashBuilder` over the full final state.

use super::*;
use crate::{Database, KeyValueRead, LatestState, StateWriter, StorageError, trie::TrieUpdater};
use alloy_primitives::address;
use alloy_trie::HashBuilder;
use phala_primitives::AccountChange;
use std::collections::BTreeSet;

/// A deterministic pseudo-random sequence (xorshift64).
struct Prng(u64);

impl Prng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The full plain state, as the independent model of what the tries must hold.
#[derive(Debug, Clone, Default)]
struct Model {
    accounts: BTreeMap<Address, (Account, BTreeMap<U256, U256>)>,
}

impl Model {
    fn apply(&mut self, changes: &StateChanges) {
        for (address, change) in &changes.accounts {
            let Some(account) = change.account else {
                self.accounts.remove(address);
                continue;
            };
            let entry = self.accounts.entry(*address).or_insert((account, BTreeMap::new()));
            entry.0 = account;
            if change.storage_wiped {
                entry.1.clear();
            }
            for (slot, value) in &change.storage {
                if value.is_zero() {
                    entry.1.remove(slot);
                } else {
                    entry.1.insert(*slot, *value);
                }
            }
        }
    }

    /// The state root, computed from scratch with alloy-trie's `HashBuilder`.
    fn root(&self) -> B256 {
        let leaves = self.accounts.iter().map(|(address, (account, storage))| {
            let storage_root = hash_builder_root(storage.iter().map(|(slot, value)| {
                (keccak256(slot.to_be_bytes::<32>()), alloy_rlp::encode(value))
            }));
            let leaf = TrieAccount {
                nonce: account.nonce,
                balance: account.balance,
                storage_root,
                code_hash: account.code_hash,
            };
            (keccak256(address), alloy_rlp::encode(leaf))
        });
        hash_builder_root(leaves)
    }
}

fn hash_builder_root(leaves: impl Iterator<Item = (B256, Vec<u8>)>) -> B256 {
    // HashBuilder takes leaves in key order.
    let sorted: BTreeMap<B256, Vec<u8>> = leaves.collect();
    let mut builder = HashBuilder::default();
    for (key, value) in &sorted {
        builder.add_leaf(Nibbles::unpack(key), value);
    }
    builder.root()
}

fn address_of(index: u64) -> Address {
    Address::from_word(keccak256(index.to_be_bytes()))
}

fn random_account(rng: &mut Prng, code_hash: B256) -> Account {
    Account { nonce: rng.below(1000), balance: U256::from(rng.next()), code_hash }
}

/// Hundreds of accounts: plain ones, contracts with code, some with storage.
fn genesis(rng: &mut Prng) -> StateChanges {
    let mut changes = StateChanges::default();
    for index in 0..400 {
        let mut code_hash = KECCAK_EMPTY;
        if rng.chance(30) {
            let code: Bytes = (0..1 + rng.below(200)).map(|_| rng.next() as u8).collect();
            code_hash = keccak256(&code);
            changes.bytecodes.insert(code_hash, code);
        }
        let mut storage = BTreeMap::new();
        if rng.chance(40) {
            for _ in 0..1 + rng.below(40) {
                storage.insert(U256::from(rng.below(64)), U256::from(1 + rng.below(1 << 40)));
            }
        }
        let change = AccountChange {
            account: Some(random_account(rng, code_hash)),
            storage_wiped: false,
            storage,
        };
        changes.accounts.insert(address_of(index), change);
    }
    changes
}

/// A block's worth of changes over `model`: balance updates, new accounts, storage writes and
/// deletions to zero, a balance change to a contract whose storage is untouched, an account
/// touched without change, a deletion and a self-destruct-and-recreate.
fn further_changes(rng: &mut Prng, model: &Model) -> StateChanges {
    let mut changes = StateChanges::default();
    let with_storage: Vec<Address> =
        model.accounts.iter().filter(|(_, (_, s))| s.len() > 3).map(|(a, _)| *a).collect();
    let all: Vec<Address> = model.accounts.keys().copied().collect();

    for _ in 0..40 {
        let address = all[rng.below(all.len() as u64) as usize];
        let (account, _) = model.accounts[&address];
        let account =
            Account { balance: U256::from(rng.next()), nonce: account.nonce + 1, ..account };
        changes
            .accounts
            .insert(address, AccountChange { account: Some(account), ..Default::default() });
    }
    for index in 1000..1010 {
        let account = random_account(rng, KECCAK_EMPTY);
        let mut storage = BTreeMap::new();
        if index % 3 == 0 {
            storage.insert(U256::from(7), U256::from(70));
        }
        changes.accounts.insert(
            address_of(index),
            AccountChange { account: Some(account), storage_wiped: false, storage },
        );
    }
    // Storage writes and deletions; deleting most slots of a small trie collapses its branches.
    for &address in with_storage.iter().take(12) {
        let (account, storage) = &model.accounts[&address];
        let mut written = BTreeMap::new();
        for (slot, _) in storage.iter().filter(|_| rng.chance(60)) {
            written.insert(*slot, U256::ZERO);
        }
        for _ in 0..3 {
            written.insert(U256::from(64 + rng.below(64)), U256::from(rng.next()));
        }
        if let Some((slot, value)) = storage.iter().next() {
            written.insert(*slot, *value + U256::from(1));
        }
        changes.accounts.insert(
            address,
            AccountChange { account: Some(*account), storage_wiped: false, storage: written },
        );
    }
    let mut rest = with_storage.iter().skip(12);
    // A contract with storage whose balance changes while its storage is not touched.
    let untouched = *rest.next().unwrap();
    let (account, _) = model.accounts[&untouched];
    changes.accounts.insert(
        untouched,
        AccountChange {
            account: Some(Account { balance: account.balance + U256::from(1), ..account }),
            ..Default::default()
        },
    );
    // Touched without any change (as a read-only access that execution still reports).
    let same = *rest.next().unwrap();
    changes.accounts.insert(
        same,
        AccountChange { account: Some(model.accounts[&same].0), ..Default::default() },
    );
    // Deleted with its storage.
    let deleted = *rest.next().unwrap();
    changes.accounts.insert(deleted, AccountChange { account: None, ..Default::default() });
    // Self-destructed and re-created in the block: old storage wiped, one new slot.
    let recreated = *rest.next().unwrap();
    changes.accounts.insert(
        recreated,
        AccountChange {
            account: Some(Account { nonce: 1, balance: U256::from(5), code_hash: KECCAK_EMPTY }),
            storage_wiped: true,
            storage: BTreeMap::from([(U256::from(1), U256::from(11))]),
        },
    );
    changes
}

/// Applies `changes` as block `number` and commits; the new state root.
fn apply(db: &Database, number: u64, changes: &StateChanges) -> B256 {
    let mut writes = db.write_set();
    let root = StateWriter::new(&mut writes).apply_state_changes(number, changes).unwrap();
    writes.commit().unwrap();
    root
}

/// Database A with the genesis state, and the model of it.
fn database_a(rng: &mut Prng) -> (tempfile::TempDir, Database, Model) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let changes = genesis(rng);
    let root = apply(&db, 0, &changes);
    let mut model = Model::default();
    model.apply(&changes);
    assert_eq!(root, model.root());
    (dir, db, model)
}

/// Every trie node and every code of a database.
fn all_nodes(db: &Database) -> Vec<Bytes> {
    [Table::AccountTrie, Table::StorageTrie, Table::Bytecodes]
        .into_iter()
        .flat_map(|table| db.scan_prefix(table, &[]).unwrap())
        .map(|(_, value)| Bytes::from(value))
        .collect()
}

/// The nodes of `db` on the path of `hashed_key` in `trie`, as a witness holds them: those
/// referenced by hash (inline ones are inside their parent). With `siblings`, also every child of
/// every branch on the path, which a removal may need when it collapses a branch.
fn path_nodes(db: &Database, trie: TrieId, hashed_key: B256, siblings: bool) -> Vec<Bytes> {
    let key = Nibbles::unpack(hashed_key);
    let mut path = Nibbles::new();
    let mut out = Vec::new();
    let get = |path: &Nibbles| db.get(trie.table(), &trie.node_key(path)).unwrap();
    while let Some(bytes) = get(&path) {
        if path.is_empty() || bytes.len() >= 32 {
            out.push(Bytes::from(bytes.clone()));
        }
        let rest = key.slice(path.len()..);
        match TrieNode::decode(&mut bytes.as_slice()).unwrap() {
            TrieNode::Extension(extension) if rest.starts_with(&extension.key) => {
                path = path.join(&extension.key);
            }
            TrieNode::Branch(branch) => {
                for (nibble, _) in branch_children(branch) {
                    let mut child = path;
                    child.push(nibble);
                    if siblings && let Some(node) = get(&child).filter(|node| node.len() >= 32) {
                        out.push(Bytes::from(node));
                    }
                }
                path.push(rest.get_unchecked(0));
            }
            _ => break,
        }
    }
    out
}

/// A witness of A's current state holding only what `changes` needs: the paths of the touched
/// accounts and slots (with `siblings`, also those of removals), and the code of touched accounts.
fn path_witness(db: &Database, changes: &StateChanges, siblings: bool) -> WitnessState {
    let mut nodes: BTreeSet<Bytes> = BTreeSet::new();
    let state = LatestState::new(db);
    for (address, change) in &changes.accounts {
        let hashed = keccak256(address);
        let removed = siblings && change.account.is_none();
        nodes.extend(path_nodes(db, TrieId::Account, hashed, removed));
        if let Some(account) = state.account(*address).unwrap() {
            nodes.extend(state.bytecode(account.code_hash).unwrap());
        }
        if change.storage_wiped || change.account.is_none() {
            continue;
        }
        for (slot, value) in &change.storage {
            let hashed_slot = keccak256(slot.to_be_bytes::<32>());
            let removed = siblings && value.is_zero();
            nodes.extend(path_nodes(db, TrieId::Storage(hashed), hashed_slot, removed));
        }
    }
    WitnessState::from_values(trie_root_of(db), nodes)
}

fn trie_root_of(db: &Database) -> B256 {
    crate::trie::trie_root(db, TrieId::Account).unwrap()
}

/// Seeds a fresh database B from `witness`, applies `changes` as block 1; the root.
fn try_seeded_root(
    witness: &WitnessState,
    changes: &StateChanges,
) -> Result<(B256, SeedSummary), StorageError> {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut writes = db.write_set();
    let summary = witness.seed(&mut writes, changes)?;
    let root = StateWriter::new(&mut writes).apply_state_changes(1, changes)?;
    Ok((root, summary))
}

fn seeded_root(witness: &WitnessState, changes: &StateChanges) -> (B256, SeedSummary) {
    try_seeded_root(witness, changes).unwrap()
}

#[test]
fn reads_match_plain_state() {
    let mut rng = Prng(0x2545_f491_4f6c_dd1d);
    let (_dir, db, model) = database_a(&mut rng);
    let witness = WitnessState::from_values(trie_root_of(&db), all_nodes(&db));
    let state = LatestState::new(&db);
    for (address, (account, storage)) in &model.accounts {
        assert_eq!(witness.account(*address).unwrap(), Some(*account));
        assert_eq!(state.account(*address).unwrap(), Some(*account));
        for slot in (0..70).map(U256::from) {
            let expected = storage.get(&slot).copied().unwrap_or_default();
            assert_eq!(witness.storage(*address, slot).unwrap(), expected);
            assert_eq!(state.storage(*address, slot).unwrap(), expected);
        }
        let code = witness.bytecode(account.code_hash).unwrap().unwrap();
        assert_eq!(keccak256(&code), account.code_hash);
    }
    for index in 5000..5050 {
        assert_eq!(witness.account(address_of(index)).unwrap(), None);
        assert_eq!(witness.storage(address_of(index), U256::from(1)).unwrap(), U256::ZERO);
    }
}

#[test]
fn seeded_from_all_nodes_reaches_the_same_root() {
    let mut rng = Prng(0x9e37_79b9_7f4a_7c15);
    let (_dir, db, mut model) = database_a(&mut rng);
    let changes = further_changes(&mut rng, &model);
    let witness = WitnessState::from_values(trie_root_of(&db), all_nodes(&db));
    let (root_b, summary) = seeded_root(&witness, &changes);
    let root_a = apply(&db, 1, &changes);
    model.apply(&changes);
    assert_eq!(root_a, model.root());
    assert_eq!(root_b, root_a);
    assert!(summary.storage_tries > 100, "{summary:?}");
}

#[test]
fn seeded_from_path_nodes_reaches_the_same_root() {
    let mut rng = Prng(0xd1b5_4a32_d192_ed03);
    let (_dir, db, mut model) = database_a(&mut rng);
    for number in 1..=3 {
        let changes = further_changes(&mut rng, &model);
        let witness = path_witness(&db, &changes, true);
        // The witness serves every read the block makes.
        for (address, change) in &changes.accounts {
            let expected = model.accounts.get(address);
            assert_eq!(witness.account(*address).unwrap(), expected.map(|(a, _)| *a));
            if change.storage_wiped || change.account.is_none() {
                continue;
            }
            for slot in change.storage.keys() {
                let value = expected.and_then(|(_, s)| s.get(slot)).copied().unwrap_or_default();
                assert_eq!(witness.storage(*address, *slot).unwrap(), value);
            }
        }
        let (root_b, summary) = seeded_root(&witness, &changes);
        let root_a = apply(&db, number, &changes);
        model.apply(&changes);
        assert_eq!(root_a, model.root(), "block {number}");
        assert_eq!(root_b, root_a, "block {number}");
        // Only a part of the trie was needed.
        let total = db.scan_prefix(Table::AccountTrie, &[]).unwrap().len();
        assert!(summary.account_trie_nodes < total / 2, "{summary:?} of {total}");
    }
}

/// Without the siblings a collapsing removal merges with, the update fails; the root is never
/// silently wrong.
#[test]
fn missing_collapse_sibling_fails_loudly() {
    let mut rng = Prng(0xd1b5_4a32_d192_ed03);
    let (_dir, db, mut model) = database_a(&mut rng);
    let mut failures = 0;
    for number in 1..=3 {
        let changes = further_changes(&mut rng, &model);
        match try_seeded_root(&path_witness(&db, &changes, false), &changes) {
            Ok((root, _)) => assert_eq!(root, apply(&db, number, &changes)),
            Err(err) => {
                assert!(matches!(err, StorageError::Corrupt { table: Table::StorageTrie, .. }));
                failures += 1;
                apply(&db, number, &changes);
            }
        }
        model.apply(&changes);
    }
    assert!(failures > 0);
}

#[test]
fn missing_node_is_a_typed_error() {
    let mut rng = Prng(0x0123_4567_89ab_cdef);
    let (_dir, db, model) = database_a(&mut rng);
    let (&address, (account, storage)) = model
        .accounts
        .iter()
        .find(|(_, (a, s))| s.len() > 3 && a.code_hash != KECCAK_EMPTY)
        .unwrap();
    let slot = *storage.keys().next().unwrap();
    let root = trie_root_of(&db);
    let account_path = path_nodes(&db, TrieId::Account, keccak256(address), false);
    let storage_path = path_nodes(
        &db,
        TrieId::Storage(keccak256(address)),
        keccak256(slot.to_be_bytes::<32>()),
        false,
    );
    let touched = StateChanges {
        accounts: BTreeMap::from([(
            address,
            AccountChange {
                account: Some(*account),
                storage_wiped: false,
                storage: BTreeMap::from([(slot, U256::from(9))]),
            },
        )]),
        bytecodes: BTreeMap::new(),
    };
    let mut writes = db.write_set();

    // Without the account's leaf (the last node on its path).
    let witness = WitnessState::from_values(root, account_path[..account_path.len() - 1].to_vec());
    let missing = keccak256(account_path.last().unwrap());
    let err = witness.trie_account(address).unwrap_err();
    assert!(
        matches!(err, WitnessError::MissingNode { trie: TrieId::Account, hash, .. } if hash == missing)
    );
    let err = witness.seed(&mut writes, &touched).unwrap_err();
    assert!(matches!(err, WitnessError::MissingNode { hash, .. } if hash == missing));
    // Through the reader trait the error is boxed, but still typed.
    let err = witness.account(address).unwrap_err();
    assert!(matches!(err.downcast_ref::<WitnessError>(), Some(WitnessError::MissingNode { .. })));

    // Without the storage trie's root.
    let witness = WitnessState::from_values(root, account_path.clone());
    assert_eq!(witness.account(address).unwrap(), Some(*account));
    let storage_root = keccak256(&storage_path[0]);
    let err = witness.storage_value(address, slot).unwrap_err();
    assert!(matches!(
        err,
        WitnessError::MissingNode { trie: TrieId::Storage(_), hash, path } if hash == storage_root && path.is_empty()
    ));
    assert!(matches!(witness.seed(&mut writes, &touched), Err(WitnessError::MissingNode { .. })));

    // Without the state root, and without code.
    let witness = WitnessState::from_values(root, Vec::new());
    assert!(matches!(witness.trie_account(address), Err(WitnessError::MissingNode { .. })));
    let witness = WitnessState::from_values(root, [account_path, storage_path].concat());
    assert!(
        matches!(witness.code(account.code_hash), Err(WitnessError::MissingCode(hash)) if hash == account.code_hash)
    );
    assert_eq!(witness.code(KECCAK_EMPTY).unwrap(), Bytes::new());
    assert!(witness.storage_value(address, slot).is_ok());
}

#[test]
fn preimage_under_wrong_key_is_rejected() {
    let value = Bytes::from_static(b"node");
    let key = B256::repeat_byte(1);
    let err = WitnessState::new(EMPTY_ROOT_HASH, BTreeMap::from([(key, value.clone())]));
    assert!(
        matches!(err, Err(WitnessError::PreimageMismatch { key: k, actual }) if k == key && actual == keccak256(&value))
    );
    let witness =
        WitnessState::new(B256::ZERO, BTreeMap::from([(keccak256(&value), value)])).unwrap();
    assert_eq!(witness.state_root(), B256::ZERO);
}

#[test]
fn block_hashes_are_served_as_given() {
    let witness = WitnessState::from_values(EMPTY_ROOT_HASH, Vec::new())
        .with_block_hash(7, B256::repeat_byte(7));
    assert_eq!(witness.block_hash(7).unwrap(), Some(B256::repeat_byte(7)));
    assert_eq!(witness.block_hash(6).unwrap(), None);
    // An empty state has no accounts and needs no nodes.
    assert_eq!(witness.account(Address::ZERO).unwrap(), None);
}

/// Keys that share 63 nibbles make leaves of a single nibble's key: nodes under 32 bytes, which
/// a witness holds only inside their parent and the trie stores at their own path too.
#[test]
fn inline_nodes_are_seeded_at_their_own_path() {
    let hashed_address = B256::repeat_byte(0xaa);
    let trie = TrieId::Storage(hashed_address);
    let crafted = |group: u8, last: u8| {
        let mut key = B256::repeat_byte(group);
        key.0[31] = (key.0[31] & 0xf0) | last;
        key
    };
    let small = |v: u64| alloy_rlp::encode(U256::from(v));
    let dir = tempfile::tempdir().unwrap();
    let a = Database::open(dir.path()).unwrap();
    let mut writes = a.write_set();
    let mut updater = TrieUpdater::new(&mut writes);
    for group in [0x11, 0x22, 0x33] {
        for last in 0..4 {
            updater.insert(trie, crafted(group, last), small(u64::from(last) + 1)).unwrap();
        }
    }
    // A group of exactly two keys: removing one collapses the branch into the inline sibling.
    updater.insert(trie, crafted(0x44, 1), small(1)).unwrap();
    updater.insert(trie, crafted(0x44, 2), small(2)).unwrap();
    writes.commit().unwrap();
    let root = crate::trie::trie_root(&a, trie).unwrap();
    let stored = a.scan_prefix(Table::StorageTrie, hashed_address.as_slice()).unwrap();
    let inline = stored.iter().filter(|(_, node)| node.len() < 32).count();
    assert!(inline >= 14, "{inline} inline nodes");

    // The witness as a prover would give it: only nodes referenced by hash, and the root.
    let hashed: Vec<Bytes> =
        stored.iter().filter(|(_, node)| node.len() >= 32).map(|(_, n)| n.clone().into()).collect();
    let witness = WitnessState::from_values(B256::ZERO, hashed);
    for group in [0x11, 0x22, 0x33] {
        for last in 0..4 {
            let key = Nibbles::unpack(crafted(group, last));
            assert_eq!(witness.lookup(trie, root, &key).unwrap(), Some(small(u64::from(last) + 1)));
        }
        assert_eq!(witness.lookup(trie, root, &Nibbles::unpack(crafted(group, 9))).unwrap(), None);
    }

    let dir_b = tempfile::tempdir().unwrap();
    let b = Database::open(dir_b.path()).unwrap();
    let mut writes_b = b.write_set();
    let root_node = witness.node(trie, &Nibbles::new(), root).unwrap();
    let written = witness.seed_trie(&mut writes_b, trie, root_node, &mut Vec::new()).unwrap();
    assert_eq!(written, stored.len());
    // The seeded trie is the stored trie, node for node.
    assert_eq!(
        writes_b.scan_prefix(Table::StorageTrie, hashed_address.as_slice()).unwrap(),
        stored
    );

    let mut writes_a = a.write_set();
    let mut updaters = [TrieUpdater::new(&mut writes_a), TrieUpdater::new(&mut writes_b)];
    for updater in &mut updaters {
        updater.remove(trie, crafted(0x44, 1)).unwrap();
        updater.remove(trie, crafted(0x11, 0)).unwrap();
        updater.insert(trie, crafted(0x22, 7), small(8)).unwrap();
        updater.insert(trie, crafted(0x33, 2), small(99)).unwrap();
    }
    let [a_root, b_root] = updaters.map(|updater| updater.root(trie).unwrap());
    assert_eq!(a_root, b_root);
}

/// The real OP Sepolia witnesses (kona's executor test data), block-26207960.json and any other
/// `block-*.json` beside it: reads of the predeploys, and seeding that gives back the parent root.
#[test]
fn op_sepolia_fixtures() {
    let conformance = match std::env::var_os("PHALA_CONFORMANCE_DIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
        }
    };
    let dir = conformance.join("op/execution");
    if !dir.join("block-26207960.json").is_file() {
        println!("skipped: {} is absent", dir.join("block-26207960.json").display());
        return;
    }
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("block-") && name.ends_with(".json")
        })
        .collect();
    paths.sort();
    for path in paths {
        println!("{}", path.display());
        check_fixture(&path);
    }
}

fn check_fixture(path: &std::path::Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let fixture: serde_json::Value = serde_json::from_str(&text).unwrap();
    let hex =
        |value: &serde_json::Value| alloy_primitives::hex::decode(value.as_str().unwrap()).unwrap();
    let state_root = B256::from_slice(&hex(&fixture["parentHeader"]["stateRoot"]));
    let preimages: BTreeMap<B256, Bytes> = fixture["preimages"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(key, value)| (key.parse().unwrap(), hex(value).into()))
        .collect();
    let witness = WitnessState::new(state_root, preimages).unwrap();

    let fee_vaults = [
        address!("0x4200000000000000000000000000000000000011"),
        address!("0x4200000000000000000000000000000000000019"),
        address!("0x420000000000000000000000000000000000001a"),
    ];
    let l1_block = address!("0x4200000000000000000000000000000000000015");
    let mut touched = StateChanges::default();
    for address in fee_vaults.into_iter().chain([l1_block]) {
        let account = witness.trie_account(address).unwrap().unwrap();
        // The fee vaults' storage goes unread, so the witness lacks their storage tries.
        let holds_storage = witness.preimages.contains_key(&account.storage_root);
        println!("  {address}: {account:?}, storage root node in witness: {holds_storage}");
        touched.accounts.insert(
            address,
            AccountChange {
                account: Some(Account {
                    nonce: account.nonce,
                    balance: account.balance,
                    code_hash: account.code_hash,
                }),
                ..Default::default()
            },
        );
    }
    let l1_block_account = witness.trie_account(l1_block).unwrap().unwrap();
    assert_ne!(l1_block_account.code_hash, KECCAK_EMPTY);
    assert!(!witness.code(l1_block_account.code_hash).unwrap().is_empty());

    // Nothing changed: the seeded trie gives back the parent's state root, also when the touched
    // accounts are written back unchanged (their storage roots stay).
    for changes in [StateChanges::default(), touched] {
        let (root, summary) = seeded_root(&witness, &changes);
        println!("  {summary:?}");
        assert_eq!(root, state_root);
    }
}
