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
    /// Trie kind ‖ trie key length (one byte) ‖ trie key ‖ block number → node before that block
    /// (empty: did not exist), for reading trie nodes (proofs) at past blocks. The length byte
    /// keeps the entries of one node contiguous and ordered by block, since trie keys vary in
    /// length.
    TrieHistory,
    /// Named singletons: head, genesis, chain config.
    Meta,
    /// Records of the rollup services, by name (the batcher's channel in flight, the derivation's
    /// safe and finalized heads); their encoding is the services' own.
    Rollup,
}

impl Table {
    /// Every table, in a fixed order.
    pub const ALL: [Self; 19] = [
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
        Self::TrieHistory,
        Self::Meta,
        Self::Rollup,
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
            Self::TrieHistory => "trie_history",
            Self::Meta => "meta",
            Self::Rollup => "rollup",
        }
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
    /// Present once [`Table::TrieHistory`](super::Table::TrieHistory) holds an entry for every
    /// trie change set (a database of an older version is backfilled when opened).
    pub(crate) const TRIE_HISTORY: &[u8] = b"trie_history";
}

/// Concatenates key parts.
pub(crate) fn key(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}
