//! The [`Engine`]: the one place the chain is written.

use crate::{BuiltPayload, EngineError, EngineMetrics, PayloadStore};
use alloy_consensus::{Transaction as _, transaction::SignerRecoverable};
use alloy_primitives::{Address, B256, U256};
use phala_chain::{
    BlockAttributes, BlockBuilder, BlockImporter, BuiltBlock, ExecutedBlock, ImportError,
    ImportOutcome, gas_used_per_tx,
};
use phala_evm::{BlockValidationError, CodeCache, ExecutionError, StrictSource, TransactionSource};
use phala_pool::{AccountInfoProvider, BestTransactions, PoolError, TxPool, ValidationContext};
use phala_primitives::{Block, ChainSpec, Header, PhalaTxEnvelope, TxEnvelope};
use phala_storage::{Database, KeyValueRead, StorageError};
use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex, MutexGuard, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};
use tokio::sync::{Notify, broadcast};

/// Safe and finalized blocks as the consensus layer (or the sequencer) last set them.
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

/// What [`Engine::insert_block`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// The block was valid; it is stored and waits to be made canonical.
    Inserted(B256),
    /// The block was stored already (it was valid then).
    AlreadyKnown(B256),
}

/// How many executed, not yet canonical blocks are kept with their writes. Each holds its
/// state and trie writes, so the bound keeps memory in check; a block that falls out is
/// executed again when it becomes canonical.
const MAX_EXECUTED_BLOCKS: usize = 16;

/// The block pipeline; see the crate docs.
#[derive(Debug)]
pub struct Engine {
    db: Arc<Database>,
    spec: Arc<ChainSpec>,
    pool: Mutex<TxPool>,
    write_lock: Mutex<()>,
    forkchoice: RwLock<ForkchoiceState>,
    heads: broadcast::Sender<NewHead>,
    pending_txs: broadcast::Sender<B256>,
    tx_arrived: Notify,
    /// Blocks executed by insert or the builder, newest last, until they become canonical.
    executed: Mutex<VecDeque<ExecutedBlock>>,
    payloads: PayloadStore,
    /// The gas limit the builder aims for (`--builder.gaslimit`); 0: none set.
    gas_limit_target: AtomicU64,
    /// A dev chain's controls (`--dev` only).
    pub(crate) dev: Option<crate::dev::DevChain>,
    metrics: EngineMetrics,
    /// Analysed contract code, shared by the builder, the importer and RPC's calls.
    code_cache: Arc<CodeCache>,
    /// The last head header read, by its hash (a header never changes under its hash, so a
    /// new head only makes it miss): every transaction entering the pool reads the head.
    last_head: Mutex<Option<(B256, Header)>>,
}

impl Engine {
    /// An engine over an initialised database.
    pub fn new(db: Arc<Database>, spec: Arc<ChainSpec>, pool: TxPool) -> Self {
        let (heads, _) = broadcast::channel(256);
        let (pending_txs, _) = broadcast::channel(4096);
        Self {
            db,
            spec,
            pool: Mutex::new(pool),
            write_lock: Mutex::new(()),
            forkchoice: RwLock::new(ForkchoiceState::default()),
            heads,
            pending_txs,
            tx_arrived: Notify::new(),
            executed: Mutex::new(VecDeque::new()),
            payloads: PayloadStore::default(),
            gas_limit_target: AtomicU64::new(0),
            dev: None,
            metrics: EngineMetrics::default(),
            code_cache: Arc::new(CodeCache::default()),
            last_head: Mutex::new(None),
        }
    }

    /// The gas limit the builder aims for, if one is set.
    pub fn gas_limit_target(&self) -> Option<u64> {
        Some(self.gas_limit_target.load(Ordering::Relaxed)).filter(|&target| target != 0)
    }

    /// Sets (or, with `None`, clears) the gas limit the builder aims for.
    pub fn set_gas_limit_target(&self, target: Option<u64>) {
        self.gas_limit_target.store(target.unwrap_or(0), Ordering::Relaxed);
    }

    /// The gas limit of a block this node sequences on `parent`: the target where one is set
    /// (reached at once on an OP chain, whose rules let the limit jump; by geth's 1/1024 steps
    /// elsewhere), otherwise the parent's.
    pub fn sequenced_gas_limit(&self, parent: &Header) -> u64 {
        crate::payload::sequenced_gas_limit(
            parent.gas_limit,
            self.gas_limit_target(),
            self.spec.is_optimism(),
        )
    }

    /// The database.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// Block pipeline timings and throughput counters, for the metrics endpoint.
    pub const fn metrics(&self) -> &EngineMetrics {
        &self.metrics
    }

    /// The chain spec.
    pub fn spec(&self) -> &Arc<ChainSpec> {
        &self.spec
    }

    /// The transaction pool, locked.
    pub fn pool(&self) -> MutexGuard<'_, TxPool> {
        self.pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Serialises everything that writes the chain (insert, fork choice, building and sealing).
    pub(crate) fn write_lock(&self) -> MutexGuard<'_, ()> {
        self.write_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn executed(&self) -> MutexGuard<'_, VecDeque<ExecutedBlock>> {
        self.executed.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Payloads built for `engine_getPayload`.
    pub const fn payloads(&self) -> &PayloadStore {
        &self.payloads
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

    /// The canonical head's hash and header.
    pub fn canonical_head(&self) -> Result<(B256, Header), EngineError> {
        let hash = self.db.head_hash()?;
        let last_head = || self.last_head.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((last, header)) = &*last_head()
            && *last == hash
        {
            return Ok((hash, header.clone()));
        }
        let header = self.db.header(hash)?.ok_or(StorageError::MissingBlock(hash))?;
        *last_head() = Some((hash, header.clone()));
        Ok((hash, header))
    }

    /// Validation context for a transaction entering the pool now (checked against the next
    /// block).
    pub fn validation_context(&self) -> Result<ValidationContext, EngineError> {
        let (_, head) = self.canonical_head()?;
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
            base_fee: spec.next_block_base_fee(&head, next_time).unwrap_or_default(),
            blob_base_fee,
            block_gas_limit: head.gas_limit,
            fork,
        })
    }

    /// Recovers the sender of `tx` and adds it to the pool. On a dev chain, a placeholder
    /// signature of impersonation is refused here: only `eth_sendTransaction` makes those.
    pub fn submit_transaction(&self, tx: TxEnvelope) -> Result<B256, EngineError> {
        if self.dev.is_some()
            && crate::dev::impersonated_sender_of(&PhalaTxEnvelope::from(tx.clone())).is_some()
        {
            return Err(EngineError::InvalidSender);
        }
        let sender = tx.recover_signer().map_err(|_| EngineError::InvalidSender)?;
        self.add_to_pool(tx, sender)
    }

    /// Adds `tx` from `sender` to the pool and announces it.
    pub(crate) fn add_to_pool(&self, tx: TxEnvelope, sender: Address) -> Result<B256, EngineError> {
        let ctx = self.validation_context()?;
        let accounts = self.latest_accounts();
        let outcome = self.pool().add_transaction(tx, sender, &accounts, &ctx)?;
        let _ = self.pending_txs.send(outcome.hash);
        self.tx_arrived.notify_one();
        Ok(outcome.hash)
    }

    /// Nonces and balances as the pool sees them: the latest state, with a dev chain's pending
    /// changes.
    pub fn latest_accounts(&self) -> LatestAccounts<'_> {
        LatestAccounts { db: &self.db, pending: self.pending_state() }
    }

    /// Re-checks every pooled sender against the latest state (after it changed outside a
    /// block, or was unwound).
    pub(crate) fn refresh_pool(&self) {
        let Ok((_, header)) = self.canonical_head() else { return };
        let base_fee =
            self.spec.next_block_base_fee(&header, header.timestamp + 1).unwrap_or_default();
        self.pool().on_canonical_block(&self.latest_accounts(), base_fee);
    }

    /// Drops every executed block kept for commit (their base is gone).
    pub(crate) fn forget_executed(&self) {
        self.executed().clear();
    }

    /// Tells subscribers about a new head.
    pub(crate) fn announce_head(&self, hash: B256, header: Header) {
        let _ = self.heads.send(NewHead { hash, header });
    }

    pub(crate) fn importer(&self) -> BlockImporter<'_> {
        BlockImporter::new(&self.db, self.spec.clone())
            .with_code_cache(Some(self.code_cache.clone()))
    }

    fn block_builder(&self) -> BlockBuilder<'_> {
        BlockBuilder::new(&self.db, self.spec.clone())
            .with_code_cache(Some(self.code_cache.clone()))
    }

    /// Analysed contract code shared by every execution of this node (blocks and calls).
    pub fn code_cache(&self) -> &Arc<CodeCache> {
        &self.code_cache
    }

    /// Keeps an executed block until it becomes canonical.
    fn remember(&self, executed: ExecutedBlock) {
        let mut blocks = self.executed();
        blocks.retain(|known| known.hash != executed.hash);
        if blocks.len() == MAX_EXECUTED_BLOCKS {
            blocks.pop_front();
        }
        blocks.push_back(executed);
    }

    /// Validates, executes and stores `block` without making it canonical (`engine_newPayload`).
    pub fn insert_block(&self, block: &Block) -> Result<InsertOutcome, ImportError> {
        let _guard = self.write_lock();
        let hash = block.header.hash_slow();
        let known = self.db.header(hash).map_err(|err| ImportError {
            number: block.header.number,
            hash,
            source: err.into(),
        })?;
        if known.is_some() {
            return Ok(InsertOutcome::AlreadyKnown(hash));
        }
        let start = Instant::now();
        let importer = self.importer();
        // The builder's own blocks were executed when they were built.
        let built = self.executed().iter().find(|executed| executed.hash == hash).cloned();
        let executed = match built {
            Some(executed) => executed,
            None => importer.execute(block)?,
        };
        importer.store_block(block, &executed)?;
        self.remember(executed);
        self.metrics.import.observe_since(start);
        self.metrics.blocks_imported.increment();
        Ok(InsertOutcome::Inserted(hash))
    }

    /// Makes the stored block `hash` the head (the fork-choice step), re-organising when it is
    /// on another branch.
    pub fn make_canonical(&self, hash: B256) -> Result<ImportOutcome, ImportError> {
        let _guard = self.write_lock();
        self.make_canonical_locked(hash)
    }

    fn make_canonical_locked(&self, hash: B256) -> Result<ImportOutcome, ImportError> {
        let start = Instant::now();
        let importer = self.importer();
        let head = self.db.head_hash().map_err(|err| ImportError {
            number: 0,
            hash,
            source: err.into(),
        })?;
        let ready = {
            let mut blocks = self.executed();
            let position =
                blocks.iter().position(|executed| executed.hash == hash && executed.base == head);
            position.and_then(|position| blocks.remove(position))
        };
        let outcome = match ready {
            Some(executed) => importer.commit(executed)?,
            None => importer.make_canonical(hash)?,
        };
        if matches!(outcome, ImportOutcome::Imported { .. }) {
            self.metrics.commit.observe_since(start);
        }
        self.after_commit(&outcome);
        Ok(outcome)
    }

    /// Inserts `block` and makes it the head, in one commit when its parent is the head. Its
    /// time, commit included, is recorded as an import.
    pub fn import_block(&self, block: &Block) -> Result<ImportOutcome, ImportError> {
        let _guard = self.write_lock();
        let start = Instant::now();
        let outcome = self.importer().import(block)?;
        if matches!(outcome, ImportOutcome::Imported { .. }) {
            self.metrics.import.observe_since(start);
            self.metrics.blocks_imported.increment();
        }
        self.after_commit(&outcome);
        Ok(outcome)
    }

    /// Brings the pool and subscribers up to a head that was just committed.
    pub(crate) fn after_commit(&self, outcome: &ImportOutcome) {
        if !matches!(outcome, ImportOutcome::Imported { .. }) {
            return;
        }
        self.metrics.on_new_head(outcome);
        let Ok((head, header)) = self.canonical_head() else { return };
        self.executed().retain(|executed| executed.base == head);
        let base_fee =
            self.spec.next_block_base_fee(&header, header.timestamp + 1).unwrap_or_default();
        self.pool().on_canonical_block(&self.latest_accounts(), base_fee);
        let _ = self.heads.send(NewHead { hash: head, header });
    }

    /// Builds a block on the head, from `transactions` (all must be valid) or, when `None`,
    /// from the pool's best transactions. Nothing is written; the block's writes are kept so
    /// that inserting it and making it canonical does not execute it again.
    pub fn build_payload(
        &self,
        attributes: &BlockAttributes,
        transactions: Option<Vec<TxEnvelope>>,
    ) -> Result<BuiltPayload, EngineError> {
        let _guard = self.write_lock();
        let built = self.build_locked(attributes, transactions)?;
        let payload = payload_of(&built);
        self.remember(built.executed);
        Ok(payload)
    }

    /// Builds a block from the pool and makes it the head, executing it once. With
    /// `only_if_pending`, nothing happens when no pooled transaction made it into the block.
    pub fn seal_block(
        &self,
        attributes: &BlockAttributes,
        only_if_pending: bool,
    ) -> Result<Option<(ImportOutcome, BuiltPayload)>, EngineError> {
        let _guard = self.write_lock();
        if only_if_pending && self.pool().status().0 == 0 {
            return Ok(None);
        }
        let built = self.build_locked(attributes, None)?;
        if only_if_pending && built.block.body.transactions.is_empty() {
            return Ok(None);
        }
        let payload = payload_of(&built);
        let outcome = self.commit_sealed(built.executed)?;
        self.after_commit(&outcome);
        Ok(Some((outcome, payload)))
    }

    /// Builds a block from the pool that carries `pre_state` before its transactions (the
    /// caller holds the write lock).
    pub(crate) fn build_with_pre_state(
        &self,
        attributes: &BlockAttributes,
        pre_state: Option<Arc<phala_primitives::StateChanges>>,
    ) -> Result<BuiltBlock, EngineError> {
        let start = Instant::now();
        let builder = self.block_builder().with_pre_state(pre_state);
        let base_fee = self.validation_context()?.base_fee;
        let best = self.pool().best_transactions(base_fee);
        let built = builder.build_from(attributes, &mut PoolSource { best })?;
        self.metrics.build.observe_since(start);
        Ok(built)
    }

    /// Commits a block the builder made on the head (the caller holds the write lock), timed
    /// and counted as sealed.
    pub(crate) fn commit_sealed(
        &self,
        executed: phala_chain::ExecutedBlock,
    ) -> Result<ImportOutcome, EngineError> {
        let start = Instant::now();
        let outcome = self.importer().commit(executed)?;
        self.metrics.commit.observe_since(start);
        self.metrics.blocks_sealed.increment();
        Ok(outcome)
    }

    fn build_locked(
        &self,
        attributes: &BlockAttributes,
        transactions: Option<Vec<TxEnvelope>>,
    ) -> Result<BuiltBlock, EngineError> {
        let start = Instant::now();
        let builder = self.block_builder();
        let built = match transactions {
            Some(txs) => {
                let senders = txs
                    .iter()
                    .map(|tx| tx.recover_signer().map_err(|_| EngineError::InvalidSender))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut source = txs.into_iter().map(PhalaTxEnvelope::from).zip(senders);
                builder.build_from(attributes, &mut StrictSource(&mut source))
            }
            None if attributes.no_tx_pool => {
                builder.build_from(attributes, &mut StrictSource(&mut std::iter::empty()))
            }
            None => {
                let base_fee = self.validation_context()?.base_fee;
                let best = self.pool().best_transactions(base_fee);
                builder.build_from(attributes, &mut PoolSource { best })
            }
        }?;
        self.metrics.build.observe_since(start);
        Ok(built)
    }
}

/// The payload view of a built block: its hash and the tips it pays the fee recipient.
fn payload_of(built: &BuiltBlock) -> BuiltPayload {
    let block = &built.block;
    let base_fee = block.header.base_fee_per_gas.unwrap_or_default();
    let value = block
        .body
        .transactions
        .iter()
        .zip(gas_used_per_tx(&built.receipts))
        .map(|(tx, used)| {
            U256::from(tx.effective_tip_per_gas(base_fee).unwrap_or_default()) * U256::from(used)
        })
        .sum();
    BuiltPayload {
        block: block.clone(),
        hash: built.executed.hash,
        value,
        requests: built.requests.clone(),
    }
}

/// Pool transactions for the builder: skips what the EVM rejects, and that sender's later ones.
struct PoolSource {
    best: BestTransactions,
}

impl TransactionSource for PoolSource {
    fn next_transaction(&mut self) -> Option<(PhalaTxEnvelope, Address)> {
        self.best.next().map(|pooled| (pooled.tx.clone().into(), pooled.sender))
    }

    fn rejected(
        &mut self,
        _tx: &PhalaTxEnvelope,
        sender: Address,
        _error: BlockValidationError,
    ) -> Result<(), ExecutionError> {
        self.best.mark_invalid(&sender);
        Ok(())
    }
}

/// Latest nonces and balances from the database (with a dev chain's pending changes), as the
/// pool sees them.
#[derive(Debug)]
pub struct LatestAccounts<'a> {
    db: &'a Database,
    pending: Option<Arc<phala_primitives::StateChanges>>,
}

impl<'a> LatestAccounts<'a> {
    /// The committed latest state of `db`.
    pub const fn new(db: &'a Database) -> Self {
        Self { db, pending: None }
    }
}

impl AccountInfoProvider for LatestAccounts<'_> {
    fn nonce_and_balance(&self, address: Address) -> Result<(u64, U256), PoolError> {
        if let Some(change) = self.pending.as_ref().and_then(|p| p.accounts.get(&address)) {
            return Ok(change.account.map_or((0, U256::ZERO), |a| (a.nonce, a.balance)));
        }
        match self.db.stored_account(address) {
            Ok(Some(account)) => Ok((account.nonce, account.balance)),
            Ok(None) => Ok((0, U256::ZERO)),
            Err(err) => Err(PoolError::State(err.to_string())),
        }
    }
}
