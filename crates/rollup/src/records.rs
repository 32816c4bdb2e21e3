//! The rollup services' records in the database's [`Table::Rollup`]: small JSON values by name,
//! written in one RocksDB batch each, so a crash leaves either the old or the new record. Keyed
//! records by number live beside them ([`crate::safe_heads`]).

use crate::{RollupError, RollupResult};
use phala_storage::{Database, KeyValueRead, Table, WriteSet};
use serde::{Serialize, de::DeserializeOwned};

/// Reads the record `key`, if there is one.
pub fn read_record<T: DeserializeOwned>(
    db: &Database,
    key: &'static str,
) -> RollupResult<Option<T>> {
    let Some(bytes) = db.get(Table::Rollup, key.as_bytes())? else { return Ok(None) };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| RollupError::CorruptRecord { key, source })
}

/// Writes the record `key` (durably, before returning).
pub fn write_record<T: Serialize>(db: &Database, key: &'static str, value: &T) -> RollupResult<()> {
    let mut writes = db.write_set();
    put_record(&mut writes, key, value);
    writes.commit()?;
    Ok(())
}

/// Adds the record `key` to `writes`, to be committed with other writes in one batch.
pub fn put_record<T: Serialize>(writes: &mut WriteSet<'_>, key: &'static str, value: &T) {
    let bytes = serde_json::to_vec(value).expect("rollup records serialise");
    writes.put(Table::Rollup, key.as_bytes(), bytes);
}

/// Deletes the record `key`.
pub fn delete_record(db: &Database, key: &'static str) -> RollupResult<()> {
    let mut writes = db.write_set();
    writes.delete(Table::Rollup, key.as_bytes());
    writes.commit()?;
    Ok(())
}
