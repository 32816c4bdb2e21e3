use crate::{
    StorageError, StorageResult, StoredAccount, Table, TxLocation,
    models::{decode_rlp, decode_u64, decode_word},
    tables::{key, meta},
    trie,
};
use alloy_primitives::{Address, B256, Bytes, U256};
use phala_primitives::{BlockBody, Header, PhalaReceiptEnvelope};
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamily, ColumnFamilyDescriptor, DB, IteratorMode, Options,
    ReadOptions, SliceTransform, WriteBatch,
};
use std::{collections::BTreeMap, path::Path};

/// The node's database: one RocksDB with a column family per [`Table`].
#[derive(Debug)]
pub struct Database {
    pub(crate) db: DB,
}

impl Database {
    /// Opens (creating if needed) the database at `path`. A database of a version without
    /// [`Table::TrieNodes`] gets it backfilled from the tries and their change sets first.
    pub fn open(path: &Path) -> StorageResult<Self> {
        Self::open_with(path, true)
    }

    /// Opens the database at `path`, refusing to create one: a directory without a database
    /// (or no directory at all) is [`StorageError::NoDatabase`] and is left untouched. For the
    /// tools that read or extend an existing chain (`import`, `export`, `dump-state`, `db`).
    pub fn open_existing(path: &Path) -> StorageResult<Self> {
        // Checked before RocksDB is called: it creates the directory even when told not to
        // create a database.
        if !Self::exists_at(path) {
            return Err(StorageError::NoDatabase { path: path.to_path_buf() });
        }
        Self::open_with(path, false)
    }

    /// Whether `path` holds a RocksDB database (its `CURRENT` file names the live manifest).
    pub fn exists_at(path: &Path) -> bool {
        path.join("CURRENT").is_file()
    }

    /// Deletes the database at `path` (its files, and the directory if nothing else is in it).
    /// Refused while another process has it open, and when there is no database there.
    pub fn destroy(path: &Path) -> StorageResult<()> {
        if !Self::exists_at(path) {
            return Err(StorageError::NoDatabase { path: path.to_path_buf() });
        }
        Ok(DB::destroy(&Options::default(), path)?)
    }

    fn open_with(path: &Path, create: bool) -> StorageResult<Self> {
        let mut options = Options::default();
        options.create_if_missing(create);
        options.create_missing_column_families(true);
        options.set_compression_type(rocksdb::DBCompressionType::Lz4);
        options.set_max_open_files(512);
        options.increase_parallelism(2);
        // One memtable budget for all tables: each of the twenty would otherwise fill up to
        // 2 × 64 MiB before flushing, and a busy sequencer writes to half of them at once. Past
        // the budget the largest memtable is flushed; the write-ahead log keeps it crash-safe.
        options.set_db_write_buffer_size(MEMTABLE_BUDGET_BYTES);
        // One block cache for every table; Bloom filters spare point reads (and, on the history
        // tables, prefix seeks) the files that cannot hold the key.
        let cache = Cache::new_lru_cache(BLOCK_CACHE_BYTES);
        let descriptors = Table::ALL.iter().map(|&table| {
            let mut table_options = BlockBasedOptions::default();
            table_options.set_block_cache(&cache);
            table_options.set_bloom_filter(10.0, false);
            let mut cf_options = Options::default();
            cf_options.set_compression_type(rocksdb::DBCompressionType::Lz4);
            if let Some(len) = table.history_prefix() {
                cf_options.set_prefix_extractor(SliceTransform::create_fixed_prefix(len));
                cf_options.set_memtable_prefix_bloom_ratio(0.05);
                // History entries are only ever found by seeking their prefix.
                table_options.set_whole_key_filtering(false);
            }
            if table == Table::TrieNodes {
                // Hashes and RLP of hashes do not compress.
                cf_options.set_compression_type(rocksdb::DBCompressionType::None);
            }
            cf_options.set_block_based_table_factory(&table_options);
            ColumnFamilyDescriptor::new(table.name(), cf_options)
        });
        let db = Self { db: DB::open_cf_descriptors(&options, path, descriptors)? };
        db.backfill_trie_nodes()?;
        Ok(db)
    }

    /// Fills [`Table::TrieNodes`] with every node version the trie tables and their change sets
    /// hold, unless the [`meta::TRIE_NODES`] marker says it is complete (a fresh database gets
    /// the marker at once: it holds no nodes). Each block's version of a node is either the
    /// current node or the prior that the next block changing it recorded. Crash-safe: entries
    /// are content-addressed, so a re-run after an interruption only writes them again, and the
    /// marker goes in the last batch.
    fn backfill_trie_nodes(&self) -> StorageResult<()> {
        /// Entries per batch: a few MiB, so a large backfill does not build one huge batch.
        const BATCH_ENTRIES: usize = 10_000;
        if self.get(Table::Meta, meta::TRIE_NODES)?.is_some() {
            return Ok(());
        }
        let nodes = self.cf(Table::TrieNodes);
        let mut batch = WriteBatch::default();
        let mut add = |table: Table, node_key: &[u8], node: &[u8]| -> StorageResult<()> {
            if !node.is_empty() && trie::is_hashed_node(table, node_key, node) {
                batch.put_cf(nodes, alloy_primitives::keccak256(node), node);
            }
            if batch.len() >= BATCH_ENTRIES {
                self.db.write(std::mem::take(&mut batch))?;
            }
            Ok(())
        };
        for table in [Table::AccountTrie, Table::StorageTrie] {
            for item in self.db.iterator_cf(self.cf(table), IteratorMode::Start) {
                let (node_key, node) = item?;
                add(table, &node_key, &node)?;
            }
        }
        for item in self.db.iterator_cf(self.cf(Table::TrieChangeSets), IteratorMode::Start) {
            let (cs_key, prior) = item?;
            let (_, table, node_key) = trie::parse_trie_changeset_key(&cs_key)?;
            add(table, node_key, &prior)?;
        }
        batch.put_cf(self.cf(Table::Meta), meta::TRIE_NODES, []);
        self.db.write(batch)?;
        Ok(())
    }

    pub(crate) fn cf(&self, table: Table) -> &ColumnFamily {
        // Every table's column family is created by `open`.
        self.db.cf_handle(table.name()).expect("column family is created at open")
    }

    /// A new, empty set of pending writes over this database.
    pub const fn write_set(&self) -> WriteSet<'_> {
        WriteSet { db: self, pending: BTreeMap::new() }
    }

    /// A write set holding writes that were detached with [`WriteSet::detach`]. They are only
    /// meaningful over the state they were made on: the caller checks that (by the head hash).
    pub fn attach(&self, writes: DetachedWrites) -> WriteSet<'_> {
        WriteSet { db: self, pending: writes.pending }
    }

    /// Iterates `table` from `from` while keys start with `prefix`.
    fn iterate(
        &self,
        table: Table,
        from: &[u8],
        prefix: &[u8],
        visit: impl FnMut(&[u8], &[u8]) -> bool,
    ) -> StorageResult<()> {
        self.iterate_in(None, table, from, prefix, visit)
    }

    /// Every entry of `table` whose key starts with `prefix`, reading `snapshot` if given.
    fn scan_prefix_in(
        &self,
        snapshot: Option<&Snapshot<'_>>,
        table: Table,
        prefix: &[u8],
    ) -> StorageResult<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        self.iterate_in(snapshot, table, prefix, prefix, |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            true
        })?;
        Ok(out)
    }

    /// The first entry at or after `from` whose key starts with `prefix`, reading `snapshot`
    /// if given.
    fn seek_in(
        &self,
        snapshot: Option<&Snapshot<'_>>,
        table: Table,
        from: &[u8],
        prefix: &[u8],
    ) -> StorageResult<Option<(Vec<u8>, Vec<u8>)>> {
        let mut found = None;
        self.iterate_in(snapshot, table, from, prefix, |k, v| {
            found = Some((k.to_vec(), v.to_vec()));
            false
        })?;
        Ok(found)
    }

    /// [`Self::iterate`], reading `snapshot` if given.
    fn iterate_in(
        &self,
        snapshot: Option<&Snapshot<'_>>,
        table: Table,
        from: &[u8],
        prefix: &[u8],
        mut visit: impl FnMut(&[u8], &[u8]) -> bool,
    ) -> StorageResult<()> {
        let mut options = ReadOptions::default();
        if let Some(snapshot) = snapshot {
            options.set_snapshot(snapshot);
        }
        if let Some(end) = prefix_end(prefix) {
            options.set_iterate_upper_bound(end);
        }
        if table.history_prefix_len(prefix) == Some(prefix.len()) {
            // Exactly one key's history: the prefix filters apply.
            options.set_prefix_same_as_start(true);
        } else {
            options.set_total_order_seek(true);
        }
        let mut iter = self.db.raw_iterator_cf_opt(self.cf(table), options);
        iter.seek(from);
        while let (Some(k), Some(v)) = (iter.key(), iter.value()) {
            if !k.starts_with(prefix) || !visit(k, v) {
                break;
            }
            iter.next();
        }
        Ok(iter.status()?)
    }

    /// The canonical hashes of blocks `from..=to` in order, read with one iterator (a range of
    /// point reads costs a lookup through every level each); it stops before the first number
    /// without a canonical block.
    pub fn canonical_hashes(&self, from: u64, to: u64) -> StorageResult<Vec<B256>> {
        let mut hashes = Vec::new();
        let (mut expected, mut corrupt) = (Some(from), false);
        self.iterate(Table::CanonicalHashes, &from.to_be_bytes(), &[], |key, value| {
            let Some(number) = expected.filter(|n| *n <= to && key == n.to_be_bytes()) else {
                return false;
            };
            let Ok(hash) = B256::try_from(value) else {
                corrupt = true;
                return false;
            };
            hashes.push(hash);
            expected = number.checked_add(1);
            true
        })?;
        if corrupt {
            return Err(StorageError::corrupt(Table::CanonicalHashes, "hash"));
        }
        Ok(hashes)
    }

    /// The entries of `table` in key order, from the first key at or after `from` (`db list`).
    pub fn entries(
        &self,
        table: Table,
        from: &[u8],
    ) -> impl Iterator<Item = StorageResult<RawEntry>> + '_ {
        let mut options = ReadOptions::default();
        // The history tables have prefix extractors: a walk across keys needs total order.
        options.set_total_order_seek(true);
        self.db
            .iterator_cf_opt(
                self.cf(table),
                options,
                IteratorMode::From(from, rocksdb::Direction::Forward),
            )
            .map(|item| item.map_err(StorageError::from))
    }

    /// A checksum of every key and value of `table` in key order, and the number of entries:
    /// keccak-256 over `len(key) ‖ key ‖ len(value) ‖ value` per entry, lengths as 4-byte
    /// big-endian, so that two tables have the same checksum exactly when they hold the same
    /// entries (`db checksum`).
    pub fn table_checksum(&self, table: Table) -> StorageResult<(B256, u64)> {
        let mut hasher = alloy_primitives::Keccak256::new();
        let mut count = 0u64;
        for entry in self.entries(table, &[]) {
            let (key, value) = entry?;
            for part in [&key, &value] {
                let len = u32::try_from(part.len())
                    .map_err(|_| StorageError::corrupt(table, "an entry over 4 GiB"))?;
                hasher.update(len.to_be_bytes());
                hasher.update(part);
            }
            count += 1;
        }
        Ok((hasher.finalize(), count))
    }

    /// Approximate on-disk size and key count per table (`db stats`).
    pub fn table_stats(&self) -> Vec<(Table, u64, u64)> {
        Table::ALL
            .iter()
            .map(|table| {
                let cf = self.cf(*table);
                let size = self
                    .db
                    .property_int_value_cf(cf, "rocksdb.total-sst-files-size")
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                let keys = self
                    .db
                    .property_int_value_cf(cf, "rocksdb.estimate-num-keys")
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                (*table, size, keys)
            })
            .collect()
    }
}

/// A raw key and value, as [`Database::entries`] yields them.
pub type RawEntry = (Box<[u8]>, Box<[u8]>);

/// Bytes of the block cache all tables share.
const BLOCK_CACHE_BYTES: usize = 128 << 20;

/// Bytes of unflushed writes (memtables) all tables share.
const MEMTABLE_BUDGET_BYTES: usize = 64 << 20;

/// A RocksDB snapshot of the database.
pub(crate) type Snapshot<'db> = rocksdb::SnapshotWithThreadMode<'db, DB>;

/// The committed database as it was at one moment: reads through it see no later write, so a
/// long walk (a state dump) stays consistent while a node goes on writing blocks.
pub(crate) struct ReadSnapshot<'db> {
    pub(crate) db: &'db Database,
    pub(crate) snapshot: Snapshot<'db>,
}

impl<'db> ReadSnapshot<'db> {
    /// A snapshot of `db` as it is now.
    pub(crate) fn new(db: &'db Database) -> Self {
        Self { db, snapshot: db.db.snapshot() }
    }

    /// Read options that read this snapshot, in total order (across history prefixes).
    pub(crate) fn total_order(&self) -> ReadOptions {
        let mut options = ReadOptions::default();
        options.set_snapshot(&self.snapshot);
        options.set_total_order_seek(true);
        options
    }
}

impl KeyValueRead for ReadSnapshot<'_> {
    fn get(&self, table: Table, key: &[u8]) -> StorageResult<Option<Vec<u8>>> {
        Ok(self.snapshot.get_cf(self.db.cf(table), key)?)
    }

    fn scan_prefix(&self, table: Table, prefix: &[u8]) -> StorageResult<Vec<(Vec<u8>, Vec<u8>)>> {
        self.db.scan_prefix_in(Some(&self.snapshot), table, prefix)
    }

    fn seek(
        &self,
        table: Table,
        from: &[u8],
        prefix: &[u8],
    ) -> StorageResult<Option<(Vec<u8>, Vec<u8>)>> {
        self.db.seek_in(Some(&self.snapshot), table, from, prefix)
    }
}

/// The smallest key above every key that starts with `prefix` (`None`: there is none).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let last = prefix.iter().rposition(|&byte| byte != 0xff)?;
    let mut end = prefix[..=last].to_vec();
    end[last] += 1;
    Some(end)
}

/// Read access shared by the committed database and a pending [`WriteSet`]; typed getters for
/// every table are provided on top of the raw key-value reads.
pub trait KeyValueRead {
    /// The raw value of `key` in `table`.
    fn get(&self, table: Table, key: &[u8]) -> StorageResult<Option<Vec<u8>>>;

    /// All entries of `table` whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, table: Table, prefix: &[u8]) -> StorageResult<Vec<(Vec<u8>, Vec<u8>)>>;

    /// The first entry at or after `from` whose key starts with `prefix`.
    fn seek(
        &self,
        table: Table,
        from: &[u8],
        prefix: &[u8],
    ) -> StorageResult<Option<(Vec<u8>, Vec<u8>)>>;

    /// Hash of the canonical head.
    fn head_hash(&self) -> StorageResult<B256> {
        let bytes = self.get(Table::Meta, meta::HEAD)?.ok_or(StorageError::NotInitialised)?;
        B256::try_from(bytes.as_slice()).map_err(|_| StorageError::corrupt(Table::Meta, "head"))
    }

    /// Hash of the genesis block, if the database is initialised.
    fn genesis_hash(&self) -> StorageResult<Option<B256>> {
        self.get(Table::Meta, meta::GENESIS)?
            .map(|bytes| {
                B256::try_from(bytes.as_slice())
                    .map_err(|_| StorageError::corrupt(Table::Meta, "genesis"))
            })
            .transpose()
    }

    /// The genesis JSON the database was initialised with.
    fn chain_config(&self) -> StorageResult<Option<Vec<u8>>> {
        self.get(Table::Meta, meta::CHAIN)
    }

    /// The header of the canonical head.
    fn head_header(&self) -> StorageResult<Header> {
        let hash = self.head_hash()?;
        self.header(hash)?.ok_or(StorageError::MissingBlock(hash))
    }

    /// A header by block hash (canonical or not).
    fn header(&self, hash: B256) -> StorageResult<Option<Header>> {
        self.get(Table::Headers, hash.as_slice())?
            .map(|bytes| decode_rlp(Table::Headers, &bytes))
            .transpose()
    }

    /// The number of a known block.
    fn block_number(&self, hash: B256) -> StorageResult<Option<u64>> {
        self.get(Table::HeaderNumbers, hash.as_slice())?
            .map(|bytes| decode_u64(Table::HeaderNumbers, &bytes))
            .transpose()
    }

    /// A block body by block hash.
    fn body(&self, hash: B256) -> StorageResult<Option<BlockBody>> {
        self.get(Table::Bodies, hash.as_slice())?
            .map(|bytes| decode_rlp(Table::Bodies, &bytes))
            .transpose()
    }

    /// The receipts of a block by block hash.
    fn receipts(&self, hash: B256) -> StorageResult<Option<Vec<PhalaReceiptEnvelope>>> {
        self.get(Table::Receipts, hash.as_slice())?
            .map(|bytes| decode_rlp(Table::Receipts, &bytes))
            .transpose()
    }

    /// The canonical block hash at `number`.
    fn canonical_hash(&self, number: u64) -> StorageResult<Option<B256>> {
        self.get(Table::CanonicalHashes, &number.to_be_bytes())?
            .map(|bytes| {
                B256::try_from(bytes.as_slice())
                    .map_err(|_| StorageError::corrupt(Table::CanonicalHashes, "hash"))
            })
            .transpose()
    }

    /// Where a canonical transaction is.
    fn tx_location(&self, tx_hash: B256) -> StorageResult<Option<TxLocation>> {
        self.get(Table::TxLookup, tx_hash.as_slice())?
            .map(|bytes| TxLocation::decode_value(&bytes))
            .transpose()
    }

    /// The latest account with its storage root.
    fn stored_account(&self, address: Address) -> StorageResult<Option<StoredAccount>> {
        self.get(Table::Accounts, address.as_slice())?
            .map(|bytes| StoredAccount::decode_value(Table::Accounts, &bytes))
            .transpose()
    }

    /// The latest value of a storage slot.
    fn storage_value(&self, address: Address, slot: U256) -> StorageResult<U256> {
        match self.get(Table::Storage, &key(&[address.as_slice(), &slot.to_be_bytes::<32>()]))? {
            Some(bytes) => decode_word(Table::Storage, &bytes),
            None => Ok(U256::ZERO),
        }
    }

    /// Code by hash.
    fn bytecode(&self, code_hash: B256) -> StorageResult<Option<Bytes>> {
        Ok(self.get(Table::Bytecodes, code_hash.as_slice())?.map(Bytes::from))
    }

    /// The account as it was after block `number` was applied (`None`: it did not exist).
    fn account_at(&self, address: Address, number: u64) -> StorageResult<Option<StoredAccount>> {
        let from = key(&[address.as_slice(), &(number + 1).to_be_bytes()]);
        match self.seek(Table::AccountHistory, &from, address.as_slice())? {
            // The first change after `number` recorded the value it overwrote.
            Some((_, prior)) if prior.is_empty() => Ok(None),
            Some((_, prior)) => {
                StoredAccount::decode_value(Table::AccountHistory, &prior).map(Some)
            }
            None => self.stored_account(address),
        }
    }

    /// The value of a storage slot after block `number` was applied.
    fn storage_at(&self, address: Address, slot: U256, number: u64) -> StorageResult<U256> {
        let prefix = key(&[address.as_slice(), &slot.to_be_bytes::<32>()]);
        let from = key(&[&prefix, &(number + 1).to_be_bytes()]);
        match self.seek(Table::StorageHistory, &from, &prefix)? {
            Some((_, prior)) => decode_word(Table::StorageHistory, &prior),
            None => self.storage_value(address, slot),
        }
    }
}

impl KeyValueRead for Database {
    fn get(&self, table: Table, key: &[u8]) -> StorageResult<Option<Vec<u8>>> {
        Ok(self.db.get_cf(self.cf(table), key)?)
    }

    fn scan_prefix(&self, table: Table, prefix: &[u8]) -> StorageResult<Vec<(Vec<u8>, Vec<u8>)>> {
        self.scan_prefix_in(None, table, prefix)
    }

    fn seek(
        &self,
        table: Table,
        from: &[u8],
        prefix: &[u8],
    ) -> StorageResult<Option<(Vec<u8>, Vec<u8>)>> {
        self.seek_in(None, table, from, prefix)
    }
}

/// Writes pending over a [`Database`]: reads see them, nothing reaches the database until
/// [`WriteSet::commit`] writes all of them in one atomic batch. A clone is a scratch copy whose
/// writes are never committed unless it is committed itself.
#[derive(Debug, Clone)]
pub struct WriteSet<'a> {
    db: &'a Database,
    /// `None` marks a deletion.
    pending: BTreeMap<(Table, Vec<u8>), Option<Vec<u8>>>,
}

/// Pending writes taken out of a [`WriteSet`], owned, so they can be kept (a block executed but
/// not yet made canonical) and committed later with [`Database::attach`].
#[derive(Debug, Clone, Default)]
pub struct DetachedWrites {
    pending: BTreeMap<(Table, Vec<u8>), Option<Vec<u8>>>,
}

impl DetachedWrites {
    /// Sets `key` in `table`.
    pub fn put(&mut self, table: Table, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.pending.insert((table, key.into()), Some(value.into()));
    }

    /// Deletes `key` from `table`.
    pub fn delete(&mut self, table: Table, key: impl Into<Vec<u8>>) {
        self.pending.insert((table, key.into()), None);
    }

    /// Number of pending writes.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

impl WriteSet<'_> {
    /// Takes the pending writes out, to be committed later over the same state.
    pub fn detach(self) -> DetachedWrites {
        DetachedWrites { pending: self.pending }
    }

    /// Sets `key` in `table`.
    pub fn put(&mut self, table: Table, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.pending.insert((table, key.into()), Some(value.into()));
    }

    /// Deletes `key` from `table`.
    pub fn delete(&mut self, table: Table, key: impl Into<Vec<u8>>) {
        self.pending.insert((table, key.into()), None);
    }

    /// Number of pending writes.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The database under this write set.
    pub const fn database(&self) -> &Database {
        self.db
    }

    /// Writes everything atomically.
    pub fn commit(self) -> StorageResult<()> {
        let mut batch = WriteBatch::default();
        for ((table, key), value) in self.pending {
            let cf = self.db.cf(table);
            match value {
                Some(value) => batch.put_cf(cf, key, value),
                None => batch.delete_cf(cf, key),
            }
        }
        self.db.db.write(batch)?;
        Ok(())
    }

    pub(crate) fn set_head(&mut self, hash: B256) {
        self.put(Table::Meta, meta::HEAD, hash.as_slice());
    }

    pub(crate) fn set_genesis(&mut self, hash: B256, chain_config: Vec<u8>) {
        self.put(Table::Meta, meta::GENESIS, hash.as_slice());
        self.put(Table::Meta, meta::CHAIN, chain_config);
    }

    fn pending_range<'s>(
        &'s self,
        table: Table,
        from: &[u8],
        prefix: &'s [u8],
    ) -> impl Iterator<Item = (&'s Vec<u8>, &'s Option<Vec<u8>>)> + 's {
        self.pending
            .range((table, from.to_vec())..)
            .take_while(move |((t, k), _)| *t == table && k.starts_with(prefix))
            .map(|((_, k), v)| (k, v))
    }
}

impl KeyValueRead for WriteSet<'_> {
    fn get(&self, table: Table, key: &[u8]) -> StorageResult<Option<Vec<u8>>> {
        match self.pending.get(&(table, key.to_vec())) {
            Some(value) => Ok(value.clone()),
            None => self.db.get(table, key),
        }
    }

    fn scan_prefix(&self, table: Table, prefix: &[u8]) -> StorageResult<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> =
            self.db.scan_prefix(table, prefix)?.into_iter().collect();
        for (k, v) in self.pending_range(table, prefix, prefix) {
            match v {
                Some(v) => merged.insert(k.clone(), v.clone()),
                None => merged.remove(k),
            };
        }
        Ok(merged.into_iter().collect())
    }

    fn seek(
        &self,
        table: Table,
        from: &[u8],
        prefix: &[u8],
    ) -> StorageResult<Option<(Vec<u8>, Vec<u8>)>> {
        // Walk the committed keys, skipping those deleted in the write set, and take whichever of
        // the first live committed key and the first pending put comes first.
        let mut committed = None;
        self.db.iterate(table, from, prefix, |k, v| {
            match self.pending.get(&(table, k.to_vec())) {
                Some(None) => true,
                Some(Some(pending)) => {
                    committed = Some((k.to_vec(), pending.clone()));
                    false
                }
                None => {
                    committed = Some((k.to_vec(), v.to_vec()));
                    false
                }
            }
        })?;
        let pending = self
            .pending_range(table, from, prefix)
            .find_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())));
        Ok(match (committed, pending) {
            (Some(c), Some(p)) => Some(if p.0 < c.0 { p } else { c }),
            (c, p) => c.or(p),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_is_the_next_key_after_every_extension() {
        assert_eq!(prefix_end(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(prefix_end(&[1, 0xff, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(&[]), None);
    }

    #[test]
    fn history_prefixes_are_the_key_without_the_block() {
        assert_eq!(Table::AccountHistory.history_prefix_len(&[7; 28]), Some(20));
        assert_eq!(Table::StorageHistory.history_prefix_len(&[7; 60]), Some(52));
        assert_eq!(Table::StorageHistory.history_prefix_len(&[7; 51]), None);
        assert_eq!(Table::Accounts.history_prefix_len(&[7; 28]), None);
    }

    /// A range of canonical hashes comes back in order, stops at the first gap, and is empty
    /// when it is empty or past the chain.
    #[test]
    fn canonical_hashes_read_a_range_up_to_the_first_gap() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let hash = |n: u64| B256::from(U256::from(n) + U256::from(1));
        let mut writes = db.write_set();
        for n in [0, 1, 2, 3, 4, 5, 7, u64::MAX] {
            writes.put(Table::CanonicalHashes, n.to_be_bytes(), hash(n).as_slice());
        }
        writes.commit().unwrap();
        let range = |from, to| db.canonical_hashes(from, to).unwrap();
        assert_eq!(range(1, 3), vec![hash(1), hash(2), hash(3)]);
        assert_eq!(range(4, 9), vec![hash(4), hash(5)]);
        assert_eq!(range(0, 0), vec![hash(0)]);
        assert_eq!(range(3, 2), Vec::<B256>::new());
        assert_eq!(range(6, 7), Vec::<B256>::new());
        assert_eq!(range(8, u64::MAX - 1), Vec::<B256>::new());
        assert_eq!(range(u64::MAX, u64::MAX), vec![hash(u64::MAX)]);
        for n in 0..=7 {
            if n != 6 {
                assert_eq!(range(n, n), vec![db.canonical_hash(n).unwrap().unwrap()]);
            }
        }
    }

    /// Seeks within one key's history never run into a neighbour's entries, whether they are in
    /// the memtable or in files with prefix filters, and whole-table scans still see everything.
    #[test]
    fn history_seeks_stay_within_their_key() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let block = |n: u64| n.to_be_bytes();
        let (address, next_address) = ([3u8; 20], [4u8; 20]);
        let slot = [9u8; 32];
        for flush in [false, true] {
            let mut writes = db.write_set();
            writes.put(Table::AccountHistory, key(&[&address, &block(10)]), vec![1]);
            writes.put(Table::AccountHistory, key(&[&next_address, &block(30)]), vec![2]);
            writes.put(Table::StorageHistory, key(&[&address, &slot, &block(10)]), vec![3]);
            writes.put(Table::StorageHistory, key(&[&next_address, &slot, &block(30)]), vec![4]);
            writes.commit().unwrap();
            if flush {
                for table in [Table::AccountHistory, Table::StorageHistory] {
                    db.db.flush_cf(db.cf(table)).unwrap();
                }
            }
            let from = |prefix: &[u8], n: u64| key(&[prefix, &block(n)]);
            assert_eq!(
                db.seek(Table::AccountHistory, &from(&address, 5), &address).unwrap(),
                Some((from(&address, 10), vec![1]))
            );
            assert_eq!(
                db.seek(Table::AccountHistory, &from(&address, 11), &address).unwrap(),
                None
            );
            let slot_key = key(&[&address, &slot]);
            assert_eq!(
                db.seek(Table::StorageHistory, &from(&slot_key, 11), &slot_key).unwrap(),
                None
            );
            assert_eq!(
                db.seek(Table::StorageHistory, &from(&slot_key, 10), &slot_key).unwrap(),
                Some((from(&slot_key, 10), vec![3]))
            );
            // Shorter prefixes and whole-table scans see across keys.
            assert_eq!(db.scan_prefix(Table::AccountHistory, &[]).unwrap().len(), 2);
            assert_eq!(db.scan_prefix(Table::StorageHistory, &[3]).unwrap().len(), 1);
            assert_eq!(db.scan_prefix(Table::StorageHistory, &[]).unwrap().len(), 2);
        }
    }
}
