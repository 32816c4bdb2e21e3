//! The state after a canonical block, walked in address and slot order without holding it in
//! memory, and written as geth-style `alloc` JSON (`phala-node dump-state`, `anvil_dumpState`).
//!
//! The state after block `n` is the latest plain state with every key that changed after `n`
//! taken back to its value then. The history tables hold, under `key ‖ block`, the value a key
//! had before `block` changed it, so the first entry of a key after `n` is its value at `n`
//! (the same rule [`KeyValueRead::account_at`] reads one key by). Both the plain-state table and
//! its history table are sorted by key, so one merge of the two gives every key at `n` in order:
//! keys changed after `n` from the history, the rest from plain state. Everything is read from
//! one RocksDB snapshot, so a node writing blocks meanwhile does not tear the walk.

use crate::{
    Database, StorageError, StorageResult, StoredAccount, Table,
    db::{KeyValueRead, ReadSnapshot, prefix_end},
    models::decode_word,
    tables::key,
};
use alloy_primitives::{Address, B256, U256, hex};
use alloy_trie::KECCAK_EMPTY;
use phala_primitives::Account;
use rocksdb::{DB, DBRawIteratorWithThreadMode};
use std::{cmp::Ordering, io::Write};

/// One item of a state walk. Accounts come in address order, each followed by its non-zero
/// storage slots in slot order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateEntry<'a> {
    /// An account that existed after the block (possibly empty).
    Account {
        /// Its address.
        address: Address,
        /// Nonce, balance and code hash.
        account: Account,
        /// Its code (empty without code).
        code: &'a [u8],
    },
    /// A non-zero storage slot of the account before it.
    Slot {
        /// The slot.
        slot: B256,
        /// Its value.
        value: U256,
    },
}

/// Which block a walk or dump read, and how much it found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DumpStats {
    /// The block whose post-state was read.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
    /// Its header's state root: the root of the state walked.
    pub state_root: B256,
    /// Accounts read so far.
    pub accounts: u64,
    /// Non-zero storage slots read so far.
    pub slots: u64,
}

impl Database {
    /// Walks the state after canonical block `number` (`None`: the head) in address order,
    /// calling `visit` for every account and then each of its non-zero slots; an error from
    /// `visit` stops the walk. Memory stays constant: nothing but the current keys is held.
    pub fn walk_state_at<E: From<StorageError>>(
        &self,
        number: Option<u64>,
        mut visit: impl FnMut(StateEntry<'_>, &DumpStats) -> Result<(), E>,
    ) -> Result<DumpStats, E> {
        let snapshot = ReadSnapshot::new(self);
        let mut stats = block_at(&snapshot, number)?;
        let after = stats.number.saturating_add(1).to_be_bytes();
        let cursor = |table: Table| Cursor {
            iter: snapshot.snapshot.raw_iterator_cf_opt(self.cf(table), snapshot.total_order()),
            done: false,
        };
        let mut accounts = KeysAtBlock::new(
            [cursor(Table::Accounts), cursor(Table::AccountHistory)],
            [Table::Accounts, Table::AccountHistory],
            20,
            after,
        );
        let mut storage = KeysAtBlock::new(
            [cursor(Table::Storage), cursor(Table::StorageHistory)],
            [Table::Storage, Table::StorageHistory],
            32,
            after,
        );
        accounts.start(&[])?;
        while let Some((address, value, table)) = accounts.next()? {
            // An empty history value: the account did not exist then.
            if value.is_empty() {
                continue;
            }
            let stored = StoredAccount::decode_value(table, &value)?;
            let address = Address::from_slice(&address);
            let code = match stored.code_hash {
                KECCAK_EMPTY => Vec::new(),
                hash => snapshot.get(Table::Bytecodes, hash.as_slice())?.ok_or_else(|| {
                    StorageError::corrupt(Table::Bytecodes, format!("no code {hash} of {address}"))
                })?,
            };
            stats.accounts += 1;
            visit(StateEntry::Account { address, account: stored.account(), code: &code }, &stats)?;
            storage.start(address.as_slice())?;
            while let Some((slot, value, table)) = storage.next()? {
                let value = decode_word(table, &value)?;
                if value.is_zero() {
                    continue;
                }
                stats.slots += 1;
                visit(StateEntry::Slot { slot: B256::from_slice(&slot), value }, &stats)?;
            }
        }
        Ok(stats)
    }
}

/// The block a walk reads: `number` (`None`: the head), which must be canonical.
fn block_at(snapshot: &ReadSnapshot<'_>, number: Option<u64>) -> StorageResult<DumpStats> {
    let head = snapshot.head_header()?.number;
    let number = number.unwrap_or(head);
    if number > head {
        return Err(StorageError::BlockAfterHead { number, head });
    }
    let hash = snapshot.canonical_hash(number)?.ok_or_else(|| {
        StorageError::corrupt(Table::CanonicalHashes, format!("no canonical block {number}"))
    })?;
    let header = snapshot.header(hash)?.ok_or(StorageError::MissingBlock(hash))?;
    Ok(DumpStats { number, hash, state_root: header.state_root, ..DumpStats::default() })
}

/// A raw iterator over one table of the snapshot, moved by seeks.
struct Cursor<'s> {
    iter: DBRawIteratorWithThreadMode<'s, DB>,
    /// Past the last key (a seek beyond `0xff…ff`).
    done: bool,
}

impl Cursor<'_> {
    fn seek(&mut self, key: &[u8]) {
        self.done = false;
        self.iter.seek(key);
    }

    /// Moves past every key that starts with `prefix`.
    fn skip_past(&mut self, prefix: &[u8]) {
        match prefix_end(prefix) {
            Some(end) => self.seek(&end),
            None => self.done = true,
        }
    }

    /// The current entry, if the cursor is on one; a read error ends the cursor as an error.
    fn entry(&self) -> StorageResult<Option<(&[u8], &[u8])>> {
        if self.done {
            return Ok(None);
        }
        match (self.iter.key(), self.iter.value()) {
            (Some(key), Some(value)) => Ok(Some((key, value))),
            _ => {
                self.iter.status()?;
                Ok(None)
            }
        }
    }
}

/// An item (the key without its prefix), its value after block `n`, and the table the value is
/// from.
type ItemAtBlock = (Vec<u8>, Vec<u8>, Table);

/// The keys under one prefix (every account, or one account's slots) with their values after
/// block `n`: a merge of a plain-state table (`prefix ‖ item → value`) and its history table
/// (`prefix ‖ item ‖ block → value before block`).
struct KeysAtBlock<'s> {
    latest: Cursor<'s>,
    history: Cursor<'s>,
    tables: [Table; 2],
    item_len: usize,
    /// Block `n + 1`, big-endian: history entries from here on hold values at `n`.
    after: [u8; 8],
    prefix: Vec<u8>,
    next_latest: Option<(Vec<u8>, Vec<u8>)>,
    next_history: Option<(Vec<u8>, Vec<u8>)>,
}

impl<'s> KeysAtBlock<'s> {
    fn new(
        [latest, history]: [Cursor<'s>; 2],
        tables: [Table; 2],
        item_len: usize,
        after: [u8; 8],
    ) -> Self {
        Self {
            latest,
            history,
            tables,
            item_len,
            after,
            prefix: Vec::new(),
            next_latest: None,
            next_history: None,
        }
    }

    /// Starts over at the first key under `prefix`.
    fn start(&mut self, prefix: &[u8]) -> StorageResult<()> {
        self.prefix = prefix.to_vec();
        self.latest.seek(prefix);
        self.history.seek(prefix);
        self.next_latest = self.read_latest()?;
        self.next_history = self.read_history()?;
        Ok(())
    }

    /// The next item in key order, its value after block `n` and the table that value is from.
    fn next(&mut self) -> StorageResult<Option<ItemAtBlock>> {
        let order = match (&self.next_latest, &self.next_history) {
            (None, None) => return Ok(None),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((latest, _)), Some((history, _))) => latest.cmp(history),
        };
        if order != Ordering::Greater {
            let latest = self.next_latest.take();
            self.next_latest = self.read_latest()?;
            if order == Ordering::Less {
                return Ok(latest.map(|(item, value)| (item, value, self.tables[0])));
            }
        }
        // Changed after `n`: the history holds its value then.
        let history = self.next_history.take();
        self.next_history = self.read_history()?;
        Ok(history.map(|(item, value)| (item, value, self.tables[1])))
    }

    fn read_latest(&mut self) -> StorageResult<Option<(Vec<u8>, Vec<u8>)>> {
        let Some((key, value)) = self.latest.entry()? else { return Ok(None) };
        let Some(item) = key.strip_prefix(self.prefix.as_slice()) else { return Ok(None) };
        if item.len() != self.item_len {
            return Err(StorageError::corrupt(
                self.tables[0],
                format!("a key of {} bytes", key.len()),
            ));
        }
        let entry = (item.to_vec(), value.to_vec());
        self.latest.iter.next();
        Ok(Some(entry))
    }

    /// The next item under the prefix with a history entry after block `n`, and that entry.
    fn read_history(&mut self) -> StorageResult<Option<(Vec<u8>, Vec<u8>)>> {
        let item_key_len = self.prefix.len() + self.item_len;
        loop {
            let Some((key, _)) = self.history.entry()? else { return Ok(None) };
            if !key.starts_with(&self.prefix) {
                return Ok(None);
            }
            if key.len() != item_key_len + 8 {
                return Err(StorageError::corrupt(
                    self.tables[1],
                    format!("a key of {} bytes", key.len()),
                ));
            }
            let item_key = key[..item_key_len].to_vec();
            let target = key_after(&item_key, &self.after);
            if key < target.as_slice() {
                self.history.seek(&target);
            }
            let found = match self.history.entry()? {
                Some((key, value)) if key.starts_with(&item_key) => Some(value.to_vec()),
                // No change of this item after `n`; the cursor is on a later item now.
                _ => None,
            };
            if let Some(value) = found {
                self.history.skip_past(&item_key);
                return Ok(Some((item_key[self.prefix.len()..].to_vec(), value)));
            }
        }
    }
}

fn key_after(item_key: &[u8], after: &[u8; 8]) -> Vec<u8> {
    key(&[item_key, after])
}

/// Writes the state after canonical block `number` (`None`: the head) to `out` as geth-style
/// `alloc` JSON — `{"0x<address>": {"balance", "nonce", "code", "storage": {slot: value}}}`,
/// addresses and slots sorted, hex throughout — streaming: one account at a time, each slot as
/// it is read. [`dump_alloc_with_progress`] reports progress as it goes.
pub fn dump_alloc(
    db: &Database,
    number: Option<u64>,
    out: impl Write,
) -> Result<DumpStats, StorageError> {
    dump_alloc_with_progress(db, number, out, |_| {})
}

/// [`dump_alloc`], calling `progress` after each account with the totals so far.
pub fn dump_alloc_with_progress(
    db: &Database,
    number: Option<u64>,
    mut out: impl Write,
    mut progress: impl FnMut(&DumpStats),
) -> Result<DumpStats, StorageError> {
    let write = |out: &mut dyn Write, text: std::fmt::Arguments<'_>| -> StorageResult<()> {
        out.write_fmt(text).map_err(StorageError::Write)
    };
    // What has been opened and not yet closed: the account object, and its storage object.
    let mut open_account = false;
    let mut open_storage = false;
    write(&mut out, format_args!("{{"))?;
    let stats = db.walk_state_at(number, |entry, stats| -> StorageResult<()> {
        match entry {
            StateEntry::Account { address, account, code } => {
                if open_account {
                    progress(stats);
                    close_account(&mut out, open_storage)?;
                    write(&mut out, format_args!(","))?;
                }
                open_account = true;
                open_storage = false;
                write(
                    &mut out,
                    format_args!(
                        "\n  \"{address:#x}\": {{\n    \"balance\": \"{:#x}\",\n    \"nonce\": \"{:#x}\"",
                        account.balance, account.nonce
                    ),
                )?;
                if !code.is_empty() {
                    write(&mut out, format_args!(",\n    \"code\": \"0x{}\"", hex::encode(code)))?;
                }
            }
            StateEntry::Slot { slot, value } => {
                let separator = if open_storage { "," } else { ",\n    \"storage\": {" };
                open_storage = true;
                write(
                    &mut out,
                    format_args!("{separator}\n      \"{slot}\": \"{}\"", B256::from(value)),
                )?;
            }
        }
        Ok(())
    })?;
    if open_account {
        progress(&stats);
        close_account(&mut out, open_storage)?;
    }
    write(&mut out, format_args!("\n}}\n"))?;
    out.flush().map_err(StorageError::Write)?;
    Ok(stats)
}

fn close_account(out: &mut impl Write, open_storage: bool) -> StorageResult<()> {
    let text = if open_storage { "\n    }\n  }" } else { "\n  }" };
    out.write_all(text.as_bytes()).map_err(StorageError::Write)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{StateWriter, trie};
    use alloy_primitives::{Bytes, keccak256};
    use phala_primitives::{AccountChange, BlockBody, Header, StateChanges};
    use std::collections::BTreeMap;

    type Model = BTreeMap<Address, (Account, Vec<u8>, BTreeMap<B256, U256>)>;

    fn account(nonce: u64, balance: u64, code: &[u8]) -> Account {
        let code_hash = if code.is_empty() { KECCAK_EMPTY } else { keccak256(code) };
        Account { nonce, balance: U256::from(balance), code_hash }
    }

    fn change(account: Option<Account>, wiped: bool, slots: &[(u64, u64)]) -> AccountChange {
        AccountChange {
            account,
            storage_wiped: wiped,
            storage: slots.iter().map(|&(s, v)| (U256::from(s), U256::from(v))).collect(),
        }
    }

    /// Applies `changes` to the in-memory model of the state (`codes`: every code so far).
    fn apply(model: &mut Model, codes: &mut BTreeMap<B256, Vec<u8>>, changes: &StateChanges) {
        codes.extend(changes.bytecodes.iter().map(|(hash, code)| (*hash, code.to_vec())));
        for (address, change) in &changes.accounts {
            let Some(account) = change.account else {
                model.remove(address);
                continue;
            };
            let code = codes.get(&account.code_hash).cloned().unwrap_or_default();
            let entry = model.entry(*address).or_default();
            if change.storage_wiped {
                entry.2.clear();
            }
            entry.0 = account;
            entry.1 = code;
            for (slot, value) in &change.storage {
                let slot = B256::from(*slot);
                if value.is_zero() {
                    entry.2.remove(&slot);
                } else {
                    entry.2.insert(slot, *value);
                }
            }
        }
    }

    fn walk(db: &Database, number: Option<u64>) -> (Model, DumpStats) {
        let mut model = Model::new();
        let mut last = None;
        let stats = db
            .walk_state_at(number, |entry, _| -> StorageResult<()> {
                match entry {
                    StateEntry::Account { address, account, code } => {
                        assert!(last < Some(address), "addresses in order");
                        last = Some(address);
                        model.insert(address, (account, code.to_vec(), BTreeMap::new()));
                    }
                    StateEntry::Slot { slot, value } => {
                        let slots = &mut model.get_mut(&last.unwrap()).unwrap().2;
                        assert!(slots.keys().next_back() < Some(&slot), "slots in order");
                        slots.insert(slot, value);
                    }
                }
                Ok(())
            })
            .unwrap();
        (model, stats)
    }

    /// The state root of a model, computed from scratch.
    fn model_root(model: &Model) -> B256 {
        alloy_trie::root::state_root_unhashed(model.iter().map(|(address, (account, _, slots))| {
            let storage_root = alloy_trie::root::storage_root_unhashed(
                slots.iter().map(|(slot, value)| (*slot, *value)),
            );
            (*address, StoredAccount::new(*account, storage_root).trie_account())
        }))
    }

    /// Blocks of creations, storage writes, a deletion, a storage wipe and a re-creation; the
    /// walk at every block matches the state as built in memory, and its root the block's.
    #[test]
    fn walks_the_state_after_every_past_block() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let [a, b, c, d] = [1u8, 2, 3, 0xff].map(Address::repeat_byte);
        let code = Bytes::from_static(&[0x60, 0x00, 0x60, 0x00]);
        let contract = account(1, 0, &code);
        let blocks: Vec<StateChanges> = vec![
            StateChanges {
                accounts: BTreeMap::from([
                    (a, change(Some(account(0, 100, &[])), false, &[])),
                    (b, change(Some(contract), false, &[(1, 11), (2, 22)])),
                ]),
                bytecodes: BTreeMap::from([(keccak256(&code), code)]),
            },
            StateChanges {
                accounts: BTreeMap::from([
                    (a, change(Some(account(1, 90, &[])), false, &[])),
                    (b, change(Some(contract), false, &[(1, 0), (3, 33)])),
                    (c, change(Some(account(0, 0, &[])), false, &[])),
                    (d, change(Some(account(0, 5, &[])), false, &[(u64::MAX, 1)])),
                ]),
                ..Default::default()
            },
            StateChanges {
                accounts: BTreeMap::from([
                    (b, change(None, false, &[])),
                    (c, change(Some(account(0, 7, &[])), false, &[])),
                    (d, change(Some(account(0, 5, &[])), true, &[(9, 9)])),
                ]),
                ..Default::default()
            },
            StateChanges {
                accounts: BTreeMap::from([
                    (a, change(None, false, &[])),
                    (b, change(Some(contract), true, &[(2, 2)])),
                ]),
                ..Default::default()
            },
        ];
        let mut models = Vec::new();
        let mut model = Model::new();
        let mut codes = BTreeMap::new();
        let mut parent = B256::ZERO;
        for (number, changes) in blocks.iter().enumerate() {
            let mut writes = db.write_set();
            let mut writer = StateWriter::new(&mut writes);
            let state_root = writer.apply_state_changes(number as u64, changes).unwrap();
            let header = Header {
                number: number as u64,
                parent_hash: parent,
                state_root,
                ..Default::default()
            };
            parent = header.hash_slow();
            writer.insert_block(parent, &header, &BlockBody::default(), &[]);
            writer.make_canonical(parent, number as u64, &[]);
            writes.commit().unwrap();
            apply(&mut model, &mut codes, changes);
            assert_eq!(model_root(&model), state_root, "the model is the state of block {number}");
            assert_eq!(trie::trie_root(&db, trie::TrieId::Account).unwrap(), state_root);
            models.push((model.clone(), state_root, parent));
        }
        for (number, (model, state_root, hash)) in models.iter().enumerate() {
            let (walked, stats) = walk(&db, Some(number as u64));
            assert_eq!(&walked, model, "block {number}");
            assert_eq!((stats.state_root, stats.hash), (*state_root, *hash));
            assert_eq!(stats.accounts, model.len() as u64);
            assert_eq!(stats.slots, model.values().map(|(_, _, s)| s.len() as u64).sum::<u64>());
        }
        assert_eq!(walk(&db, None).0, models.last().unwrap().0, "no block: the head");
        let error = db.walk_state_at(Some(4), |_, _| -> StorageResult<()> { Ok(()) }).unwrap_err();
        assert!(matches!(error, StorageError::BlockAfterHead { number: 4, head: 3 }), "{error}");
    }

    #[test]
    fn dump_is_sorted_hex_json_and_stops_at_a_writer_error() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let code = Bytes::from_static(&[0xfe]);
        let changes = StateChanges {
            accounts: BTreeMap::from([
                (Address::repeat_byte(2), change(Some(account(0, 255, &[])), false, &[])),
                (
                    Address::repeat_byte(1),
                    change(Some(account(3, 1, &code)), false, &[(16, 1), (1, 2)]),
                ),
            ]),
            bytecodes: BTreeMap::from([(keccak256(&code), code.clone())]),
        };
        let mut writes = db.write_set();
        StateWriter::new(&mut writes)
            .init_genesis(&Header::default(), &changes, Vec::new())
            .unwrap();
        writes.commit().unwrap();

        let mut out = Vec::new();
        let stats = dump_alloc(&db, Some(0), &mut out).unwrap();
        assert_eq!((stats.accounts, stats.slots), (2, 2));
        let one = format!("0x{}", "01".repeat(20));
        let two = format!("0x{}", "02".repeat(20));
        let word = |n: u8| format!("0x{}{n:02x}", "00".repeat(31));
        let expected = format!(
            "{{\n  \"{one}\": {{\n    \"balance\": \"0x1\",\n    \"nonce\": \"0x3\",\n    \"code\": \"0xfe\",\n    \"storage\": {{\n      \"{}\": \"{}\",\n      \"{}\": \"{}\"\n    }}\n  }},\n  \"{two}\": {{\n    \"balance\": \"0xff\",\n    \"nonce\": \"0x0\"\n  }}\n}}\n",
            word(1),
            word(2),
            word(16),
            word(1)
        );
        assert_eq!(String::from_utf8(out.clone()).unwrap(), expected);
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(json.as_object().unwrap().len(), 2);

        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let error = dump_alloc(&db, None, Broken).unwrap_err();
        assert!(error.to_string().contains("disk full"), "{error}");
    }
}
