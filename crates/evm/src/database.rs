use alloy_primitives::{Address, B256, Bytes, U256};
use phala_primitives::{StateReadError, StateReader};
use revm::{
    bytecode::Bytecode,
    database_interface::{DBErrorMarker, DatabaseRef},
    state::AccountInfo,
};
use std::sync::{Arc, Mutex};

/// A storage error surfaced through revm.
#[derive(Debug, thiserror::Error)]
#[error("state read failed: {0}")]
pub struct StateDatabaseError(pub StateReadError);

impl DBErrorMarker for StateDatabaseError {}

/// Adapts a [`StateReader`] to revm's [`DatabaseRef`], with an optional [`CodeCache`] of
/// analysed bytecode shared across executions.
pub struct StateDatabase<R> {
    state: R,
    code: Option<Arc<CodeCache>>,
}

impl<R> StateDatabase<R> {
    /// Reads through `state`, analysing every contract's code each time it is loaded.
    pub const fn new(state: R) -> Self {
        Self { state, code: None }
    }

    /// Reads through `state`, taking analysed code from `code` (and adding to it).
    pub const fn with_code_cache(state: R, code: Arc<CodeCache>) -> Self {
        Self { state, code: Some(code) }
    }

    /// The state read through.
    pub const fn state(&self) -> &R {
        &self.state
    }
}

impl<R> std::fmt::Debug for StateDatabase<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateDatabase")
    }
}

/// Stored code as revm runs it. Stored code was deployed by this EVM, so it always decodes; fall
/// back to raw legacy bytes rather than failing if it somehow does not.
fn analyse(code: Bytes) -> Bytecode {
    Bytecode::new_raw_checked(code.clone()).unwrap_or_else(|_| Bytecode::new_legacy(code))
}

impl<R: StateReader> DatabaseRef for StateDatabase<R> {
    type Error = StateDatabaseError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.state.account(address).map_err(StateDatabaseError)?.map(|account| AccountInfo {
            balance: account.balance,
            nonce: account.nonce,
            code_hash: account.code_hash,
            account_id: None,
            code: None,
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        if let Some(code) = self.code.as_ref().and_then(|cache| cache.get(&code_hash)) {
            return Ok(code);
        }
        let Some(code) = self.state.bytecode(code_hash).map_err(StateDatabaseError)? else {
            return Ok(analyse(Bytes::new()));
        };
        let analysed = analyse(code);
        if let Some(cache) = &self.code {
            cache.insert(code_hash, analysed.clone());
        }
        Ok(analysed)
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        self.state.storage(address, index).map_err(StateDatabaseError)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        Ok(self.state.block_hash(number).map_err(StateDatabaseError)?.unwrap_or_default())
    }
}

/// Contracts' code as revm runs it (decoded, jump destinations analysed), by code hash, kept
/// across calls and blocks so that a contract called again is not analysed again. Code is
/// immutable under its hash, so an entry can never be stale; the least recently used entries
/// go once the cache holds more than its budget of code bytes.
#[derive(Debug)]
pub struct CodeCache {
    inner: Mutex<CodeCacheInner>,
    budget_bytes: usize,
}

#[derive(Debug)]
struct CodeCacheInner {
    entries: lru::LruCache<B256, Bytecode>,
    bytes: usize,
}

impl CodeCache {
    /// The default budget: enough for the contracts a busy chain calls, small next to the
    /// database's block cache.
    pub const DEFAULT_BUDGET_BYTES: usize = 16 << 20;

    /// An empty cache holding at most `budget_bytes` of code (and its jump tables).
    pub fn new(budget_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(CodeCacheInner { entries: lru::LruCache::unbounded(), bytes: 0 }),
            budget_bytes,
        }
    }

    /// The analysed code of `code_hash`, if cached.
    pub fn get(&self, code_hash: &B256) -> Option<Bytecode> {
        self.lock().entries.get(code_hash).cloned()
    }

    /// Caches `code` under `code_hash`; code larger than the whole budget is not kept.
    pub fn insert(&self, code_hash: B256, code: Bytecode) {
        let size = cost(&code);
        if size > self.budget_bytes {
            return;
        }
        let mut inner = self.lock();
        if let Some(old) = inner.entries.put(code_hash, code) {
            inner.bytes -= cost(&old);
        }
        inner.bytes += size;
        while inner.bytes > self.budget_bytes {
            let Some((_, evicted)) = inner.entries.pop_lru() else { break };
            inner.bytes -= cost(&evicted);
        }
    }

    /// Entries and code bytes held.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CodeCacheInner> {
        // The cache holds no invariant a panicking holder could break halfway but `bytes`,
        // which only sizes eviction.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for CodeCache {
    fn default() -> Self {
        Self::new(Self::DEFAULT_BUDGET_BYTES)
    }
}

/// What an entry counts against the budget: its bytes plus one bit per byte of jump table.
fn cost(code: &Bytecode) -> usize {
    let len = code.bytes_slice().len();
    len + len / 8 + 64
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::keccak256;

    fn code(len: usize) -> (B256, Bytecode) {
        let raw = Bytes::from(vec![0x5b; len]);
        (keccak256(&raw), analyse(raw))
    }

    #[test]
    fn a_cached_contract_is_the_same_analysis() {
        let cache = CodeCache::default();
        let (hash, analysed) = code(100);
        cache.insert(hash, analysed.clone());
        let cached = cache.get(&hash).expect("cached");
        assert_eq!(cached, analysed);
        assert!(cached.legacy_jump_table().expect("legacy").is_valid(99));
    }

    #[test]
    fn the_least_recently_used_code_goes_past_the_budget() {
        let (a, code_a) = code(1000);
        let (b, code_b) = code(1001);
        let (c, code_c) = code(1002);
        let cache = CodeCache::new(cost(&code_a) + cost(&code_b) + 10);
        cache.insert(a, code_a);
        cache.insert(b, code_b);
        assert!(cache.get(&a).is_some(), "a is now the most recently used");
        cache.insert(c, code_c);
        assert!(cache.get(&b).is_none(), "b was the least recently used");
        assert!(cache.get(&a).is_some() && cache.get(&c).is_some());
        let (entries, bytes) = cache.usage();
        assert_eq!(entries, 2);
        assert!(bytes <= cache.budget_bytes);
    }

    #[test]
    fn code_larger_than_the_budget_is_not_kept() {
        let cache = CodeCache::new(100);
        let (hash, analysed) = code(1000);
        cache.insert(hash, analysed);
        assert_eq!(cache.usage(), (0, 0));
    }
}
