use crate::{Table, trie::TrieId};
use alloy_primitives::B256;
use alloy_trie::Nibbles;

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
    /// There is no database at this path (and none was created).
    #[error("no database at {}", path.display())]
    NoDatabase {
        /// The directory that was to hold it.
        path: std::path::PathBuf,
    },
    /// A table name that is not one of [`Table::ALL`].
    #[error("unknown table {name:?}; the tables are {}", Table::names().join(", "))]
    UnknownTable {
        /// The name given.
        name: String,
    },
    /// State was asked for at a block the chain has not reached.
    #[error("block {number} is after the head block {head}")]
    BlockAfterHead {
        /// The block asked for.
        number: u64,
        /// The head block's number.
        head: u64,
    },
    /// Writing a state dump failed.
    #[error("cannot write the state dump: {0}")]
    Write(#[source] std::io::Error),
    /// A witness could not serve a read or seed a database (boxed: it is large, and every
    /// block result carries this error type).
    #[error(transparent)]
    Witness(Box<WitnessError>),
}

impl From<WitnessError> for StorageError {
    fn from(error: WitnessError) -> Self {
        Self::Witness(Box::new(error))
    }
}

/// Errors of reading state from a witness (a preimage map of trie nodes and code).
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// A trie node on the path of a read is not among the preimages: the witness does not cover
    /// this read.
    #[error("witness lacks trie node {hash} at path {path:?} of the {trie:?} trie")]
    MissingNode {
        /// The trie being walked.
        trie: TrieId,
        /// Nibble path of the node.
        path: Nibbles,
        /// Hash the parent refers to it by.
        hash: B256,
    },
    /// Code of an account is not among the preimages.
    #[error("witness lacks code {0}")]
    MissingCode(B256),
    /// A preimage is not the keccak-256 preimage of its key.
    #[error("witness preimage under {key} hashes to {actual}")]
    PreimageMismatch {
        /// Key the preimage is given under.
        key: B256,
        /// Keccak-256 of the value.
        actual: B256,
    },
    /// A trie node, an account leaf or a storage value does not decode.
    #[error("witness node at path {path:?} of the {trie:?} trie does not decode: {source}")]
    InvalidNode {
        /// The trie being walked.
        trie: TrieId,
        /// Nibble path of the node.
        path: Nibbles,
        /// The decoding error.
        source: alloy_rlp::Error,
    },
    /// A node's key would run past the 64 nibbles of a hashed key, or a leaf ends before them.
    #[error("witness node at path {path:?} of the {trie:?} trie has a key of the wrong length")]
    KeyLength {
        /// The trie being walked.
        trie: TrieId,
        /// Nibble path of the node.
        path: Nibbles,
    },
}

impl StorageError {
    pub(crate) fn corrupt(table: Table, reason: impl std::fmt::Display) -> Self {
        Self::Corrupt { table, reason: reason.to_string() }
    }
}
