/// The column families of the database. Keys are big-endian so that iteration order is numeric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    /// Block hash → RLP header.
    Headers,
    /// Block hash → block number (8 bytes).
    HeaderNumbers,
    /// Block hash → RLP body (transactions, ommers, withdrawals).
    Bodies,
    /// Block hash → RLP list of EIP-2718 receipts.
    Receipts,
    /// Block number → canonical block hash.
    CanonicalHashes,
    /// Transaction hash → block number ‖ index of the canonical block holding it.
    TxLookup,
    /// Address → account (nonce, balance, code hash, storage root).
    Accounts,
    /// Address ‖ slot → value (32 bytes).
    Storage,
    /// Code hash → bytecode.
    Bytecodes,
    /// Block number ‖ address → account before the block (empty: did not exist).
    AccountChangeSets,
    /// Block number ‖ address ‖ slot → value before the block.
    StorageChangeSets,
    /// Address ‖ block number → account before that block (historical reads).
    AccountHistory,
    /// Address ‖ slot ‖ block number → value before that block (historical reads).
    StorageHistory,
    /// Nibble path (a byte per nibble) → RLP node of the account trie.
    AccountTrie,
    /// Hashed address ‖ nibble path → RLP node of that account's storage trie.
    StorageTrie,
    /// Block number ‖ trie kind ‖ trie key → node before the block (for unwinding).
    TrieChangeSets,
    /// Node hash → RLP node: every version of every trie node that its parent refers to by hash,
    /// and every root, so that the tries of any past block can be walked from its state root
    /// (proofs at past blocks). Content-addressed, so an unwound block's nodes may stay.
    TrieNodes,
    /// Named singletons: head, genesis, chain config.
    Meta,
    /// Records of the rollup services, by name (the batcher's channel in flight, the derivation's
    /// safe and finalized heads); their encoding is the services' own.
    Rollup,
    /// Records of a dev chain's cheat RPCs (`--dev`), by name: state changes waiting for the next
    /// block, snapshots, the dev clock, and the senders of impersonated transactions; their
    /// encoding is the engine's own.
    Dev,
}

impl Table {
    /// Every table, in a fixed order.
    pub const ALL: [Self; 20] = [
        Self::Headers,
        Self::HeaderNumbers,
        Self::Bodies,
        Self::Receipts,
        Self::CanonicalHashes,
        Self::TxLookup,
        Self::Accounts,
        Self::Storage,
        Self::Bytecodes,
        Self::AccountChangeSets,
        Self::StorageChangeSets,
        Self::AccountHistory,
        Self::StorageHistory,
        Self::AccountTrie,
        Self::StorageTrie,
        Self::TrieChangeSets,
        Self::TrieNodes,
        Self::Meta,
        Self::Rollup,
        Self::Dev,
    ];

    /// The column family name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Headers => "headers",
            Self::HeaderNumbers => "header_numbers",
            Self::Bodies => "bodies",
            Self::Receipts => "receipts",
            Self::CanonicalHashes => "canonical_hashes",
            Self::TxLookup => "tx_lookup",
            Self::Accounts => "accounts",
            Self::Storage => "storage",
            Self::Bytecodes => "bytecodes",
            Self::AccountChangeSets => "account_changesets",
            Self::StorageChangeSets => "storage_changesets",
            Self::AccountHistory => "account_history",
            Self::StorageHistory => "storage_history",
            Self::AccountTrie => "account_trie",
            Self::StorageTrie => "storage_trie",
            Self::TrieChangeSets => "trie_changesets",
            Self::TrieNodes => "trie_nodes",
            Self::Meta => "meta",
            Self::Rollup => "rollup",
            Self::Dev => "dev",
        }
    }
}

impl Table {
    /// The names of every table, in [`Table::ALL`] order.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|table| table.name()).collect()
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Table {
    type Err = crate::StorageError;

    /// A table by its column family name (`headers`, `account_history`, …).
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|table| table.name() == name)
            .ok_or_else(|| crate::StorageError::UnknownTable { name: name.to_string() })
    }
}

/// Keys of the [`Table::Meta`] table.
pub(crate) mod meta {
    /// Hash of the canonical head.
    pub(crate) const HEAD: &[u8] = b"head";
    /// Hash of the genesis block.
    pub(crate) const GENESIS: &[u8] = b"genesis";
    /// The genesis JSON the database was initialised with.
    pub(crate) const CHAIN: &[u8] = b"chain";
    /// Present once [`Table::TrieNodes`](super::Table::TrieNodes) holds every node version the
    /// trie tables and their change sets know (a database of an older version is backfilled
    /// when opened).
    pub(crate) const TRIE_NODES: &[u8] = b"trie_nodes";
}

/// The history tables' seek prefixes: a past-state read seeks "the first entry of this key after
/// block n", so a table's prefix is its key without the block, and RocksDB's prefix Bloom
/// filters let such a seek skip every file that holds no entry of that key.
impl Table {
    /// The length of this history table's key prefix (`None`: not a history table).
    pub(crate) const fn history_prefix(self) -> Option<usize> {
        match self {
            // Address.
            Self::AccountHistory => Some(20),
            // Address ‖ slot.
            Self::StorageHistory => Some(52),
            _ => None,
        }
    }

    /// The length of the history prefix of `key` in this table, or `None` for a table without
    /// one or a key shorter than its prefix.
    pub(crate) fn history_prefix_len(self, key: &[u8]) -> Option<usize> {
        self.history_prefix().filter(|&len| key.len() >= len)
    }
}

/// Concatenates key parts.
pub(crate) fn key(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}
