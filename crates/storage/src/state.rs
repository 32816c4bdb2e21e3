use crate::{
    Database, StorageError, StorageResult, StoredAccount, Table, TxLocation, WriteSet,
    db::{KeyValueRead, ReadSnapshot},
    models::{decode_word, encode_rlp, encode_word},
    tables::key,
    trie::{TrieId, TrieUpdater, is_hashed_node, parse_trie_changeset_key, trie_changeset_key},
};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use phala_primitives::{
    Account, BlockBody, Header, PhalaReceiptEnvelope, StateChanges, StateReadError, StateReader,
};
use std::collections::BTreeMap;

/// Writes blocks and their state changes into a [`WriteSet`], and unwinds them.
#[derive(Debug)]
pub struct StateWriter<'w, 'db> {
    writes: &'w mut WriteSet<'db>,
}

impl<'w, 'db> StateWriter<'w, 'db> {
    /// A writer into `writes`.
    pub const fn new(writes: &'w mut WriteSet<'db>) -> Self {
        Self { writes }
    }

    /// Applies the state changes of block `number` to plain state and the trie, records change
    /// sets and history, and returns the new state root.
    pub fn apply_state_changes(
        &mut self,
        number: u64,
        changes: &StateChanges,
    ) -> StorageResult<B256> {
        for (code_hash, code) in &changes.bytecodes {
            self.writes.put(Table::Bytecodes, code_hash.as_slice(), code.to_vec());
        }
        let mut account_priors: BTreeMap<Address, Option<StoredAccount>> = BTreeMap::new();
        let mut storage_priors: BTreeMap<(Address, U256), U256> = BTreeMap::new();
        let mut trie = TrieUpdater::new(self.writes);
        for (address, change) in &changes.accounts {
            let prior = trie.writes().stored_account(*address)?;
            account_priors.insert(*address, prior);
            let hashed_address = keccak256(address);
            let storage_trie = TrieId::Storage(hashed_address);
            // A deleted account must not leave storage behind.
            let wiped = change.storage_wiped || (change.account.is_none() && prior.is_some());
            if wiped {
                let writes = trie.writes();
                for (slot_key, value) in writes.scan_prefix(Table::Storage, address.as_slice())? {
                    let slot = U256::from_be_slice(&slot_key[20..]);
                    storage_priors
                        .entry((*address, slot))
                        .or_insert(decode_word(Table::Storage, &value)?);
                    writes.delete(Table::Storage, slot_key);
                }
                trie.wipe(hashed_address)?;
            }
            for (slot, value) in &change.storage {
                let current = trie.writes().storage_value(*address, *slot)?;
                if current == *value {
                    continue;
                }
                storage_priors.entry((*address, *slot)).or_insert(current);
                let slot_key = key(&[address.as_slice(), &slot.to_be_bytes::<32>()]);
                let hashed_slot = keccak256(slot.to_be_bytes::<32>());
                if value.is_zero() {
                    trie.writes().delete(Table::Storage, slot_key);
                    trie.remove(storage_trie, hashed_slot)?;
                } else {
                    trie.writes().put(Table::Storage, slot_key, encode_word(*value));
                    trie.insert(storage_trie, hashed_slot, alloy_rlp::encode(value))?;
                }
            }
            match change.account {
                None => {
                    trie.writes().delete(Table::Accounts, address.as_slice());
                    trie.remove(TrieId::Account, hashed_address)?;
                }
                Some(account) => {
                    // Storage the block did not write keeps its root: take it from the stored
                    // account rather than the storage trie, which a database seeded from a
                    // stateless witness does not hold for accounts whose storage went unread.
                    let storage_root = match prior {
                        Some(prior) if !wiped && change.storage.is_empty() => prior.storage_root,
                        _ => trie.root(storage_trie)?,
                    };
                    let stored = StoredAccount::new(account, storage_root);
                    trie.writes().put(Table::Accounts, address.as_slice(), stored.encode_value());
                    trie.insert(
                        TrieId::Account,
                        hashed_address,
                        alloy_rlp::encode(stored.trie_account()),
                    )?;
                }
            }
        }
        let state_root = trie.root(TrieId::Account)?;
        let trie_priors = trie.into_priors();

        let block = number.to_be_bytes();
        for (address, prior) in account_priors {
            let value = prior.map(|account| account.encode_value()).unwrap_or_default();
            self.writes.put(
                Table::AccountChangeSets,
                key(&[&block, address.as_slice()]),
                value.clone(),
            );
            self.writes.put(Table::AccountHistory, key(&[address.as_slice(), &block]), value);
        }
        for ((address, slot), prior) in storage_priors {
            let slot = slot.to_be_bytes::<32>();
            let value = encode_word(prior);
            self.writes.put(
                Table::StorageChangeSets,
                key(&[&block, address.as_slice(), &slot]),
                value,
            );
            self.writes.put(
                Table::StorageHistory,
                key(&[address.as_slice(), &slot, &block]),
                value,
            );
        }
        for ((table, node_key), prior) in trie_priors {
            // The node as this block leaves it: the version past proofs of this block walk.
            if let Some(node) = self.writes.get(table, &node_key)?
                && is_hashed_node(table, &node_key, &node)
            {
                self.writes.put(Table::TrieNodes, keccak256(&node).to_vec(), node);
            }
            self.writes.put(
                Table::TrieChangeSets,
                trie_changeset_key(number, table, &node_key),
                prior.unwrap_or_default(),
            );
        }
        Ok(state_root)
    }

    /// Reverts the state changes of block `number` (which must be the last applied block).
    pub fn unwind_state(&mut self, number: u64) -> StorageResult<()> {
        let block = number.to_be_bytes();
        for (cs_key, prior) in self.writes.scan_prefix(Table::AccountChangeSets, &block)? {
            let address = &cs_key[8..];
            if prior.is_empty() {
                self.writes.delete(Table::Accounts, address);
            } else {
                self.writes.put(Table::Accounts, address, prior);
            }
            self.writes.delete(Table::AccountHistory, key(&[address, &block]));
            self.writes.delete(Table::AccountChangeSets, cs_key);
        }
        for (cs_key, prior) in self.writes.scan_prefix(Table::StorageChangeSets, &block)? {
            let slot_key = &cs_key[8..];
            if decode_word(Table::StorageChangeSets, &prior)?.is_zero() {
                self.writes.delete(Table::Storage, slot_key);
            } else {
                self.writes.put(Table::Storage, slot_key, prior);
            }
            self.writes.delete(Table::StorageHistory, key(&[slot_key, &block]));
            self.writes.delete(Table::StorageChangeSets, cs_key);
        }
        for (cs_key, prior) in self.writes.scan_prefix(Table::TrieChangeSets, &block)? {
            let (_, table, node_key) = parse_trie_changeset_key(&cs_key)?;
            if prior.is_empty() {
                self.writes.delete(table, node_key);
            } else {
                self.writes.put(table, node_key, prior);
            }
            self.writes.delete(Table::TrieChangeSets, cs_key);
        }
        Ok(())
    }

    /// Stores a block (canonical or not) with its receipts.
    pub fn insert_block(
        &mut self,
        hash: B256,
        header: &Header,
        body: &BlockBody,
        receipts: &[PhalaReceiptEnvelope],
    ) {
        self.writes.put(Table::Headers, hash.as_slice(), encode_rlp(header));
        self.writes.put(Table::HeaderNumbers, hash.as_slice(), header.number.to_be_bytes());
        self.writes.put(Table::Bodies, hash.as_slice(), encode_rlp(body));
        self.writes.put(Table::Receipts, hash.as_slice(), encode_rlp(&receipts.to_vec()));
    }

    /// Makes a stored block the canonical block at its height and the head.
    pub fn make_canonical(&mut self, hash: B256, number: u64, tx_hashes: &[B256]) {
        self.writes.put(Table::CanonicalHashes, number.to_be_bytes(), hash.as_slice());
        for (index, tx_hash) in tx_hashes.iter().enumerate() {
            let location = TxLocation { block_number: number, index: index as u64 };
            self.writes.put(Table::TxLookup, tx_hash.as_slice(), location.encode_value());
        }
        self.writes.set_head(hash);
    }

    /// Unwinds the canonical head: reverts its state and makes its parent the head.
    pub fn unwind_head(&mut self) -> StorageResult<Header> {
        let head = self.writes.head_header()?;
        let hash = self.writes.head_hash()?;
        if head.number == 0 {
            return Err(StorageError::corrupt(Table::Meta, "cannot unwind the genesis block"));
        }
        let body = self.writes.body(hash)?.ok_or(StorageError::MissingBlock(hash))?;
        self.unwind_state(head.number)?;
        for tx in &body.transactions {
            self.writes.delete(Table::TxLookup, tx.tx_hash().as_slice());
        }
        self.writes.delete(Table::CanonicalHashes, head.number.to_be_bytes());
        self.writes.set_head(head.parent_hash);
        Ok(head)
    }

    /// Writes the genesis block and its allocation into an empty database.
    pub fn init_genesis(
        &mut self,
        header: &Header,
        changes: &StateChanges,
        chain_config: Vec<u8>,
    ) -> StorageResult<B256> {
        let state_root = self.apply_state_changes(header.number, changes)?;
        let hash = header.hash_slow();
        self.insert_block(hash, header, &BlockBody::default(), &[]);
        self.make_canonical(hash, header.number, &[]);
        self.writes.set_genesis(hash, chain_config);
        Ok(state_root)
    }
}

/// A write set over `db` in which the state — plain state and trie — is unwound to what it was
/// after block `number`, for reads (state roots and proofs at past blocks). It must never be
/// committed. The work is proportional to the changes made after `number`.
pub fn unwound_state(db: &crate::Database, number: u64) -> StorageResult<WriteSet<'_>> {
    let head = db.head_header()?.number;
    let mut writes = db.write_set();
    let mut writer = StateWriter::new(&mut writes);
    for block in (number.saturating_add(1)..=head).rev() {
        writer.unwind_state(block)?;
    }
    Ok(writes)
}

/// The latest state as seen through a reader (the committed database or a pending write set),
/// for execution.
#[derive(Debug)]
pub struct LatestState<'a, R> {
    reader: &'a R,
}

impl<'a, R: KeyValueRead> LatestState<'a, R> {
    /// State read through `reader`.
    pub const fn new(reader: &'a R) -> Self {
        Self { reader }
    }
}

impl<R: KeyValueRead> StateReader for LatestState<'_, R> {
    fn account(&self, address: Address) -> Result<Option<Account>, StateReadError> {
        Ok(self.reader.stored_account(address)?.map(|stored| stored.account()))
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, StateReadError> {
        Ok(self.reader.storage_value(address, slot)?)
    }

    fn bytecode(&self, code_hash: B256) -> Result<Option<Bytes>, StateReadError> {
        Ok(self.reader.bytecode(code_hash)?)
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, StateReadError> {
        Ok(self.reader.canonical_hash(number)?)
    }
}

/// The state after one stored block, read from one RocksDB snapshot, so that every read of a
/// call or a query sees the same committed database even while blocks are being committed.
///
/// When the block is the canonical head in that snapshot, accounts and storage are point reads
/// of the plain-state tables; otherwise they go through the history tables (a seek each), as
/// [`HistoricalState`] reads them. A seek costs several times a point read, since RocksDB merges
/// every level to answer it, and reads at the head are most of what RPC serves.
pub struct SnapshotState<'db> {
    snapshot: ReadSnapshot<'db>,
    number: u64,
    at_head: bool,
}

impl std::fmt::Debug for SnapshotState<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotState")
            .field("number", &self.number)
            .field("at_head", &self.at_head)
            .finish_non_exhaustive()
    }
}

impl<'db> SnapshotState<'db> {
    /// The state after block `number` (whose hash is `hash`), in a snapshot of `db` taken now.
    pub fn new(db: &'db Database, hash: B256, number: u64) -> StorageResult<Self> {
        let snapshot = ReadSnapshot::new(db);
        let at_head = snapshot.head_hash()? == hash;
        Ok(Self { snapshot, number, at_head })
    }

    /// Whether the block was the canonical head when the snapshot was taken.
    pub const fn at_head(&self) -> bool {
        self.at_head
    }
}

impl StateReader for SnapshotState<'_> {
    fn account(&self, address: Address) -> Result<Option<Account>, StateReadError> {
        let stored = if self.at_head {
            self.snapshot.stored_account(address)?
        } else {
            self.snapshot.account_at(address, self.number)?
        };
        Ok(stored.map(|stored| stored.account()))
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, StateReadError> {
        Ok(if self.at_head {
            self.snapshot.storage_value(address, slot)?
        } else {
            self.snapshot.storage_at(address, slot, self.number)?
        })
    }

    fn bytecode(&self, code_hash: B256) -> Result<Option<Bytes>, StateReadError> {
        Ok(self.snapshot.bytecode(code_hash)?)
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, StateReadError> {
        // Only ancestors are visible, as BLOCKHASH would see them.
        if number > self.number {
            return Ok(None);
        }
        Ok(self.snapshot.canonical_hash(number)?)
    }
}

/// The state as it was after block `number`, read through the history tables.
#[derive(Debug)]
pub struct HistoricalState<'a, R> {
    reader: &'a R,
    number: u64,
}

impl<'a, R: KeyValueRead> HistoricalState<'a, R> {
    /// State after block `number` was applied, read through `reader`.
    pub const fn new(reader: &'a R, number: u64) -> Self {
        Self { reader, number }
    }
}

impl<R: KeyValueRead> StateReader for HistoricalState<'_, R> {
    fn account(&self, address: Address) -> Result<Option<Account>, StateReadError> {
        Ok(self.reader.account_at(address, self.number)?.map(|stored| stored.account()))
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, StateReadError> {
        Ok(self.reader.storage_at(address, slot, self.number)?)
    }

    fn bytecode(&self, code_hash: B256) -> Result<Option<Bytes>, StateReadError> {
        Ok(self.reader.bytecode(code_hash)?)
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, StateReadError> {
        // Only ancestors are visible, as BLOCKHASH would see them.
        if number > self.number {
            return Ok(None);
        }
        Ok(self.reader.canonical_hash(number)?)
    }
}
