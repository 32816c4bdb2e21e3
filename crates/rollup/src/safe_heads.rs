//! The safe-head database (op-node's `safedb`): for each L1 block that moved the safe head, the
//! newest safe head derived from it, so `optimism_safeHeadAtL1Block` can say which L2 block was
//! safe once L1 had reached a given block.
//!
//! Entries live in [`Table::Rollup`] under [`KEY_PREFIX`] ‖ big-endian `u64::MAX - l1_number`:
//! inverting the number turns "the newest entry at or below L1 block `n`" into the first key at
//! or after `n`'s, which the forward [`KeyValueRead::seek`] finds directly. The value is the L1
//! block's hash, the safe head's hash and the safe head's number (72 bytes, as op-node's).
//!
//! Entries are written in the same batch as the safe head record; an L1 re-org or a derivation
//! reset removes entries above the safe head it goes back to ([`truncate_above`]).

use crate::{RollupError, RollupResult};
use alloy_primitives::B256;
use phala_protocol::rollup::BlockRef;
use phala_storage::{KeyValueRead, Table, WriteSet};

/// The key prefix of the entries in [`Table::Rollup`].
pub const KEY_PREFIX: &[u8] = b"safe_head_by_l1/";

/// A recorded safe head: L1 block `l1` made L2 block `safe_head` safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SafeHeadEntry {
    /// The L1 block the safe head was derived from.
    pub l1: BlockRef,
    /// The safe head.
    pub safe_head: BlockRef,
}

fn key(l1_number: u64) -> Vec<u8> {
    [KEY_PREFIX, &(u64::MAX - l1_number).to_be_bytes()].concat()
}

fn decode(key: &[u8], value: &[u8]) -> RollupResult<SafeHeadEntry> {
    let corrupt = || RollupError::CorruptSafeHeadEntry { key: key.to_vec() };
    let inverted: [u8; 8] =
        key.strip_prefix(KEY_PREFIX).and_then(|n| n.try_into().ok()).ok_or_else(corrupt)?;
    if value.len() != 72 {
        return Err(corrupt());
    }
    let number: [u8; 8] = value[64..].try_into().map_err(|_| corrupt())?;
    Ok(SafeHeadEntry {
        l1: BlockRef {
            hash: B256::from_slice(&value[..32]),
            number: u64::MAX - u64::from_be_bytes(inverted),
        },
        safe_head: BlockRef {
            hash: B256::from_slice(&value[32..64]),
            number: u64::from_be_bytes(number),
        },
    })
}

/// Adds to `writes`: L1 block `l1` made `safe_head` safe (replacing what an earlier block derived
/// from the same L1 block recorded).
pub fn put(writes: &mut WriteSet<'_>, l1: BlockRef, safe_head: BlockRef) {
    let value =
        [l1.hash.as_slice(), safe_head.hash.as_slice(), &safe_head.number.to_be_bytes()].concat();
    writes.put(Table::Rollup, key(l1.number), value);
}

/// The entry of the newest L1 block at or below `l1_number`, if any.
pub fn at_l1(db: &impl KeyValueRead, l1_number: u64) -> RollupResult<Option<SafeHeadEntry>> {
    db.seek(Table::Rollup, &key(l1_number), KEY_PREFIX)?
        .map(|(key, value)| decode(&key, &value))
        .transpose()
}

/// The newest entry, if any.
pub fn latest(db: &impl KeyValueRead) -> RollupResult<Option<SafeHeadEntry>> {
    at_l1(db, u64::MAX)
}

/// Adds to `writes` the deletion of every entry recorded for an L1 block above `max_l1` or with
/// a safe head above `max_safe`: what a reset to a safe head derived from `max_l1` (or an older
/// block) leaves standing. Walks from the newest entry, so it costs one read when nothing goes.
pub fn truncate_above(
    writes: &mut WriteSet<'_>,
    max_l1: u64,
    max_safe: u64,
) -> RollupResult<usize> {
    let mut removed = 0;
    let mut from = u64::MAX;
    while let Some((key, value)) =
        KeyValueRead::seek(&*writes, Table::Rollup, &key(from), KEY_PREFIX)?
    {
        let entry = decode(&key, &value)?;
        if entry.l1.number <= max_l1 && entry.safe_head.number <= max_safe {
            break;
        }
        writes.delete(Table::Rollup, key);
        removed += 1;
        let Some(next) = entry.l1.number.checked_sub(1) else { break };
        from = next;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use phala_storage::Database;

    fn block(number: u64, tag: u8) -> BlockRef {
        BlockRef { hash: B256::repeat_byte(tag), number }
    }

    fn record(db: &Database, l1: u64, safe: u64) {
        let mut writes = db.write_set();
        put(&mut writes, block(l1, l1 as u8), block(safe, safe as u8));
        writes.commit().unwrap();
    }

    #[test]
    fn lookup_finds_the_newest_entry_at_or_below() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        assert_eq!(at_l1(&db, 100).unwrap(), None);
        assert_eq!(latest(&db).unwrap(), None);
        record(&db, 10, 3);
        record(&db, 12, 7);
        record(&db, 15, 9);
        // A record under another name must not be read as an entry.
        let mut writes = db.write_set();
        writes.put(Table::Rollup, b"safe_head_by_l1".to_vec(), b"x".to_vec());
        writes.put(Table::Rollup, b"derivation.safe_head".to_vec(), b"{}".to_vec());
        writes.commit().unwrap();

        assert_eq!(at_l1(&db, 9).unwrap(), None, "before the first entry");
        let at = |n| at_l1(&db, n).unwrap().map(|e| (e.l1.number, e.safe_head.number));
        assert_eq!(at(10), Some((10, 3)));
        assert_eq!(at(11), Some((10, 3)));
        assert_eq!(at(12), Some((12, 7)));
        assert_eq!(at(14), Some((12, 7)));
        assert_eq!(at(15), Some((15, 9)));
        assert_eq!(at(u64::MAX), Some((15, 9)));
        let entry = at_l1(&db, 13).unwrap().unwrap();
        assert_eq!(entry.l1.hash, B256::repeat_byte(12));
        assert_eq!(entry.safe_head.hash, B256::repeat_byte(7));
        assert_eq!(latest(&db).unwrap().unwrap().l1.number, 15);

        // A later safe head derived from the same L1 block replaces the entry.
        record(&db, 15, 11);
        assert_eq!(at(20), Some((15, 11)));
        // L1 block 0 and the largest number are keys like any other.
        record(&db, 0, 0);
        assert_eq!(at(5), Some((0, 0)));
    }

    #[test]
    fn truncation_removes_entries_above_the_reset_point() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        for (l1, safe) in [(10, 3), (12, 7), (15, 9), (18, 12)] {
            record(&db, l1, safe);
        }
        let truncate = |max_l1, max_safe| {
            let mut writes = db.write_set();
            let removed = truncate_above(&mut writes, max_l1, max_safe).unwrap();
            writes.commit().unwrap();
            removed
        };
        assert_eq!(truncate(100, 100), 0, "nothing above");
        // An L1 re-org below block 15: entries of 15 and 18 go.
        assert_eq!(truncate(14, 100), 2);
        assert_eq!(latest(&db).unwrap().unwrap().l1.number, 12);
        assert_eq!(at_l1(&db, 30).unwrap().unwrap().safe_head.number, 7);
        // A reset to safe head 5 (derived from a block the entries do not bound).
        assert_eq!(truncate(100, 5), 1);
        assert_eq!(latest(&db).unwrap().unwrap().l1.number, 10);
        // Back to genesis: all gone, lookups fail as before the first entry.
        assert_eq!(truncate(0, 0), 1);
        assert_eq!(at_l1(&db, 30).unwrap(), None);
        assert_eq!(truncate(0, 0), 0);
    }

    #[test]
    fn a_corrupt_entry_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let mut writes = db.write_set();
        writes.put(Table::Rollup, key(4), vec![1, 2, 3]);
        writes.commit().unwrap();
        assert!(matches!(at_l1(&db, 9), Err(RollupError::CorruptSafeHeadEntry { .. })));
        let mut writes = db.write_set();
        assert!(truncate_above(&mut writes, 0, 0).is_err());
    }
}
