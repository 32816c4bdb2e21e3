use crate::{StorageError, Table};
use alloy_primitives::{B256, U256};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use alloy_trie::{EMPTY_ROOT_HASH, TrieAccount};
use phala_primitives::Account;

/// An account as stored in [`Table::Accounts`]: the plain account plus its storage root, so that
/// its state trie leaf can be rebuilt without walking the storage trie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct StoredAccount {
    /// Nonce.
    pub nonce: u64,
    /// Balance.
    pub balance: U256,
    /// Code hash.
    pub code_hash: B256,
    /// Root of the account's storage trie.
    pub storage_root: B256,
}

impl StoredAccount {
    /// A stored account with the given storage root.
    pub const fn new(account: Account, storage_root: B256) -> Self {
        Self {
            nonce: account.nonce,
            balance: account.balance,
            code_hash: account.code_hash,
            storage_root,
        }
    }

    /// The plain account.
    pub const fn account(&self) -> Account {
        Account { nonce: self.nonce, balance: self.balance, code_hash: self.code_hash }
    }

    /// The state trie leaf of this account.
    pub const fn trie_account(&self) -> TrieAccount {
        TrieAccount {
            nonce: self.nonce,
            balance: self.balance,
            storage_root: self.storage_root,
            code_hash: self.code_hash,
        }
    }

    pub(crate) fn encode_value(&self) -> Vec<u8> {
        alloy_rlp::encode(self)
    }

    pub(crate) fn decode_value(table: Table, mut bytes: &[u8]) -> Result<Self, StorageError> {
        Self::decode(&mut bytes).map_err(|err| StorageError::corrupt(table, err))
    }
}

impl Default for StoredAccount {
    fn default() -> Self {
        Self::new(Account::default(), EMPTY_ROOT_HASH)
    }
}

/// Where a transaction sits in the canonical chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxLocation {
    /// Block number.
    pub block_number: u64,
    /// Index in the block.
    pub index: u64,
}

impl TxLocation {
    pub(crate) fn encode_value(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16);
        out.extend_from_slice(&self.block_number.to_be_bytes());
        out.extend_from_slice(&self.index.to_be_bytes());
        out
    }

    pub(crate) fn decode_value(bytes: &[u8]) -> Result<Self, StorageError> {
        let (number, index) = bytes
            .split_first_chunk::<8>()
            .and_then(|(number, rest)| Some((*number, *rest.first_chunk::<8>()?)))
            .ok_or_else(|| StorageError::corrupt(Table::TxLookup, "short value"))?;
        Ok(Self { block_number: u64::from_be_bytes(number), index: u64::from_be_bytes(index) })
    }
}

/// Encodes a storage value as a fixed 32-byte word.
pub(crate) fn encode_word(value: U256) -> [u8; 32] {
    value.to_be_bytes()
}

/// Decodes a 32-byte word (an empty slice is zero).
pub(crate) fn decode_word(table: Table, bytes: &[u8]) -> Result<U256, StorageError> {
    if bytes.is_empty() {
        return Ok(U256::ZERO);
    }
    let word: [u8; 32] = bytes
        .try_into()
        .map_err(|_| StorageError::corrupt(table, "storage word is not 32 bytes"))?;
    Ok(U256::from_be_bytes(word))
}

/// Decodes a big-endian `u64`.
pub(crate) fn decode_u64(table: Table, bytes: &[u8]) -> Result<u64, StorageError> {
    let word: [u8; 8] =
        bytes.try_into().map_err(|_| StorageError::corrupt(table, "number is not 8 bytes"))?;
    Ok(u64::from_be_bytes(word))
}

/// RLP-decodes a value of `table`.
pub(crate) fn decode_rlp<T: Decodable>(table: Table, mut bytes: &[u8]) -> Result<T, StorageError> {
    T::decode(&mut bytes).map_err(|err| StorageError::corrupt(table, err))
}

/// RLP-encodes a value.
pub(crate) fn encode_rlp<T: Encodable>(value: &T) -> Vec<u8> {
    alloy_rlp::encode(value)
}
