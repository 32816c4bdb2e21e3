//! State read from a witness, for stateless execution, and a database seeded from it.
//!
//! A witness is a state root plus preimages: a map `keccak256(value) → value` holding the trie
//! nodes (of the account trie and the storage tries) and the code that a block touches.
//!
//! - [`WitnessState`] reads accounts, storage and code by walking the tries from the root,
//!   resolving each node by its hash (nodes under 32 bytes are inline in their parent). A node
//!   the walk needs but the witness lacks is [`WitnessError::MissingNode`]; a key that is simply
//!   absent reads as `None` or zero.
//! - [`WitnessState::seed`] writes into an empty database what
//!   [`StateWriter::apply_state_changes`](crate::StateWriter::apply_state_changes) reads, so that
//!   the post-state root comes from the node's own trie code: every trie node reachable through
//!   the preimages, at its nibble path as [`crate::trie`] stores it, and the prior plain state of
//!   the touched accounts and slots (addresses and slots cannot be recovered from hashed keys, so
//!   the block's [`StateChanges`] name them).
//!
//! A runner executes a block statelessly like this:
//!
//! ```ignore
//! let witness = WitnessState::new(parent.state_root, preimages)?
//!     .with_block_hash(parent.number, parent_hash);
//! let changes = execute(&witness, &block)?; // the EVM reads through `StateReader`
//! let db = Database::open(scratch_dir)?;
//! let mut writes = db.write_set(); // never committed: everything stays in memory
//! witness.seed(&mut writes, &changes)?;
//! let state_root = StateWriter::new(&mut writes).apply_state_changes(block.number, &changes)?;
//! ```

use crate::{
    StoredAccount, Table, WitnessError, WriteSet, models::encode_word, tables::key, trie::TrieId,
};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_rlp::Decodable;
use alloy_trie::{
    EMPTY_ROOT_HASH, KECCAK_EMPTY, Nibbles, TrieAccount,
    nodes::{BranchNode, RlpNode, TrieNode},
};
use phala_primitives::{Account, StateChanges, StateReadError, StateReader};
use std::{borrow::Cow, collections::BTreeMap};

/// Number of nibbles in a hashed key: every leaf of the account and storage tries ends here.
const KEY_NIBBLES: usize = 64;

/// State at one state root, read from the preimages of a witness.
#[derive(Debug, Clone)]
pub struct WitnessState {
    state_root: B256,
    preimages: BTreeMap<B256, Bytes>,
    block_hashes: BTreeMap<u64, B256>,
}

/// What [`WitnessState::seed`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedSummary {
    /// Nodes written to the account trie.
    pub account_trie_nodes: usize,
    /// Storage tries whose root node the witness holds.
    pub storage_tries: usize,
    /// Nodes written to storage tries.
    pub storage_trie_nodes: usize,
    /// Touched accounts that existed before the block, written to plain state.
    pub accounts: usize,
    /// Touched non-zero slots written to plain state.
    pub slots: usize,
}

impl WitnessState {
    /// The state at `state_root`, from preimages keyed by their keccak-256; every key is checked.
    pub fn new(state_root: B256, preimages: BTreeMap<B256, Bytes>) -> Result<Self, WitnessError> {
        for (key, value) in &preimages {
            let actual = keccak256(value);
            if actual != *key {
                return Err(WitnessError::PreimageMismatch { key: *key, actual });
            }
        }
        Ok(Self { state_root, preimages, block_hashes: BTreeMap::new() })
    }

    /// The state at `state_root`, from preimage values (keyed here by their keccak-256).
    pub fn from_values(state_root: B256, values: impl IntoIterator<Item = Bytes>) -> Self {
        let preimages = values.into_iter().map(|value| (keccak256(&value), value)).collect();
        Self { state_root, preimages, block_hashes: BTreeMap::new() }
    }

    /// Serves `hash` as the hash of block `number` (`BLOCKHASH`); a witness holds no headers, so
    /// other block hashes read as unknown.
    pub fn with_block_hash(mut self, number: u64, hash: B256) -> Self {
        self.block_hashes.insert(number, hash);
        self
    }

    /// The state root the witness is read from.
    pub const fn state_root(&self) -> B256 {
        self.state_root
    }

    /// The account trie leaf of `address`, if the account exists.
    pub fn trie_account(&self, address: Address) -> Result<Option<TrieAccount>, WitnessError> {
        let key = Nibbles::unpack(keccak256(address));
        let Some(leaf) = self.lookup(TrieId::Account, self.state_root, &key)? else {
            return Ok(None);
        };
        let account = TrieAccount::decode(&mut leaf.as_slice()).map_err(|source| {
            WitnessError::InvalidNode { trie: TrieId::Account, path: key, source }
        })?;
        Ok(Some(account))
    }

    /// The value of a storage slot (zero if the account or the slot does not exist).
    pub fn storage_value(&self, address: Address, slot: U256) -> Result<U256, WitnessError> {
        match self.trie_account(address)? {
            Some(account) => self.storage_under(address, account.storage_root, slot),
            None => Ok(U256::ZERO),
        }
    }

    /// Code by hash (empty for [`KECCAK_EMPTY`]).
    pub fn code(&self, code_hash: B256) -> Result<Bytes, WitnessError> {
        if code_hash == KECCAK_EMPTY {
            return Ok(Bytes::new());
        }
        self.preimages.get(&code_hash).cloned().ok_or(WitnessError::MissingCode(code_hash))
    }

    /// Writes into `writes` (over an empty database) everything
    /// [`StateWriter::apply_state_changes`](crate::StateWriter::apply_state_changes) reads when
    /// it applies `touched`, so that it returns the true post-state root:
    ///
    /// - every trie node reachable from the state root through the preimages (account trie, and
    ///   each storage trie whose root node is present), at its path. A node the witness lacks
    ///   stays a hash reference in its parent: the trie update reads only the nodes on the paths
    ///   of the keys it changes;
    /// - the prior account (with its storage root) of every touched address that exists, and
    ///   the prior value of every touched slot, read through the witness. These reads also check
    ///   that the witness holds the path of every key the update will change: a missing node is
    ///   [`WitnessError::MissingNode`] here rather than a wrong root later.
    ///
    /// Nothing else is needed: the writer reads no head or other meta.
    ///
    /// One node the reads cannot check: when a removal leaves a branch with one child, the update
    /// reads that sibling to merge it; a witness without it makes `apply_state_changes` fail
    /// with a corrupt "missing trie node".
    pub fn seed(
        &self,
        writes: &mut WriteSet<'_>,
        touched: &StateChanges,
    ) -> Result<SeedSummary, WitnessError> {
        let mut summary = SeedSummary::default();
        self.seed_tries(writes, &mut summary)?;
        for (address, change) in &touched.accounts {
            let Some(account) = self.trie_account(*address)? else { continue };
            let stored = StoredAccount {
                nonce: account.nonce,
                balance: account.balance,
                code_hash: account.code_hash,
                storage_root: account.storage_root,
            };
            writes.put(Table::Accounts, address.as_slice(), stored.encode_value());
            summary.accounts += 1;
            // The storage of a wiped or deleted account is cleared before any slot is written,
            // so its prior slots are never read (and the witness need not hold them).
            if change.storage_wiped || change.account.is_none() {
                continue;
            }
            for slot in change.storage.keys() {
                let value = self.storage_under(*address, account.storage_root, *slot)?;
                if !value.is_zero() {
                    let slot_key = key(&[address.as_slice(), &slot.to_be_bytes::<32>()]);
                    writes.put(Table::Storage, slot_key, encode_word(value));
                    summary.slots += 1;
                }
            }
        }
        Ok(summary)
    }

    /// Writes the account trie and every storage trie with a present root node.
    fn seed_tries(
        &self,
        writes: &mut WriteSet<'_>,
        summary: &mut SeedSummary,
    ) -> Result<(), WitnessError> {
        if self.state_root == EMPTY_ROOT_HASH {
            return Ok(());
        }
        let root = self.node(TrieId::Account, &Nibbles::new(), self.state_root)?;
        let mut leaves = Vec::new();
        summary.account_trie_nodes = self.seed_trie(writes, TrieId::Account, root, &mut leaves)?;
        for (hashed_address, value) in leaves {
            let trie = TrieId::Storage(hashed_address);
            let account = TrieAccount::decode(&mut value.as_slice()).map_err(|source| {
                WitnessError::InvalidNode {
                    trie: TrieId::Account,
                    path: Nibbles::unpack(hashed_address),
                    source,
                }
            })?;
            if account.storage_root == EMPTY_ROOT_HASH {
                continue;
            }
            // An account whose storage the block does not read has no storage nodes in the
            // witness; its leaf keeps the storage root by hash.
            let Some(root) = self.preimages.get(&account.storage_root) else { continue };
            summary.storage_tries += 1;
            summary.storage_trie_nodes +=
                self.seed_trie(writes, trie, Cow::Borrowed(root), &mut Vec::new())?;
        }
        Ok(())
    }

    /// Writes the nodes of one trie reachable from its root node through the preimages, each at
    /// its path as [`crate::trie`] keys it; inline children are written at their own path too,
    /// as the trie stores them. Pushes every leaf reached as (hashed key, value). Returns the
    /// number of nodes written.
    fn seed_trie(
        &self,
        writes: &mut WriteSet<'_>,
        trie: TrieId,
        root: Cow<'_, [u8]>,
        leaves: &mut Vec<(B256, Vec<u8>)>,
    ) -> Result<usize, WitnessError> {
        let mut written = 0;
        let mut pending = vec![(Nibbles::new(), root)];
        while let Some((path, bytes)) = pending.pop() {
            match decode_node(trie, &path, &bytes)? {
                TrieNode::Leaf(leaf) => {
                    if path.len() + leaf.key.len() != KEY_NIBBLES {
                        return Err(WitnessError::KeyLength { trie, path });
                    }
                    let mut hashed_key = B256::ZERO;
                    path.join(&leaf.key).pack_to(hashed_key.as_mut_slice());
                    leaves.push((hashed_key, leaf.value));
                }
                TrieNode::Extension(extension) => {
                    // An extension leads to a branch, which needs a nibble of its own.
                    if path.len() + extension.key.len() >= KEY_NIBBLES {
                        return Err(WitnessError::KeyLength { trie, path });
                    }
                    let child_path = path.join(&extension.key);
                    pending.extend(self.present_child(child_path, &extension.child));
                }
                TrieNode::Branch(branch) => {
                    if path.len() >= KEY_NIBBLES {
                        return Err(WitnessError::KeyLength { trie, path });
                    }
                    for (nibble, child) in branch_children(branch) {
                        let mut child_path = path;
                        child_path.push_unchecked(nibble);
                        pending.extend(self.present_child(child_path, &child));
                    }
                }
                // An empty node is no node: the trie stores none for an empty subtree.
                TrieNode::EmptyRoot => continue,
            }
            writes.put(trie.table(), trie.node_key(&path), bytes.into_owned());
            written += 1;
        }
        Ok(written)
    }

    /// A child to descend into while seeding: inline, or by hash if the witness holds it.
    fn present_child<'s>(
        &'s self,
        path: Nibbles,
        child: &RlpNode,
    ) -> Option<(Nibbles, Cow<'s, [u8]>)> {
        match child.as_hash() {
            Some(hash) => self.preimages.get(&hash).map(|node| (path, Cow::Borrowed(&node[..]))),
            None => Some((path, Cow::Owned(child.to_vec()))),
        }
    }

    /// A slot of the account at `address` whose storage trie has root `storage_root`.
    fn storage_under(
        &self,
        address: Address,
        storage_root: B256,
        slot: U256,
    ) -> Result<U256, WitnessError> {
        let trie = TrieId::Storage(keccak256(address));
        let key = Nibbles::unpack(keccak256(slot.to_be_bytes::<32>()));
        let Some(leaf) = self.lookup(trie, storage_root, &key)? else { return Ok(U256::ZERO) };
        U256::decode(&mut leaf.as_slice()).map_err(|source| WitnessError::InvalidNode {
            trie,
            path: key,
            source,
        })
    }

    /// Walks `trie` from `root` along the 64-nibble `key`; the leaf value if the key is present.
    fn lookup(
        &self,
        trie: TrieId,
        root: B256,
        key: &Nibbles,
    ) -> Result<Option<Vec<u8>>, WitnessError> {
        if root == EMPTY_ROOT_HASH {
            return Ok(None);
        }
        let mut path = Nibbles::new();
        let mut bytes = self.node(trie, &path, root)?;
        loop {
            let rest = key.slice(path.len()..);
            let child = match decode_node(trie, &path, &bytes)? {
                TrieNode::Leaf(leaf) => return Ok((leaf.key == rest).then_some(leaf.value)),
                TrieNode::Extension(extension) => {
                    // A different key ends here; `starts_with` also keeps the path within the key.
                    if !rest.starts_with(&extension.key) {
                        return Ok(None);
                    }
                    path = path.join(&extension.key);
                    extension.child
                }
                TrieNode::Branch(branch) => {
                    let nibble = rest.first().ok_or(WitnessError::KeyLength { trie, path })?;
                    let Some((_, child)) = branch_children(branch).find(|(n, _)| *n == nibble)
                    else {
                        return Ok(None);
                    };
                    path.push_unchecked(nibble);
                    child
                }
                TrieNode::EmptyRoot => return Ok(None),
            };
            bytes = match child.as_hash() {
                Some(hash) => self.node(trie, &path, hash)?,
                None => Cow::Owned(child.to_vec()),
            };
        }
    }

    /// The node with `hash` at `path` of `trie`.
    fn node(
        &self,
        trie: TrieId,
        path: &Nibbles,
        hash: B256,
    ) -> Result<Cow<'_, [u8]>, WitnessError> {
        match self.preimages.get(&hash) {
            Some(node) => Ok(Cow::Borrowed(&node[..])),
            None => Err(WitnessError::MissingNode { trie, path: *path, hash }),
        }
    }
}

impl StateReader for WitnessState {
    fn account(&self, address: Address) -> Result<Option<Account>, StateReadError> {
        Ok(self.trie_account(address)?.map(|account| Account {
            nonce: account.nonce,
            balance: account.balance,
            code_hash: account.code_hash,
        }))
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, StateReadError> {
        Ok(self.storage_value(address, slot)?)
    }

    fn bytecode(&self, code_hash: B256) -> Result<Option<Bytes>, StateReadError> {
        // Code the witness lacks is an error, not empty code: running the wrong code would
        // silently produce a wrong block.
        Ok(Some(self.code(code_hash)?))
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, StateReadError> {
        Ok(self.block_hashes.get(&number).copied())
    }
}

fn decode_node(trie: TrieId, path: &Nibbles, mut bytes: &[u8]) -> Result<TrieNode, WitnessError> {
    TrieNode::decode(&mut bytes).map_err(|source| WitnessError::InvalidNode {
        trie,
        path: *path,
        source,
    })
}

/// The children of a branch as (nibble, reference), in nibble order.
fn branch_children(branch: BranchNode) -> impl Iterator<Item = (u8, RlpNode)> {
    let mask = branch.state_mask;
    (0..16u8).filter(move |nibble| mask.is_bit_set(*nibble)).zip(branch.stack)
}

#[cfg(test)]
mod tests;
