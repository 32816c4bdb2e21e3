//! Plain-state types shared by execution and storage.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_trie::KECCAK_EMPTY;
use std::{collections::BTreeMap, sync::Arc};

/// An account in plain state, without its storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    /// Transaction count (or contract creation count).
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// Keccak of the code ([`KECCAK_EMPTY`] when there is none).
    pub code_hash: B256,
}

impl Default for Account {
    fn default() -> Self {
        Self { nonce: 0, balance: U256::ZERO, code_hash: KECCAK_EMPTY }
    }
}

/// How one account changed in a block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountChange {
    /// The account after the block; `None` if it no longer exists.
    pub account: Option<Account>,
    /// Whether all storage present before the block was wiped (self-destruct, or re-creation)
    /// before `storage` was applied.
    pub storage_wiped: bool,
    /// Storage slots written by the block and their new values (zero means deleted).
    pub storage: BTreeMap<U256, U256>,
}

/// All state changes of one block, ordered by address so that applying them is deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateChanges {
    /// Changed accounts.
    pub accounts: BTreeMap<Address, AccountChange>,
    /// Code first deployed in this block, by hash.
    pub bytecodes: BTreeMap<B256, Bytes>,
}

impl StateChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.bytecodes.is_empty()
    }

    /// Applies `later` on top of these changes, as if both had been made in one block: an
    /// account `later` touched takes its account, and its storage writes over these (all of
    /// them, if `later` wiped the storage).
    pub fn extend(&mut self, later: Self) {
        for (address, change) in later.accounts {
            match self.accounts.entry(address) {
                std::collections::btree_map::Entry::Occupied(mut entry)
                    if !change.storage_wiped =>
                {
                    let earlier = entry.get_mut();
                    earlier.account = change.account;
                    earlier.storage.extend(change.storage);
                }
                std::collections::btree_map::Entry::Occupied(mut entry) => {
                    entry.insert(change);
                }
                std::collections::btree_map::Entry::Vacant(entry) => {
                    entry.insert(change);
                }
            }
        }
        self.bytecodes.extend(later.bytecodes);
    }
}

/// A state with `changes` applied on top (a dev chain's cheats that the next block will carry):
/// what the changes name is read from them, everything else from `inner`.
#[derive(Debug, Clone)]
pub struct StateOverlay<R> {
    inner: R,
    changes: Option<Arc<StateChanges>>,
}

impl<R> StateOverlay<R> {
    /// `inner` seen through `changes` (`None`: as it is).
    pub const fn new(inner: R, changes: Option<Arc<StateChanges>>) -> Self {
        Self { inner, changes }
    }

    /// The state underneath.
    pub const fn inner(&self) -> &R {
        &self.inner
    }

    /// The changes on top, if any.
    pub fn changes(&self) -> Option<&StateChanges> {
        self.changes.as_deref()
    }
}

impl<R: StateReader> StateReader for StateOverlay<R> {
    fn account(&self, address: Address) -> Result<Option<Account>, StateReadError> {
        match self.changes().and_then(|changes| changes.accounts.get(&address)) {
            Some(change) => Ok(change.account),
            None => self.inner.account(address),
        }
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, StateReadError> {
        let Some(change) = self.changes().and_then(|changes| changes.accounts.get(&address)) else {
            return self.inner.storage(address, slot);
        };
        match change.storage.get(&slot) {
            Some(value) => Ok(*value),
            None if change.storage_wiped || change.account.is_none() => Ok(U256::ZERO),
            None => self.inner.storage(address, slot),
        }
    }

    fn bytecode(&self, code_hash: B256) -> Result<Option<Bytes>, StateReadError> {
        match self.changes().and_then(|changes| changes.bytecodes.get(&code_hash)) {
            Some(code) => Ok(Some(code.clone())),
            None => self.inner.bytecode(code_hash),
        }
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, StateReadError> {
        self.inner.block_hash(number)
    }
}

/// Error of a [`StateReader`]: the storage layer's error, boxed so that execution does not
/// depend on storage.
pub type StateReadError = Box<dyn std::error::Error + Send + Sync>;

/// Read access to the state a block executes on.
pub trait StateReader {
    /// The account at `address`, if it exists.
    fn account(&self, address: Address) -> Result<Option<Account>, StateReadError>;
    /// The value of a storage slot (zero if unset).
    fn storage(&self, address: Address, slot: U256) -> Result<U256, StateReadError>;
    /// Code by its hash.
    fn bytecode(&self, code_hash: B256) -> Result<Option<Bytes>, StateReadError>;
    /// Hash of the canonical block `number` on the chain being extended.
    fn block_hash(&self, number: u64) -> Result<Option<B256>, StateReadError>;
}

impl<T: StateReader + ?Sized> StateReader for &T {
    fn account(&self, address: Address) -> Result<Option<Account>, StateReadError> {
        (**self).account(address)
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, StateReadError> {
        (**self).storage(address, slot)
    }

    fn bytecode(&self, code_hash: B256) -> Result<Option<Bytes>, StateReadError> {
        (**self).bytecode(code_hash)
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, StateReadError> {
        (**self).block_hash(number)
    }
}
