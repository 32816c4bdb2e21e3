//! The state every RPC handler shares: database, chain spec, pool, fork choice and events.

use crate::{
    error::{RpcError, RpcResult},
    filters::FilterStore,
};
use alloy_consensus::transaction::SignerRecoverable;
use alloy_eips::{BlockId, BlockNumberOrTag, Decodable2718};
use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use phala_chain::{BlockImporter, ImportOutcome};
use phala_pool::{AccountInfoProvider, PoolError, TxPool, ValidationContext};
use phala_primitives::{Block, ChainSpec, Header, TxEnvelope};
use phala_storage::{Database, HistoricalState, KeyValueRead};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use tokio::sync::{Notify, broadcast};

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
    /// How far back proofs and state roots of past blocks are rebuilt (by unwinding the trie).
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

/// Head, safe and finalized blocks as the consensus layer (or the sequencer) last set them.
#[derive(Debug, Clone, Copy, Default)]
pub struct ForkchoiceState {
    /// The safe block, once set.
    pub safe: Option<B256>,
    /// The finalized block, once set.
    pub finalized: Option<B256>,
}

/// A new canonical head, for subscriptions and filters.
#[derive(Debug, Clone)]
pub struct NewHead {
    /// Its hash.
    pub hash: B256,
    /// Its header.
    pub header: Header,
}

/// Everything the RPC handlers, the sequencer and the Engine API share.
#[derive(Debug)]
pub struct NodeContext {
    db: Arc<Database>,
    spec: Arc<ChainSpec>,
    pool: Mutex<TxPool>,
    write_lock: Mutex<()>,
    forkchoice: RwLock<ForkchoiceState>,
    /// Dev signers in mnemonic order (the order of `eth_accounts`).
    signers: Vec<PrivateKeySigner>,
    limits: RpcLimits,
    heads: broadcast::Sender<NewHead>,
    pending_txs: broadcast::Sender<B256>,
    tx_arrived: Notify,
    pub(crate) filters: FilterStore,
    pub(crate) payloads: crate::engine::PayloadStore,
}

impl NodeContext {
    /// A context over an initialised database.
    pub fn new(
        db: Arc<Database>,
        spec: Arc<ChainSpec>,
        pool: TxPool,
        signers: Vec<PrivateKeySigner>,
        limits: RpcLimits,
    ) -> Self {
        let (heads, _) = broadcast::channel(256);
        let (pending_txs, _) = broadcast::channel(4096);
        Self {
            db,
            spec,
            pool: Mutex::new(pool),
            write_lock: Mutex::new(()),
            forkchoice: RwLock::new(ForkchoiceState::default()),
            signers,
            limits,
            heads,
            pending_txs,
            tx_arrived: Notify::new(),
            filters: FilterStore::default(),
            payloads: Default::default(),
        }
    }

    /// The database.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// The chain spec.
    pub fn spec(&self) -> &Arc<ChainSpec> {
        &self.spec
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

    /// The transaction pool, locked.
    pub fn pool(&self) -> MutexGuard<'_, TxPool> {
        self.pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Serialises everything that writes the chain (import, block building and commit).
    pub fn write_lock(&self) -> MutexGuard<'_, ()> {
        self.write_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Fork choice as last set.
    pub fn forkchoice(&self) -> ForkchoiceState {
        *self.forkchoice.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sets the safe and finalized blocks.
    pub fn set_forkchoice(&self, state: ForkchoiceState) {
        *self.forkchoice.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = state;
    }

    /// New canonical heads.
    pub fn subscribe_heads(&self) -> broadcast::Receiver<NewHead> {
        self.heads.subscribe()
    }

    /// Hashes of transactions as they enter the pool.
    pub fn subscribe_pending_transactions(&self) -> broadcast::Receiver<B256> {
        self.pending_txs.subscribe()
    }

    /// Wakes when a transaction enters the pool (the sequencer's block-per-transaction mode).
    pub const fn transaction_arrived(&self) -> &Notify {
        &self.tx_arrived
    }

    /// The canonical head header and its hash.
    pub fn head(&self) -> RpcResult<(B256, Header)> {
        let hash = self.db.head_hash()?;
        let header = self.db.header(hash)?.ok_or(RpcError::HeaderNotFound)?;
        Ok((hash, header))
    }

    /// Resolves a block tag or number to a canonical block; `None` if there is no such block.
    pub fn block_by_tag(&self, tag: BlockNumberOrTag) -> RpcResult<Option<(B256, Header)>> {
        let hash = match tag {
            BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => Some(self.db.head_hash()?),
            BlockNumberOrTag::Earliest => self.db.canonical_hash(0)?,
            BlockNumberOrTag::Number(number) => self.db.canonical_hash(number)?,
            BlockNumberOrTag::Safe => self.forkchoice().safe,
            BlockNumberOrTag::Finalized => self.forkchoice().finalized,
        };
        let Some(hash) = hash else { return Ok(None) };
        Ok(self.db.header(hash)?.map(|header| (hash, header)))
    }

    /// Resolves a block id (tag, number or hash) to a stored block; `None` if there is none.
    pub fn block_header(&self, id: BlockId) -> RpcResult<Option<(B256, Header)>> {
        match id {
            BlockId::Number(tag) => self.block_by_tag(tag),
            BlockId::Hash(hash) => {
                let Some(header) = self.db.header(hash.block_hash)? else { return Ok(None) };
                if hash.require_canonical == Some(true)
                    && self.db.canonical_hash(header.number)? != Some(hash.block_hash)
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

    /// State after the block `id` names.
    pub fn state_at(
        &self,
        id: BlockId,
    ) -> RpcResult<(B256, Header, HistoricalState<'_, Database>)> {
        let (hash, header) = self.require_header(id)?;
        let state = HistoricalState::new(&*self.db, header.number);
        Ok((hash, header, state))
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
        Ok(phala_storage::unwound_state(&self.db, number)?)
    }

    /// Whole block by hash.
    pub fn block(&self, hash: B256) -> RpcResult<Option<Block>> {
        let Some(header) = self.db.header(hash)? else { return Ok(None) };
        let Some(body) = self.db.body(hash)? else { return Ok(None) };
        Ok(Some(Block { header, body }))
    }

    /// Validation context for a transaction entering the pool now (checked against the next
    /// block).
    pub fn validation_context(&self) -> RpcResult<ValidationContext> {
        let (_, head) = self.head()?;
        let spec = &self.spec;
        let next_number = head.number + 1;
        let next_time = head.timestamp + 1;
        let fork = phala_pool::ForkRules::at(spec, next_number, next_time);
        let blob_base_fee = spec.blob_params_at_timestamp(next_time).map(|params| {
            let excess = params.next_block_excess_blob_gas_osaka(
                head.excess_blob_gas.unwrap_or_default(),
                head.blob_gas_used.unwrap_or_default(),
                head.base_fee_per_gas.unwrap_or_default(),
            );
            params.calc_blob_fee(excess)
        });
        Ok(ValidationContext {
            chain_id: spec.chain_id,
            base_fee: spec.next_block_base_fee(&head).unwrap_or_default(),
            blob_base_fee,
            block_gas_limit: head.gas_limit,
            fork,
        })
    }

    /// Decodes, recovers and adds a raw (EIP-2718) transaction to the pool.
    pub fn submit_raw_transaction(&self, raw: &[u8]) -> RpcResult<B256> {
        self.submit_transaction(decode_raw_transaction(raw)?)
    }

    /// Recovers the sender of `tx` and adds it to the pool.
    pub fn submit_transaction(&self, tx: TxEnvelope) -> RpcResult<B256> {
        let sender = tx.recover_signer().map_err(|_| RpcError::server("invalid sender"))?;
        let ctx = self.validation_context()?;
        let outcome = self.pool().add_transaction(tx, sender, &LatestAccounts(&self.db), &ctx)?;
        let _ = self.pending_txs.send(outcome.hash);
        self.tx_arrived.notify_one();
        Ok(outcome.hash)
    }

    /// Imports a block (the sequencer's, or one from the Engine API) and updates the pool and
    /// subscribers.
    pub fn import_block(&self, block: &Block) -> Result<ImportOutcome, phala_chain::ImportError> {
        let _guard = self.write_lock();
        let outcome = BlockImporter::new(&self.db, self.spec.clone()).import(block)?;
        if let ImportOutcome::Imported { hash, .. } = outcome {
            self.on_new_head(hash, block.header.clone());
        }
        Ok(outcome)
    }

    /// Brings the pool and subscribers up to a head that was just committed.
    pub fn on_new_head(&self, hash: B256, header: Header) {
        let base_fee = self.spec.next_block_base_fee(&header).unwrap_or_default();
        self.pool().on_canonical_block(&LatestAccounts(&self.db), base_fee);
        let _ = self.heads.send(NewHead { hash, header });
    }

    /// Gas price suggestion: the next block's base fee plus a tip.
    pub fn suggested_tip(&self) -> u128 {
        // A sequenced L2 has no tip auction; a small tip keeps wallets' transactions moving.
        1_000_000
    }
}

/// Decodes an EIP-2718 transaction; trailing bytes are an error.
pub(crate) fn decode_raw_transaction(raw: &[u8]) -> RpcResult<TxEnvelope> {
    let mut slice = raw;
    let tx = TxEnvelope::decode_2718(&mut slice)
        .map_err(|_| RpcError::InvalidParams("failed to decode signed transaction".into()))?;
    if !slice.is_empty() {
        return Err(RpcError::InvalidParams("failed to decode signed transaction".into()));
    }
    Ok(tx)
}

/// Latest nonces and balances from the database, as the pool sees them.
#[derive(Debug)]
pub struct LatestAccounts<'a>(pub &'a Database);

impl AccountInfoProvider for LatestAccounts<'_> {
    fn nonce_and_balance(&self, address: Address) -> Result<(u64, U256), PoolError> {
        match self.0.stored_account(address) {
            Ok(Some(account)) => Ok((account.nonce, account.balance)),
            Ok(None) => Ok((0, U256::ZERO)),
            Err(err) => Err(PoolError::State(err.to_string())),
        }
    }
}
