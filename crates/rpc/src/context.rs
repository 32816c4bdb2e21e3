//! The state every RPC handler shares: the engine, dev signers, limits and filters.

use crate::{
    cache::{BlockCache, CachedBlock},
    error::{RpcError, RpcResult},
    filters::FilterStore,
    metrics::RpcMetrics,
};
use alloy_eips::{BlockId, BlockNumberOrTag, Decodable2718};
use alloy_primitives::{Address, B256};
use alloy_signer_local::PrivateKeySigner;
use phala_engine::Engine;
use phala_primitives::{Block, Header, PhalaTxEnvelope, StateOverlay, TxEnvelope};
use phala_storage::{KeyValueRead, SnapshotState};
use std::sync::Arc;

/// Limits of the RPC server that operators can set.
#[derive(Debug, Clone)]
pub struct RpcLimits {
    /// Gas cap of `eth_call`, `eth_estimateGas` and friends.
    pub gas_cap: u64,
    /// Largest block range one `eth_getLogs` may scan.
    pub max_logs_block_range: u64,
    /// Most logs one `eth_getLogs` may return.
    pub max_logs: usize,
    /// Most blocks one `eth_simulateV1` may simulate.
    pub max_simulate_blocks: u64,
    /// How far back `eth_simulateV1` rebuilds the state of its base block (by unwinding the
    /// trie in memory, which costs in proportion to the blocks unwound). Proofs
    /// (`eth_getProof`) have no such limit: they read the trie history.
    pub max_state_history: u64,
}

impl Default for RpcLimits {
    fn default() -> Self {
        Self {
            gas_cap: 50_000_000,
            max_logs_block_range: 100_000,
            max_logs: 20_000,
            max_simulate_blocks: 256,
            max_state_history: 8_192,
        }
    }
}

/// What the RPC handlers share: the [`Engine`] (database, chain spec, pool, fork choice,
/// events — every handler reads the chain through it) plus what only RPC needs (dev signers,
/// limits, filters). It dereferences to the engine, so handlers call engine methods directly.
#[derive(Debug)]
pub struct NodeContext {
    engine: Arc<Engine>,
    /// Dev signers in mnemonic order (the order of `eth_accounts`).
    signers: Vec<PrivateKeySigner>,
    limits: RpcLimits,
    pub(crate) filters: FilterStore,
    rpc_metrics: Arc<RpcMetrics>,
    blocks: BlockCache,
}

impl std::ops::Deref for NodeContext {
    type Target = Engine;

    fn deref(&self) -> &Engine {
        &self.engine
    }
}

impl NodeContext {
    /// A context over `engine`.
    pub fn new(engine: Arc<Engine>, signers: Vec<PrivateKeySigner>, limits: RpcLimits) -> Self {
        Self {
            engine,
            signers,
            limits,
            filters: FilterStore::default(),
            rpc_metrics: Arc::new(RpcMetrics::new()),
            blocks: BlockCache::default(),
        }
    }

    /// Latency and outcome of the calls of every server started with this context.
    pub const fn rpc_metrics(&self) -> &Arc<RpcMetrics> {
        &self.rpc_metrics
    }

    /// The engine.
    pub const fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The RPC limits.
    pub const fn limits(&self) -> &RpcLimits {
        &self.limits
    }

    /// The dev signers, in mnemonic order (empty outside `--dev`).
    pub fn signers(&self) -> &[PrivateKeySigner] {
        &self.signers
    }

    /// The dev signer of `address`, if the node holds its key.
    pub fn signer(&self, address: &Address) -> Option<&PrivateKeySigner> {
        self.signers.iter().find(|signer| signer.address() == *address)
    }

    /// The canonical head header and its hash.
    pub fn head(&self) -> RpcResult<(B256, Header)> {
        let hash = self.db().head_hash()?;
        let header = self.header(hash)?.ok_or(RpcError::HeaderNotFound)?;
        Ok((hash, header))
    }

    /// Resolves a block tag or number to a canonical block; `None` if there is no such block.
    pub fn block_by_tag(&self, tag: BlockNumberOrTag) -> RpcResult<Option<(B256, Header)>> {
        let hash = match tag {
            BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => Some(self.db().head_hash()?),
            BlockNumberOrTag::Earliest => self.db().canonical_hash(0)?,
            BlockNumberOrTag::Number(number) => self.db().canonical_hash(number)?,
            BlockNumberOrTag::Safe => self.forkchoice().safe,
            BlockNumberOrTag::Finalized => self.forkchoice().finalized,
        };
        let Some(hash) = hash else { return Ok(None) };
        Ok(self.header(hash)?.map(|header| (hash, header)))
    }

    /// Resolves a block id (tag, number or hash) to a stored block; `None` if there is none.
    pub fn block_header(&self, id: BlockId) -> RpcResult<Option<(B256, Header)>> {
        match id {
            BlockId::Number(tag) => self.block_by_tag(tag),
            BlockId::Hash(hash) => {
                let Some(header) = self.header(hash.block_hash)? else { return Ok(None) };
                if hash.require_canonical == Some(true)
                    && self.db().canonical_hash(header.number)? != Some(hash.block_hash)
                {
                    return Err(RpcError::NotCanonical(hash.block_hash));
                }
                Ok(Some((hash.block_hash, header)))
            }
        }
    }

    /// Like [`Self::block_header`], but a missing block is the error geth gives.
    pub fn require_header(&self, id: BlockId) -> RpcResult<(B256, Header)> {
        self.block_header(id)?.ok_or(RpcError::HeaderNotFound)
    }

    /// State after the block `id` names (at a dev chain's head, with the cheats' changes that
    /// wait for the next block).
    pub fn state_at(&self, id: BlockId) -> RpcResult<(B256, Header, BlockState<'_>)> {
        let (hash, header) = self.require_header(id)?;
        let state = self.state_after(hash, &header)?;
        Ok((hash, header, state))
    }

    /// State after the stored block `hash` with `header`.
    pub fn state_after(&self, hash: B256, header: &Header) -> RpcResult<BlockState<'_>> {
        let state = SnapshotState::new(self.db(), hash, header.number)?;
        let pending = self.pending_state().filter(|_| state.at_head());
        Ok(StateOverlay::new(state, pending))
    }

    /// The sender of a stored or pooled transaction: recovered from its signature, or on a dev
    /// chain the address an impersonated transaction names.
    pub fn sender_of(&self, tx: &PhalaTxEnvelope) -> RpcResult<Address> {
        crate::convert::sender(tx, self.dev().is_some())
    }

    /// Plain state and trie as they were after block `number`, in a write set that is never
    /// committed; an error beyond [`RpcLimits::max_state_history`] blocks back.
    pub fn unwound_state(&self, number: u64) -> RpcResult<phala_storage::WriteSet<'_>> {
        let (_, head) = self.head()?;
        if head.number.saturating_sub(number) > self.limits.max_state_history {
            return Err(RpcError::server(format!(
                "historical state of block {number} is not available (at most {} blocks back)",
                self.limits.max_state_history
            )));
        }
        Ok(phala_storage::unwound_state(self.db(), number)?)
    }

    /// Whole block by hash.
    pub fn block(&self, hash: B256) -> RpcResult<Option<Block>> {
        let Some(header) = self.db().header(hash)? else { return Ok(None) };
        let Some(body) = self.db().body(hash)? else { return Ok(None) };
        Ok(Some(Block { header, body }))
    }

    /// The stored block `hash` with its receipts, from the [`BlockCache`] or read (and cached).
    pub fn cached_block(&self, hash: B256) -> RpcResult<Option<Arc<CachedBlock>>> {
        if let Some(cached) = self.blocks.get(&hash) {
            return Ok(Some(cached));
        }
        let Some(block) = self.block(hash)? else { return Ok(None) };
        let receipts = self.db().receipts(hash)?.unwrap_or_default();
        let cached = Arc::new(CachedBlock::new(hash, block, receipts));
        self.blocks.insert(cached.clone());
        Ok(Some(cached))
    }

    /// The header of the stored block `hash`, from the [`BlockCache`] or read (and cached).
    pub fn header(&self, hash: B256) -> RpcResult<Option<Header>> {
        if let Some(header) = self.blocks.header(&hash) {
            return Ok(Some(header));
        }
        let header = self.db().header(hash)?;
        if let Some(header) = &header {
            self.blocks.insert_header(hash, header.clone());
        }
        Ok(header)
    }

    /// Decodes, recovers and adds a raw (EIP-2718) transaction to the pool.
    pub fn submit_raw_transaction(&self, raw: &[u8]) -> RpcResult<B256> {
        Ok(self.submit_transaction(decode_raw_transaction(raw)?)?)
    }

    /// Gas price suggestion: the next block's base fee plus a tip.
    pub fn suggested_tip(&self) -> u128 {
        // A sequenced L2 has no tip auction; a small tip keeps wallets' transactions moving.
        1_000_000
    }
}

/// The state after a block as RPC reads it: one snapshot of the database (plain state at the
/// head, the history tables' view of an older block), and at a dev chain's head the changes
/// cheats made since (which the next block will carry).
pub type BlockState<'a> = StateOverlay<SnapshotState<'a>>;

/// Decodes an EIP-2718 transaction; trailing bytes are an error. An OP deposit (`0x7E`) is
/// refused with op-geth's error: deposits come only from L1, through the L1-attributes and the
/// portal, never from RPC.
pub(crate) fn decode_raw_transaction(raw: &[u8]) -> RpcResult<TxEnvelope> {
    let mut slice = raw;
    let tx = PhalaTxEnvelope::decode_2718(&mut slice)
        .map_err(|_| RpcError::InvalidParams("failed to decode signed transaction".into()))?;
    if !slice.is_empty() {
        return Err(RpcError::InvalidParams("failed to decode signed transaction".into()));
    }
    TxEnvelope::try_from(tx).map_err(|_| RpcError::server("transaction type not supported"))
}
