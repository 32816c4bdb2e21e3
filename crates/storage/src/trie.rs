//! The Merkle-Patricia state trie, stored node by node under its nibble path.
//!
//! Every node is stored (as its RLP encoding) at the path where it sits: a branch at `p` has its
//! children at `p ‖ i`, an extension at `p` with key `k` has its child at `p ‖ k`, a leaf at `p`
//! holds the rest of its key. Parents cache their children's references (hash, or inline RLP
//! for nodes under 32 bytes), so an update reads and rewrites only the nodes on the path of the
//! changed key: the root is recomputed incrementally. Node encoding is alloy-trie's.

use crate::{
    StorageError, StorageResult, StoredAccount, Table, WriteSet, db::KeyValueRead, tables::key,
};
use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_rlp::Decodable;
use alloy_trie::{
    EMPTY_ROOT_HASH, Nibbles, TrieMask,
    nodes::{BranchNode, ExtensionNode, LeafNode, RlpNode, TrieNode},
};
use std::collections::BTreeMap;

/// Which trie a node belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrieId {
    /// The state (account) trie.
    Account,
    /// The storage trie of the account with this hashed address.
    Storage(B256),
}

impl TrieId {
    pub(crate) const fn table(self) -> Table {
        match self {
            Self::Account => Table::AccountTrie,
            Self::Storage(_) => Table::StorageTrie,
        }
    }

    /// The database key of the node at `path`: the trie prefix, then one byte per nibble.
    pub(crate) fn node_key(self, path: &Nibbles) -> Vec<u8> {
        let mut out = match self {
            Self::Account => Vec::with_capacity(path.len()),
            Self::Storage(hashed_address) => {
                let mut out = Vec::with_capacity(32 + path.len());
                out.extend_from_slice(hashed_address.as_slice());
                out
            }
        };
        out.extend(path.iter());
        out
    }
}

/// A trie node in the form the update algorithm works with.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Leaf { key: Nibbles, value: Vec<u8> },
    Extension { key: Nibbles, child: RlpNode },
    Branch { children: Box<[Option<RlpNode>; 16]> },
}

impl Node {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Self::Leaf { key, value } => {
                alloy_rlp::Encodable::encode(&LeafNode::new(*key, value.clone()), &mut out)
            }
            Self::Extension { key, child } => {
                alloy_rlp::Encodable::encode(&ExtensionNode::new(*key, child.clone()), &mut out)
            }
            Self::Branch { children } => {
                let mut mask = TrieMask::default();
                let mut stack = Vec::new();
                for (nibble, child) in children.iter().enumerate() {
                    if let Some(child) = child {
                        mask.set_bit(nibble as u8);
                        stack.push(child.clone());
                    }
                }
                alloy_rlp::Encodable::encode(&BranchNode::new(stack, mask), &mut out)
            }
        }
        out
    }

    fn decode(table: Table, mut bytes: &[u8]) -> StorageResult<Self> {
        let node = TrieNode::decode(&mut bytes).map_err(|err| StorageError::corrupt(table, err))?;
        Ok(match node {
            TrieNode::Leaf(leaf) => Self::Leaf { key: leaf.key, value: leaf.value },
            TrieNode::Extension(ext) => Self::Extension { key: ext.key, child: ext.child },
            TrieNode::Branch(branch) => {
                let mut children: Box<[Option<RlpNode>; 16]> = Box::default();
                let mut stack = branch.stack.into_iter();
                for nibble in 0..16u8 {
                    if branch.state_mask.is_bit_set(nibble) {
                        children[nibble as usize] = stack.next();
                    }
                }
                Self::Branch { children }
            }
            TrieNode::EmptyRoot => {
                return Err(StorageError::corrupt(table, "empty root stored as a node"));
            }
        })
    }
}

/// Result of removing a key below a path.
enum Removal {
    /// The key was not in the trie.
    NotFound,
    /// The subtree at the path is now empty.
    Deleted,
    /// The subtree at the path changed; this is its new reference.
    Updated(RlpNode),
}

/// Applies inserts and removals to the tries in a [`WriteSet`], recording the value every node
/// had before its first change so that the block can be unwound.
#[derive(Debug)]
pub struct TrieUpdater<'w, 'db> {
    writes: &'w mut WriteSet<'db>,
    /// (table, node key) → node before the first change.
    priors: BTreeMap<(Table, Vec<u8>), Option<Vec<u8>>>,
}

impl<'w, 'db> TrieUpdater<'w, 'db> {
    /// An updater writing into `writes`.
    pub const fn new(writes: &'w mut WriteSet<'db>) -> Self {
        Self { writes, priors: BTreeMap::new() }
    }

    /// The write set the updater writes into.
    pub const fn writes(&mut self) -> &mut WriteSet<'db> {
        self.writes
    }

    /// Node values before the first change, by (table, node key); `None`: the node did not exist.
    pub fn into_priors(self) -> BTreeMap<(Table, Vec<u8>), Option<Vec<u8>>> {
        self.priors
    }

    /// Root hash of a trie.
    pub fn root(&self, id: TrieId) -> StorageResult<B256> {
        trie_root(self.writes, id)
    }

    /// Sets `hashed_key` to `value` (an RLP-encoded leaf value).
    pub fn insert(&mut self, id: TrieId, hashed_key: B256, value: Vec<u8>) -> StorageResult<()> {
        self.insert_at(id, Nibbles::new(), Nibbles::unpack(hashed_key), value)?;
        Ok(())
    }

    /// Removes `hashed_key`; removing an absent key is a no-op.
    pub fn remove(&mut self, id: TrieId, hashed_key: B256) -> StorageResult<()> {
        self.remove_at(id, Nibbles::new(), Nibbles::unpack(hashed_key))?;
        Ok(())
    }

    /// Deletes a whole storage trie (the account was self-destructed or re-created).
    pub fn wipe(&mut self, hashed_address: B256) -> StorageResult<()> {
        let table = Table::StorageTrie;
        for (node_key, _) in self.writes.scan_prefix(table, hashed_address.as_slice())? {
            self.record_prior(table, &node_key)?;
            self.writes.delete(table, node_key);
        }
        Ok(())
    }

    fn record_prior(&mut self, table: Table, node_key: &[u8]) -> StorageResult<()> {
        if !self.priors.contains_key(&(table, node_key.to_vec())) {
            let prior = self.writes.get(table, node_key)?;
            self.priors.insert((table, node_key.to_vec()), prior);
        }
        Ok(())
    }

    fn get_node(&self, id: TrieId, path: &Nibbles) -> StorageResult<Option<Node>> {
        let table = id.table();
        self.writes
            .get(table, &id.node_key(path))?
            .map(|bytes| Node::decode(table, &bytes))
            .transpose()
    }

    fn put_node(&mut self, id: TrieId, path: &Nibbles, node: &Node) -> StorageResult<RlpNode> {
        let encoded = node.encode();
        let reference = RlpNode::from_rlp(&encoded);
        let node_key = id.node_key(path);
        self.record_prior(id.table(), &node_key)?;
        self.writes.put(id.table(), node_key, encoded);
        Ok(reference)
    }

    fn delete_node(&mut self, id: TrieId, path: &Nibbles) -> StorageResult<()> {
        let node_key = id.node_key(path);
        self.record_prior(id.table(), &node_key)?;
        self.writes.delete(id.table(), node_key);
        Ok(())
    }

    fn insert_at(
        &mut self,
        id: TrieId,
        path: Nibbles,
        rest: Nibbles,
        value: Vec<u8>,
    ) -> StorageResult<RlpNode> {
        match self.get_node(id, &path)? {
            None => self.put_node(id, &path, &Node::Leaf { key: rest, value }),
            Some(Node::Leaf { key, value: old_value }) => {
                if key == rest {
                    return self.put_node(id, &path, &Node::Leaf { key, value });
                }
                // Two leaves under a new branch at their common prefix.
                let common = key.common_prefix_length(&rest);
                let branch_path = path.join(&rest.slice(..common));
                let old_nibble = key.get_unchecked(common);
                let old = self.put_node(
                    id,
                    &child_path(&branch_path, old_nibble),
                    &Node::Leaf { key: key.slice(common + 1..), value: old_value },
                )?;
                self.put_split(id, &path, common, (old_nibble, old), rest, value)
            }
            Some(Node::Extension { key, child }) => {
                let common = key.common_prefix_length(&rest);
                if common == key.len() {
                    let child = self.insert_at(id, path.join(&key), rest.slice(common..), value)?;
                    return self.put_node(id, &path, &Node::Extension { key, child });
                }
                // Split the extension with a branch where the paths part.
                let branch_path = path.join(&key.slice(..common));
                let old_nibble = key.get_unchecked(common);
                let old = if common + 1 == key.len() {
                    // The old child already sits at branch_path ‖ old_nibble.
                    child
                } else {
                    self.put_node(
                        id,
                        &child_path(&branch_path, old_nibble),
                        &Node::Extension { key: key.slice(common + 1..), child },
                    )?
                };
                self.put_split(id, &path, common, (old_nibble, old), rest, value)
            }
            Some(Node::Branch { mut children }) => {
                let nibble = rest.get_unchecked(0);
                let child =
                    self.insert_at(id, child_path(&path, nibble), rest.slice(1..), value)?;
                children[nibble as usize] = Some(child);
                self.put_node(id, &path, &Node::Branch { children })
            }
        }
    }

    /// Finishes a split below `path`: a branch at `path ‖ rest[..common]` holding the existing
    /// subtree `old` (nibble, reference) and a new leaf for the rest of `rest`, reached through an
    /// extension at `path` when the common prefix is not empty.
    fn put_split(
        &mut self,
        id: TrieId,
        path: &Nibbles,
        common: usize,
        old: (u8, RlpNode),
        rest: Nibbles,
        value: Vec<u8>,
    ) -> StorageResult<RlpNode> {
        let prefix = rest.slice(..common);
        let branch_path = path.join(&prefix);
        let mut children: Box<[Option<RlpNode>; 16]> = Box::default();
        children[old.0 as usize] = Some(old.1);
        let new_nibble = rest.get_unchecked(common);
        children[new_nibble as usize] = Some(self.put_node(
            id,
            &child_path(&branch_path, new_nibble),
            &Node::Leaf { key: rest.slice(common + 1..), value },
        )?);
        let branch = self.put_node(id, &branch_path, &Node::Branch { children })?;
        if common == 0 {
            Ok(branch)
        } else {
            self.put_node(id, path, &Node::Extension { key: prefix, child: branch })
        }
    }

    fn remove_at(&mut self, id: TrieId, path: Nibbles, rest: Nibbles) -> StorageResult<Removal> {
        match self.get_node(id, &path)? {
            None => Ok(Removal::NotFound),
            Some(Node::Leaf { key, .. }) => {
                if key != rest {
                    return Ok(Removal::NotFound);
                }
                self.delete_node(id, &path)?;
                Ok(Removal::Deleted)
            }
            Some(Node::Extension { key, .. }) => {
                if !rest.starts_with(&key) {
                    return Ok(Removal::NotFound);
                }
                let child_at = path.join(&key);
                match self.remove_at(id, child_at, rest.slice(key.len()..))? {
                    Removal::NotFound => Ok(Removal::NotFound),
                    Removal::Deleted => {
                        self.delete_node(id, &path)?;
                        Ok(Removal::Deleted)
                    }
                    Removal::Updated(child) => {
                        self.merge_into(id, &path, key, &child_at, child).map(Removal::Updated)
                    }
                }
            }
            Some(Node::Branch { mut children }) => {
                let nibble = rest.get_unchecked(0);
                let child_at = child_path(&path, nibble);
                match self.remove_at(id, child_at, rest.slice(1..))? {
                    Removal::NotFound => Ok(Removal::NotFound),
                    Removal::Updated(child) => {
                        children[nibble as usize] = Some(child);
                        self.put_node(id, &path, &Node::Branch { children }).map(Removal::Updated)
                    }
                    Removal::Deleted => {
                        children[nibble as usize] = None;
                        let mut remaining =
                            children.iter().enumerate().filter_map(|(i, c)| Some((i, c.as_ref()?)));
                        let (first, first_child) = remaining.next().ok_or_else(|| {
                            StorageError::corrupt(id.table(), "branch with a single child")
                        })?;
                        if remaining.next().is_some() {
                            return self
                                .put_node(id, &path, &Node::Branch { children })
                                .map(Removal::Updated);
                        }
                        // One child left: the branch collapses into it.
                        let only = first as u8;
                        let only_child = first_child.clone();
                        let only_at = child_path(&path, only);
                        let prefix = Nibbles::from_nibbles_unchecked([only]);
                        self.merge_into(id, &path, prefix, &only_at, only_child)
                            .map(Removal::Updated)
                    }
                }
            }
        }
    }

    /// Writes at `path` the node that leads through `prefix` to the node at `child_at`, merging
    /// with that node when it is a leaf or an extension (an extension may not point at either).
    fn merge_into(
        &mut self,
        id: TrieId,
        path: &Nibbles,
        prefix: Nibbles,
        child_at: &Nibbles,
        child: RlpNode,
    ) -> StorageResult<RlpNode> {
        let node = match self.get_node(id, child_at)? {
            Some(Node::Leaf { key, value }) => {
                self.delete_node(id, child_at)?;
                Node::Leaf { key: prefix.join(&key), value }
            }
            Some(Node::Extension { key, child }) => {
                self.delete_node(id, child_at)?;
                Node::Extension { key: prefix.join(&key), child }
            }
            Some(Node::Branch { .. }) => Node::Extension { key: prefix, child },
            None => return Err(StorageError::corrupt(id.table(), "missing trie node")),
        };
        self.put_node(id, path, &node)
    }
}

fn child_path(path: &Nibbles, nibble: u8) -> Nibbles {
    let mut child = *path;
    child.push_unchecked(nibble);
    child
}

/// Root hash of a trie as stored (or pending) in `reader`.
pub fn trie_root(reader: &impl KeyValueRead, id: TrieId) -> StorageResult<B256> {
    Ok(match reader.get(id.table(), &id.node_key(&Nibbles::new()))? {
        Some(root) => keccak256(root),
        None => EMPTY_ROOT_HASH,
    })
}

/// Trie nodes and the plain state they prove, either latest or as of a past block: the one
/// source the proof walk reads from, so that latest and historical proofs are the same walk.
///
/// The latest tries are read by path. A past block's tries are walked down from its state root
/// through [`Table::TrieNodes`], every node version by hash: one point read per node, as at the
/// head. Past blocks must be canonical (their plain state is read through the history tables).
#[derive(Debug)]
pub struct TrieReader<'a, R> {
    reader: &'a R,
    /// `None`: the latest state.
    past: Option<PastBlock>,
}

/// A past canonical block: its number (for plain state) and its state root (for the tries).
#[derive(Debug, Clone, Copy)]
struct PastBlock {
    number: u64,
    state_root: B256,
}

impl<R> Clone for TrieReader<'_, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R> Copy for TrieReader<'_, R> {}

/// Where a proof walk starts: a trie's path-keyed root, or a node hash in [`Table::TrieNodes`].
#[derive(Debug, Clone, Copy)]
enum WalkFrom {
    Path(TrieId),
    Hash(B256),
}

impl<'a, R: KeyValueRead> TrieReader<'a, R> {
    /// The latest tries and state in `reader`.
    pub const fn latest(reader: &'a R) -> Self {
        Self { reader, past: None }
    }

    /// The tries and state after canonical block `number`, whose header has `state_root`.
    pub const fn at(reader: &'a R, number: u64, state_root: B256) -> Self {
        Self { reader, past: Some(PastBlock { number, state_root }) }
    }

    /// The account with its storage root.
    pub fn account(&self, address: Address) -> StorageResult<Option<StoredAccount>> {
        match self.past {
            None => self.reader.stored_account(address),
            Some(past) => self.reader.account_at(address, past.number),
        }
    }

    /// The value of a storage slot.
    pub fn storage(&self, address: Address, slot: U256) -> StorageResult<U256> {
        match self.past {
            None => self.reader.storage_value(address, slot),
            Some(past) => self.reader.storage_at(address, slot, past.number),
        }
    }

    /// The RLP nodes on the path to `hashed_key`, root first (an EIP-1186 proof), from `from`.
    fn proof(&self, from: WalkFrom, hashed_key: B256) -> StorageResult<Vec<Vec<u8>>> {
        let target = Nibbles::unpack(hashed_key);
        let mut path = Nibbles::new();
        let mut nodes = Vec::new();
        let (table, mut bytes) = match from {
            WalkFrom::Path(id) => (id.table(), self.reader.get(id.table(), &id.node_key(&path))?),
            WalkFrom::Hash(root) if root == EMPTY_ROOT_HASH => (Table::TrieNodes, None),
            WalkFrom::Hash(root) => (Table::TrieNodes, Some(self.node_by_hash(root)?)),
        };
        while let Some(node_bytes) = bytes.take() {
            let node = Node::decode(table, &node_bytes)?;
            // Nodes shorter than 32 bytes are inlined in their parent, so not listed separately.
            if path.is_empty() || node_bytes.len() >= 32 {
                nodes.push(node_bytes);
            }
            let rest = target.slice(path.len()..);
            let child = match node {
                Node::Leaf { .. } => break,
                Node::Extension { key, child } => {
                    if !rest.starts_with(&key) {
                        break;
                    }
                    path = path.join(&key);
                    child
                }
                Node::Branch { mut children } => {
                    // A branch below 64 nibbles of path: a stored trie of 32-byte keys never
                    // holds one deeper.
                    let Some(nibble) = rest.first() else {
                        return Err(StorageError::corrupt(table, "branch at the end of a key"));
                    };
                    let Some(child) = children[nibble as usize].take() else { break };
                    path = child_path(&path, nibble);
                    child
                }
            };
            bytes = Some(match from {
                WalkFrom::Path(id) => self
                    .reader
                    .get(table, &id.node_key(&path))?
                    .ok_or_else(|| StorageError::corrupt(table, "a referenced child is missing"))?,
                WalkFrom::Hash(_) => match child.as_hash() {
                    Some(hash) => self.node_by_hash(hash)?,
                    None => child.to_vec(),
                },
            });
        }
        Ok(nodes)
    }

    fn node_by_hash(&self, hash: B256) -> StorageResult<Vec<u8>> {
        self.reader
            .get(Table::TrieNodes, hash.as_slice())?
            .ok_or_else(|| StorageError::corrupt(Table::TrieNodes, format!("no node {hash}")))
    }

    /// What `eth_getProof` returns: the account, its proof in the state trie, and for each of
    /// `slots` its value and proof in the account's storage trie (empty when the account does
    /// not exist).
    pub fn account_proof(&self, address: Address, slots: &[U256]) -> StorageResult<AccountProof> {
        let account = self.account(address)?;
        let hashed_address = keccak256(address);
        let (state, storage) = match (self.past, account) {
            (None, _) => {
                (WalkFrom::Path(TrieId::Account), WalkFrom::Path(TrieId::Storage(hashed_address)))
            }
            (Some(past), account) => (
                WalkFrom::Hash(past.state_root),
                WalkFrom::Hash(account.map_or(EMPTY_ROOT_HASH, |a| a.storage_root)),
            ),
        };
        let proof = self.proof(state, hashed_address)?;
        let storage = slots
            .iter()
            .map(|slot| {
                let proof = if account.is_some() {
                    self.proof(storage, keccak256(slot.to_be_bytes::<32>()))?
                } else {
                    Vec::new()
                };
                Ok(SlotProof { slot: *slot, value: self.storage(address, *slot)?, proof })
            })
            .collect::<StorageResult<_>>()?;
        Ok(AccountProof { account, proof, storage })
    }
}

/// An account and its storage slots with their Merkle proofs (EIP-1186).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountProof {
    /// The account (`None`: it does not exist, and `proof` proves its absence).
    pub account: Option<StoredAccount>,
    /// RLP nodes of the state trie on the path to the account, root first.
    pub proof: Vec<Vec<u8>>,
    /// The requested slots, in request order.
    pub storage: Vec<SlotProof>,
}

/// A storage slot's value and its proof in the account's storage trie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotProof {
    /// The slot.
    pub slot: U256,
    /// Its value (zero if unset).
    pub value: U256,
    /// RLP nodes of the storage trie on the path to the slot, root first.
    pub proof: Vec<Vec<u8>>,
}

/// Storage key of a node, exposed for change-set bookkeeping.
pub(crate) fn trie_kind_byte(table: Table) -> u8 {
    match table {
        Table::AccountTrie => 0,
        _ => 1,
    }
}

/// The table of a trie kind byte.
pub(crate) const fn trie_table(kind: u8) -> Table {
    if kind == 0 { Table::AccountTrie } else { Table::StorageTrie }
}

/// Key of a trie change-set entry.
pub(crate) fn trie_changeset_key(block: u64, table: Table, node_key: &[u8]) -> Vec<u8> {
    key(&[&block.to_be_bytes(), &[trie_kind_byte(table)], node_key])
}

/// The block, table and node key of a trie change-set key.
pub(crate) fn parse_trie_changeset_key(cs_key: &[u8]) -> StorageResult<(u64, Table, &[u8])> {
    let (Some(block), Some(&kind)) = (cs_key.first_chunk::<8>(), cs_key.get(8)) else {
        return Err(StorageError::corrupt(Table::TrieChangeSets, "short key"));
    };
    Ok((u64::from_be_bytes(*block), trie_table(kind), &cs_key[9..]))
}

/// Whether a node belongs in [`Table::TrieNodes`]: a node of 32 bytes or more (its parent
/// refers to it by hash) or a root (found by the state or storage root). Shorter nodes are
/// inlined in their parents' RLP.
pub(crate) fn is_hashed_node(table: Table, node_key: &[u8], node: &[u8]) -> bool {
    let root_key_len = if table == Table::AccountTrie { 0 } else { 32 };
    node.len() >= 32 || node_key.len() == root_key_len
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Database;
    use alloy_primitives::U256;
    use alloy_trie::root::storage_root_unhashed;

    fn value(v: U256) -> Vec<u8> {
        alloy_rlp::encode_fixed_size(&v).to_vec()
    }

    /// A deterministic pseudo-random sequence (xorshift) for the differential tests.
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn incremental_root_matches_full_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let id = TrieId::Storage(B256::repeat_byte(7));
        let mut model: BTreeMap<B256, U256> = BTreeMap::new();
        let mut seed = 0x9e3779b97f4a7c15u64;
        // Several commits, each with a mix of inserts, updates and removals over a small key
        // space, so that splits, collapses and merges all happen.
        for round in 0..20 {
            let mut writes = db.write_set();
            let mut updater = TrieUpdater::new(&mut writes);
            for _ in 0..50 {
                let slot = B256::from(U256::from(xorshift(&mut seed) % 300));
                let v = U256::from(xorshift(&mut seed) % 4);
                if v.is_zero() {
                    updater.remove(id, keccak256(slot)).unwrap();
                    model.remove(&slot);
                } else {
                    updater.insert(id, keccak256(slot), value(v)).unwrap();
                    model.insert(slot, v);
                }
            }
            let root = updater.root(id).unwrap();
            let expected = storage_root_unhashed(model.iter().map(|(k, v)| (*k, *v)));
            assert_eq!(root, expected, "round {round}");
            writes.commit().unwrap();
            assert_eq!(trie_root(&db, id).unwrap(), expected);
        }
        // Removing everything leaves no nodes at all.
        let mut writes = db.write_set();
        let mut updater = TrieUpdater::new(&mut writes);
        for slot in model.keys() {
            updater.remove(id, keccak256(slot)).unwrap();
        }
        assert_eq!(updater.root(id).unwrap(), EMPTY_ROOT_HASH);
        writes.commit().unwrap();
        assert!(db.scan_prefix(Table::StorageTrie, &[]).unwrap().is_empty());
    }

    #[test]
    fn removing_absent_key_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let mut writes = db.write_set();
        let mut updater = TrieUpdater::new(&mut writes);
        updater.insert(TrieId::Account, B256::repeat_byte(1), vec![0x01]).unwrap();
        let root = updater.root(TrieId::Account).unwrap();
        updater.remove(TrieId::Account, B256::repeat_byte(2)).unwrap();
        assert_eq!(updater.root(TrieId::Account).unwrap(), root);
    }
}

#[cfg(test)]
mod history_tests;
