use crate::Table;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// RocksDB reported an error.
    #[error("database error: {0}")]
    Rocks(#[from] rocksdb::Error),
    /// A stored value could not be decoded: the database is corrupt or of another version.
    #[error("corrupt value in table {table:?}: {reason}")]
    Corrupt {
        /// The table holding the value.
        table: Table,
        /// What was wrong.
        reason: String,
    },
    /// The database has not been initialised with a genesis block.
    #[error("database is not initialised: run `phala-node init` first")]
    NotInitialised,
    /// The database was initialised for another chain.
    #[error(
        "database holds chain with genesis {stored}, but the chain spec has genesis {expected}"
    )]
    GenesisMismatch {
        /// Genesis hash in the database.
        stored: alloy_primitives::B256,
        /// Genesis hash of the chain spec.
        expected: alloy_primitives::B256,
    },
    /// A block needed to unwind or re-org is missing.
    #[error("block {0} is missing from the database")]
    MissingBlock(alloy_primitives::B256),
}

impl StorageError {
    pub(crate) fn corrupt(table: Table, reason: impl std::fmt::Display) -> Self {
        Self::Corrupt { table, reason: reason.to_string() }
    }
}
