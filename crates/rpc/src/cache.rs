//! [`BlockCache`]: blocks the RPC read recently, decoded, with their receipts and the senders
//! recovered so far, by block hash.
//!
//! Reads come back to the same blocks: a wallet polls a receipt until it appears and then
//! reads it again, explorers and indexers follow the head and filter logs over the last
//! blocks. Without the cache each read decodes the body and receipts again and recovers the
//! sender's signature again (a secp256k1 recovery is most of a receipt's cost). A stored
//! block never changes under its hash and the node never deletes one, so an entry can never be
//! stale; a hash is only looked up here once the database has named it (canonical hash,
//! transaction lookup, header by hash), as before.

use crate::{
    convert,
    error::{RpcError, RpcResult},
};
use alloy_primitives::{Address, B256};
use alloy_rlp::Encodable;
use phala_primitives::{Block, Header, PhalaReceiptEnvelope};
use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex, MutexGuard, OnceLock},
};

/// A stored block with its receipts, and each transaction's sender once it has been recovered.
#[derive(Debug)]
pub struct CachedBlock {
    hash: B256,
    block: Block,
    receipts: Vec<PhalaReceiptEnvelope>,
    senders: Box<[OnceLock<Address>]>,
    /// Approximate memory held, for the cache's budget.
    size: usize,
}

impl CachedBlock {
    /// The block `hash` with its receipts.
    pub fn new(hash: B256, block: Block, receipts: Vec<PhalaReceiptEnvelope>) -> Self {
        let senders = (0..block.body.transactions.len()).map(|_| OnceLock::new()).collect();
        // Decoded forms take about twice their encoding (lengths, pointers, cached hashes).
        let size = 2 * (block.header.length() + block.body.length() + receipts.length()) + 256;
        Self { hash, block, receipts, senders, size }
    }

    /// The block's hash.
    pub const fn hash(&self) -> B256 {
        self.hash
    }

    /// The block.
    pub const fn block(&self) -> &Block {
        &self.block
    }

    /// The receipts, in transaction order.
    pub fn receipts(&self) -> &[PhalaReceiptEnvelope] {
        &self.receipts
    }

    /// The sender of transaction `index`, recovered on first use (with `impersonation`, a dev
    /// chain's impersonated sender). One cache serves one node, whose `impersonation` never
    /// changes, so the first answer holds for every later call.
    pub fn sender(&self, index: usize, impersonation: bool) -> RpcResult<Address> {
        let (Some(tx), Some(cell)) =
            (self.block.body.transactions.get(index), self.senders.get(index))
        else {
            return Err(RpcError::Internal(format!(
                "no transaction {index} in block {}",
                self.hash
            )));
        };
        if let Some(sender) = cell.get() {
            return Ok(*sender);
        }
        let sender = convert::sender(tx, impersonation)?;
        // Another reader may have set it meanwhile, to the same address.
        Ok(*cell.get_or_init(|| sender))
    }
}

/// The least recently used blocks go once the cache holds more than its budget of bytes.
/// Headers alone are kept apart, by count: every read at the head and every block an
/// `eth_getLogs` bloom rules out needs only its header.
#[derive(Debug)]
pub struct BlockCache {
    inner: Mutex<BlockCacheInner>,
    budget_bytes: usize,
    headers: Mutex<lru::LruCache<B256, Header>>,
}

#[derive(Debug)]
struct BlockCacheInner {
    entries: lru::LruCache<B256, Arc<CachedBlock>>,
    bytes: usize,
}

impl BlockCache {
    /// The default budget: the last few thousand blocks of a busy devnet, small next to the
    /// database's block cache.
    pub const DEFAULT_BUDGET_BYTES: usize = 32 << 20;

    /// Headers kept apart from whole blocks (about 600 bytes each).
    pub const HEADERS: NonZeroUsize = NonZeroUsize::new(8_192).expect("not zero");

    /// An empty cache holding at most about `budget_bytes` of blocks and [`Self::HEADERS`]
    /// headers.
    pub fn new(budget_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(BlockCacheInner { entries: lru::LruCache::unbounded(), bytes: 0 }),
            budget_bytes,
            headers: Mutex::new(lru::LruCache::new(Self::HEADERS)),
        }
    }

    /// The header of block `hash`, if cached alone or with its block.
    pub fn header(&self, hash: &B256) -> Option<Header> {
        if let Some(header) = lock(&self.headers).get(hash) {
            return Some(header.clone());
        }
        self.get(hash).map(|cached| cached.block.header.clone())
    }

    /// Caches the header of block `hash`.
    pub fn insert_header(&self, hash: B256, header: Header) {
        lock(&self.headers).put(hash, header);
    }

    /// The block `hash`, if cached.
    pub fn get(&self, hash: &B256) -> Option<Arc<CachedBlock>> {
        self.lock().entries.get(hash).cloned()
    }

    /// Caches `block`; a block larger than the whole budget is not kept.
    pub fn insert(&self, block: Arc<CachedBlock>) {
        if block.size > self.budget_bytes {
            return;
        }
        let mut inner = self.lock();
        inner.bytes += block.size;
        if let Some(old) = inner.entries.put(block.hash, block) {
            inner.bytes -= old.size;
        }
        while inner.bytes > self.budget_bytes {
            let Some((_, evicted)) = inner.entries.pop_lru() else { break };
            inner.bytes -= evicted.size;
        }
    }

    /// Whole blocks and their approximate bytes held.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }

    fn lock(&self) -> MutexGuard<'_, BlockCacheInner> {
        lock(&self.inner)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Entries are whole values put in one call, and the byte count only sizes eviction, so a
    // panicking holder leaves nothing half made.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Default for BlockCache {
    fn default() -> Self {
        Self::new(Self::DEFAULT_BUDGET_BYTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{SignableTransaction, TxLegacy};
    use alloy_primitives::{TxKind, U256};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;
    use phala_primitives::{BlockBody, Header, PhalaTxEnvelope, TxEnvelope};

    fn block_with_transfers(signer: &PrivateKeySigner, count: u64) -> Block {
        let transactions = (0..count)
            .map(|nonce| {
                let tx = TxLegacy {
                    chain_id: Some(1),
                    nonce,
                    gas_price: 1,
                    gas_limit: 21_000,
                    to: TxKind::Call(Address::repeat_byte(7)),
                    value: U256::from(1),
                    ..Default::default()
                };
                let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
                PhalaTxEnvelope::from(TxEnvelope::Legacy(tx.into_signed(signature)))
            })
            .collect();
        Block {
            header: Header { number: count, ..Default::default() },
            body: BlockBody { transactions, ..Default::default() },
        }
    }

    #[test]
    fn sender_is_recovered_once_and_out_of_range_is_an_error() {
        let signer = PrivateKeySigner::random();
        let block = block_with_transfers(&signer, 2);
        let cached = CachedBlock::new(block.header.hash_slow(), block, Vec::new());
        assert_eq!(cached.sender(1, false).unwrap(), signer.address());
        assert_eq!(cached.senders[1].get(), Some(&signer.address()));
        assert!(cached.senders[0].get().is_none(), "only the asked-for sender is recovered");
        assert_eq!(cached.sender(1, false).unwrap(), signer.address());
        assert!(matches!(cached.sender(2, false), Err(RpcError::Internal(_))));
    }

    #[test]
    fn evicts_least_recently_used_past_the_budget() {
        let signer = PrivateKeySigner::random();
        let blocks: Vec<_> = (1..=3)
            .map(|n| {
                let block = block_with_transfers(&signer, n);
                Arc::new(CachedBlock::new(B256::with_last_byte(n as u8), block, Vec::new()))
            })
            .collect();
        let budget = blocks[0].size + blocks[1].size + blocks[2].size - 1;
        let cache = BlockCache::new(budget);
        cache.insert(blocks[0].clone());
        cache.insert(blocks[1].clone());
        // Touch the first so that the second is the least recently used.
        assert!(cache.get(&blocks[0].hash).is_some());
        cache.insert(blocks[2].clone());
        assert!(cache.get(&blocks[1].hash).is_none());
        assert!(cache.get(&blocks[0].hash).is_some());
        assert!(cache.get(&blocks[2].hash).is_some());
        assert_eq!(cache.usage(), (2, blocks[0].size + blocks[2].size));

        // Putting the same block again does not count it twice.
        cache.insert(blocks[2].clone());
        assert_eq!(cache.usage(), (2, blocks[0].size + blocks[2].size));

        // Headers are kept apart from whole blocks.
        let header = Header { number: 9, ..Default::default() };
        assert!(cache.header(&B256::ZERO).is_none());
        cache.insert_header(B256::ZERO, header.clone());
        assert_eq!(cache.header(&B256::ZERO), Some(header));
        assert_eq!(cache.header(&blocks[0].hash).map(|h| h.number), Some(1));
        assert_eq!(cache.usage(), (2, blocks[0].size + blocks[2].size));

        // A block larger than the budget is not kept.
        let tiny = BlockCache::new(blocks[0].size - 1);
        tiny.insert(blocks[0].clone());
        assert_eq!(tiny.usage(), (0, 0));
    }
}
