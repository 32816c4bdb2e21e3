//! [`Derivation`]: derives the L2 chain from L1 data with phala-protocol's Holocene
//! [`DerivationPipeline`] and drives the engine with the result.
//!
//! For each derived block it consolidates or builds: when the canonical block after the safe
//! head already matches the attributes (the sequencer's own block, or a block derived before a
//! restart), it becomes safe as it is; otherwise the engine rewinds to the safe head and builds
//! exactly the attributes (`noTxPool`), which re-organises away an unsafe block that differs. A
//! payload the engine refuses is replaced by its deposits only, as Holocene says.
//!
//! The safe head is recorded ([`SAFE_HEAD_KEY`]) with the L1 block it was derived from; on a
//! restart or an L1 re-org the pipeline restarts from a safe head whose data is still on L1,
//! reading L1 again from a channel timeout before that head's origin. The finalized head is the
//! newest safe block derived from an L1 block at or below L1's `finalized` block.
//!
//! Each safe head is also recorded in the [`crate::safe_heads`] database under the L1 block it
//! was derived from, in the same batch as the safe head record; a rewind truncates it. What
//! derivation has seen of L1 (the block it has read up to, L1's head, safe and finalized blocks)
//! is published as [`L1Status`] for `optimism_syncStatus`.

use crate::{
    L1Source, RollupError, RollupResult,
    l2::{block_by_hash, block_ref, canonical_block, canonical_ref, system_config_of},
    records::{put_record, read_record},
    safe_heads,
};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::B256;
use alloy_rpc_types_eth::BlockNumberOrTag;
use phala_engine::{BlockAttributes, Engine, ForkchoiceState, ImportOutcome};
use phala_primitives::{Block, EthereumHardforks, OpHardforks, PhalaTxEnvelope};
use phala_protocol::{
    derive::{
        DerivationPipeline, DeriveError, DerivedAttributes, DropReason, L1BlockRef, L2Attributes,
        L2BlockRef, Step,
    },
    rollup::{BlockRef, RollupConfig},
};
use serde::{Deserialize, Serialize};
use std::{
    collections::VecDeque,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::watch;
use tracing::{debug, info, warn};

/// The database record of the safe head.
pub const SAFE_HEAD_KEY: &str = "derivation.safe_head";
/// Most recent safe heads remembered with their L1 derivation block, for finality and resets.
const DERIVED_HISTORY: usize = 4096;

/// How derivation runs.
#[derive(Debug, Clone)]
pub struct DerivationConfig {
    /// L1 blocks to wait behind the L1 head before reading a block.
    pub l1_confirmations: u64,
    /// How often to look for new L1 blocks once caught up.
    pub poll_interval: Duration,
}

impl Default for DerivationConfig {
    fn default() -> Self {
        Self { l1_confirmations: 0, poll_interval: Duration::from_millis(500) }
    }
}

/// The L2 heads derivation publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DerivedHeads {
    /// Derived from L1 data.
    pub safe: L2BlockRef,
    /// Derived from finalized L1 data.
    pub finalized: L2BlockRef,
}

/// What derivation has seen of L1; a block not seen yet is zeroed, as op-node reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct L1Status {
    /// The newest L1 block fed to the pipeline: derivation has read L1 up to it (op-node's
    /// `current_l1`). After a reset it goes back to where the pipeline reads again.
    pub current: L1BlockRef,
    /// L1's head when derivation last looked, without confirmation distance.
    pub head: L1BlockRef,
    /// L1's `safe` block.
    pub safe: L1BlockRef,
    /// L1's `finalized` block.
    pub finalized: L1BlockRef,
}

/// A safe head with the L1 block it was derived from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct SafeRecord {
    hash: B256,
    number: u64,
    derived_from: BlockRef,
}

/// The derivation service.
#[derive(Debug)]
pub struct Derivation {
    engine: Arc<Engine>,
    l1: L1Source,
    rollup: Arc<RollupConfig>,
    config: DerivationConfig,
    heads: watch::Sender<DerivedHeads>,
    l1_status: watch::Sender<L1Status>,
    /// When L1's `safe` block was last read (it only feeds the sync status, so at most once per
    /// poll interval).
    l1_safe_read: Option<Instant>,
    /// (safe block, the L1 block number it was derived from), oldest first.
    derived: VecDeque<(L2BlockRef, BlockRef)>,
}

/// Why a round of the pipeline stopped.
enum Interrupt {
    /// Caught up with L1: wait for more.
    Wait,
    /// The pipeline must be rebuilt (L1 re-org, or a state it cannot go on from).
    Reset,
}

impl Derivation {
    /// A derivation of `engine`'s chain from `l1`; returns it and the receiver of its heads.
    pub fn new(
        engine: Arc<Engine>,
        l1: L1Source,
        config: DerivationConfig,
    ) -> RollupResult<(Self, watch::Receiver<DerivedHeads>)> {
        let rollup = l1.rollup().clone();
        let genesis = L2BlockRef::genesis(&rollup);
        let (heads, receiver) = watch::channel(DerivedHeads { safe: genesis, finalized: genesis });
        let derivation = Self {
            engine,
            l1,
            rollup,
            config,
            heads,
            l1_status: watch::channel(L1Status::default()).0,
            l1_safe_read: None,
            derived: VecDeque::new(),
        };
        let safe = derivation.stored_safe_head()?;
        derivation.publish(safe, None);
        Ok((derivation, receiver))
    }

    /// A receiver of what derivation sees of L1.
    pub fn l1_status(&self) -> watch::Receiver<L1Status> {
        self.l1_status.subscribe()
    }

    fn update_l1_status(&self, update: impl FnOnce(&mut L1Status)) {
        self.l1_status.send_if_modified(|status| {
            let before = *status;
            update(status);
            *status != before
        });
    }

    /// The recorded safe head if it is still canonical, else genesis.
    fn stored_safe_head(&self) -> RollupResult<L2BlockRef> {
        let db = self.engine.db();
        if let Some(record) = read_record::<SafeRecord>(db, SAFE_HEAD_KEY)?
            && let Some(safe) = canonical_ref(db, &self.rollup, record.number)?
            && safe.hash == record.hash
        {
            return Ok(safe);
        }
        Ok(L2BlockRef::genesis(&self.rollup))
    }

    fn publish(&self, safe: L2BlockRef, finalized: Option<L2BlockRef>) {
        let finalized = finalized.unwrap_or_else(|| {
            let current = self.heads.borrow().finalized;
            if current.number <= safe.number { current } else { safe }
        });
        self.heads.send_replace(DerivedHeads { safe, finalized });
        self.engine.set_forkchoice(ForkchoiceState {
            safe: Some(safe.hash),
            finalized: Some(finalized.hash),
        });
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        info!(target: "derivation", "derivation started");
        loop {
            // A round runs until L1 runs dry or a reset; shutdown may end it at any await (its
            // records are written atomically, and a block task in flight finishes on its own).
            let result = tokio::select! {
                _ = shutdown.changed() => break,
                result = self.round() => result,
            };
            let interrupt = match result {
                Ok(interrupt) => interrupt,
                Err(err) => {
                    warn!(target: "derivation", %err, "derivation step failed; restarting from the safe head");
                    Interrupt::Reset
                }
            };
            let pause = match interrupt {
                Interrupt::Wait => self.config.poll_interval,
                Interrupt::Reset => self.config.poll_interval * 2,
            };
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// The pipeline from the safe head: L1 is read again from the origin of the newest safe
    /// block at least a channel timeout older than the safe head's origin.
    fn pipeline(&self, safe: L2BlockRef) -> RollupResult<DerivationPipeline> {
        let db = self.engine.db();
        let timeout = self.rollup.channel_timeout_at(safe.timestamp);
        let mut start = safe;
        while start.number > self.rollup.genesis.l2.number
            && start.l1_origin.number + timeout > safe.l1_origin.number
        {
            start = canonical_ref(db, &self.rollup, start.number - 1)?
                .ok_or(RollupError::L2BlockMissing(start.number - 1))?;
        }
        let (_, start_block) =
            canonical_block(db, start.number)?.ok_or(RollupError::L2BlockMissing(start.number))?;
        let config = system_config_of(&self.rollup, &start_block)?;
        Ok(DerivationPipeline::new((*self.rollup).clone(), safe, start.l1_origin, config)?)
    }

    /// The recorded safe head, once the L1 block it was derived from is checked to be still on
    /// L1; after a re-org that removed it, an older safe head whose data is.
    async fn checked_safe_head(&mut self) -> RollupResult<L2BlockRef> {
        if let Some(record) = read_record::<SafeRecord>(self.engine.db(), SAFE_HEAD_KEY)? {
            let canonical = self.l1.hash_at(record.derived_from.number).await?;
            if canonical != Some(record.derived_from.hash) {
                warn!(target: "derivation", safe = record.number, from = record.derived_from.number, "L1 re-org removed the safe head's data; rewinding");
                self.rewind_safe_head_for_reorg().await?;
            }
        }
        self.stored_safe_head()
    }

    /// Derives until caught up with L1 (or a reset is needed).
    async fn round(&mut self) -> RollupResult<Interrupt> {
        let safe = self.checked_safe_head().await?;
        // The safe-head database holds nothing above the head derivation goes on from (one read
        // when that is so; the genesis fallback of a record that is no longer canonical empties it).
        let mut writes = self.engine.db().write_set();
        if safe_heads::truncate_above(&mut writes, u64::MAX, safe.number)? > 0 {
            writes.commit()?;
        }
        let mut pipeline = self.pipeline(safe)?;
        self.publish(safe, None);
        debug!(target: "derivation", safe = safe.number, start = ?pipeline.safe_head().l1_origin, "pipeline started");
        loop {
            let db = self.engine.db();
            let rollup = self.rollup.clone();
            let safe_number = pipeline.safe_head().number;
            let step = pipeline.next(&|number: u64| {
                if number > safe_number {
                    return None;
                }
                canonical_ref(db, &rollup, number).ok().flatten()
            });
            // Reading data (in `next`) and feeding blocks both drop what the spec says to.
            log_dropped(&mut pipeline);
            match step {
                Ok(Step::NeedL1Block { number }) => {
                    self.update_finalized().await?;
                    let Some(head_ref) = self.l1.block_ref_at(BlockNumberOrTag::Latest).await?
                    else {
                        return Ok(Interrupt::Wait);
                    };
                    self.update_l1_status(|status| status.head = head_ref);
                    let head = head_ref.number;
                    if head < number + self.config.l1_confirmations {
                        // Wait for L1, but keep deriving from the same pipeline state.
                        tokio::time::sleep(self.config.poll_interval).await;
                        continue;
                    }
                    let Some(block) = self.l1.block(number).await? else {
                        return Ok(Interrupt::Wait);
                    };
                    let mut input = self.l1.block_input(&block).await?;
                    let read = input.epoch.header.block_ref();
                    let batcher =
                        pipeline.batcher_for(&input.config_updates, block.header.timestamp);
                    input.batcher_data = self.l1.batcher_data(&block, batcher).await?;
                    match pipeline.add_l1_block(input) {
                        Ok(()) => self.update_l1_status(|status| status.current = read),
                        Err(DeriveError::Reorg { .. }) => {
                            warn!(target: "derivation", number, "L1 re-org; resetting to a safe head still on L1");
                            self.rewind_safe_head_for_reorg().await?;
                            return Ok(Interrupt::Reset);
                        }
                        Err(err) => return Err(err.into()),
                    }
                }
                Ok(Step::Attributes(derived)) => {
                    let block = match self.execute(&derived).await? {
                        Some(block) => block,
                        None => {
                            let replaced = pipeline.on_invalid_payload()?;
                            warn!(target: "derivation", timestamp = replaced.attributes.timestamp, "invalid payload; deriving its deposits only");
                            match self.execute(&replaced).await? {
                                Some(block) => block,
                                None => {
                                    return Err(DeriveError::DepositOnlyPayloadInvalid {
                                        timestamp: replaced.attributes.timestamp,
                                    }
                                    .into());
                                }
                            }
                        }
                    };
                    pipeline.on_safe_head(block)?;
                    self.record_safe(block, derived.derived_from.id())?;
                }
                Err(DeriveError::SafeBlockUnknown { number }) => {
                    warn!(target: "derivation", number, "a safe block is missing; resetting");
                    return Ok(Interrupt::Reset);
                }
                Err(err) => return Err(err.into()),
            }
        }
    }

    /// Records `block` as the safe head, derived from L1 block `derived_from`, with its entry in
    /// the safe-head database, in one batch.
    fn record_safe(&mut self, block: L2BlockRef, derived_from: BlockRef) -> RollupResult<()> {
        let mut writes = self.engine.db().write_set();
        put_record(
            &mut writes,
            SAFE_HEAD_KEY,
            &SafeRecord { hash: block.hash, number: block.number, derived_from },
        );
        safe_heads::put(
            &mut writes,
            derived_from,
            BlockRef { hash: block.hash, number: block.number },
        );
        writes.commit()?;
        self.derived.push_back((block, derived_from));
        if self.derived.len() > DERIVED_HISTORY {
            self.derived.pop_front();
        }
        self.publish(block, None);
        Ok(())
    }

    /// After an L1 re-org: the safe head goes back to the newest block derived from an L1 block
    /// still canonical (genesis when none is known).
    async fn rewind_safe_head_for_reorg(&mut self) -> RollupResult<()> {
        while let Some((block, from)) = self.derived.back().copied() {
            let canonical = self.l1.hash_at(from.number).await?;
            if canonical == Some(from.hash) {
                return self.rewind_to(SafeRecord {
                    hash: block.hash,
                    number: block.number,
                    derived_from: from,
                });
            }
            self.derived.pop_back();
        }
        // No history (this process did not derive those blocks): a block's batch lands within
        // the sequencing window after its origin, so a safe block whose origin is a window older
        // than a still-canonical L1 block has its data on L1. Walk back to the newest safe block
        // whose origin is canonical, then a window further.
        let db = self.engine.db();
        let genesis = self.rollup.genesis.l2.number;
        let record = read_record::<SafeRecord>(db, SAFE_HEAD_KEY)?;
        let mut candidate = match record {
            Some(record) => canonical_ref(db, &self.rollup, record.number)?,
            None => None,
        }
        .unwrap_or_else(|| L2BlockRef::genesis(&self.rollup));
        let previous = |block: L2BlockRef| -> RollupResult<L2BlockRef> {
            canonical_ref(db, &self.rollup, block.number - 1)?
                .ok_or(RollupError::L2BlockMissing(block.number - 1))
        };
        while candidate.number > genesis {
            if self.l1.hash_at(candidate.l1_origin.number).await? == Some(candidate.l1_origin.hash)
            {
                break;
            }
            candidate = previous(candidate)?;
        }
        let anchor = candidate.l1_origin.number;
        while candidate.number > genesis
            && candidate.l1_origin.number + self.rollup.seq_window_size > anchor
        {
            candidate = previous(candidate)?;
        }
        info!(target: "derivation", safe = candidate.number, "safe head rewound a sequencing window behind the re-org");
        self.rewind_to(SafeRecord {
            hash: candidate.hash,
            number: candidate.number,
            derived_from: candidate.l1_origin,
        })
    }

    /// Writes `record` as the safe head it goes back to, and drops the safe-head database's
    /// entries above it (op-node truncates its safedb on a reset), in one batch.
    fn rewind_to(&self, record: SafeRecord) -> RollupResult<()> {
        let mut writes = self.engine.db().write_set();
        put_record(&mut writes, SAFE_HEAD_KEY, &record);
        let removed =
            safe_heads::truncate_above(&mut writes, record.derived_from.number, record.number)?;
        writes.commit()?;
        debug!(target: "derivation", safe = record.number, removed, "safe-head entries truncated");
        Ok(())
    }

    /// Moves the finalized head to the newest safe block derived from finalized L1 data.
    async fn update_finalized(&mut self) -> RollupResult<()> {
        if self.l1_safe_read.is_none_or(|at| at.elapsed() >= self.config.poll_interval) {
            self.l1_safe_read = Some(Instant::now());
            if let Some(safe) = self.l1.block_ref_at(BlockNumberOrTag::Safe).await? {
                self.update_l1_status(|status| status.safe = safe);
            }
        }
        let Some(finalized_ref) = self.l1.block_ref_at(BlockNumberOrTag::Finalized).await? else {
            return Ok(());
        };
        self.update_l1_status(|status| status.finalized = finalized_ref);
        let finalized_l1 = finalized_ref.number;
        let finalized = self
            .derived
            .iter()
            .rev()
            .find(|(_, from)| from.number <= finalized_l1)
            .map(|(block, _)| *block);
        if let Some(finalized) = finalized {
            let current = *self.heads.borrow();
            if finalized.number > current.finalized.number {
                self.publish(current.safe, Some(finalized));
            }
        }
        Ok(())
    }

    /// Makes the block of `derived` safe: the canonical block when it matches, else a block
    /// built from exactly the attributes. `None`: the engine refused the payload.
    async fn execute(&self, derived: &DerivedAttributes) -> RollupResult<Option<L2BlockRef>> {
        let attributes = &derived.attributes;
        let db = self.engine.db();
        let (parent_number, parent_hash) =
            (attributes_parent_number(db, attributes.parent_hash)?, attributes.parent_hash);
        if let Some((hash, block)) = canonical_block(db, parent_number + 1)? {
            if attributes_match(&self.engine, attributes, &block) {
                return Ok(Some(block_ref(&self.rollup, hash, &block)?));
            }
            warn!(target: "derivation", number = parent_number + 1, %hash, "the canonical block differs from the derived one; replacing it");
        }
        let Some(block_attributes) = engine_attributes(attributes) else { return Ok(None) };
        let engine = self.engine.clone();
        let built = tokio::task::spawn_blocking(move || -> RollupResult<Option<B256>> {
            let (head, _) = engine.canonical_head()?;
            if head != parent_hash {
                engine.make_canonical(parent_hash)?;
            }
            match engine.seal_block(&block_attributes, false) {
                Ok(Some((ImportOutcome::Imported { hash, .. }, _))) => Ok(Some(hash)),
                Ok(Some((ImportOutcome::AlreadyCanonical(hash), _))) => Ok(Some(hash)),
                Ok(None) => Ok(None),
                Err(err) => {
                    warn!(target: "derivation", %err, "the engine refused a derived payload");
                    Ok(None)
                }
            }
        })
        .await
        .expect("the block task does not panic")?;
        let Some(hash) = built else { return Ok(None) };
        let block = block_by_hash(self.engine.db(), hash)?
            .ok_or(RollupError::L2BlockMissing(parent_number + 1))?;
        Ok(Some(block_ref(&self.rollup, hash, &block)?))
    }
}

/// Logs what the pipeline dropped since the last call.
fn log_dropped(pipeline: &mut DerivationPipeline) {
    for dropped in pipeline.take_dropped() {
        // Batches for blocks already safe are re-read after every restart.
        if matches!(dropped.reason, DropReason::PastBatch { .. }) {
            debug!(target: "derivation", ?dropped, "skipped a batch of safe blocks");
        } else {
            warn!(target: "derivation", ?dropped, "dropped L1 data");
        }
    }
}

fn attributes_parent_number(db: &phala_storage::Database, parent: B256) -> RollupResult<u64> {
    use phala_storage::KeyValueRead;
    db.block_number(parent)?.ok_or(RollupError::UnknownL2Parent(parent))
}

/// The engine's attributes for `attributes`; `None` when a transaction does not decode (an
/// invalid payload).
pub fn engine_attributes(attributes: &L2Attributes) -> Option<BlockAttributes> {
    let transactions = attributes
        .transactions
        .iter()
        .map(|raw| PhalaTxEnvelope::decode_2718(&mut raw.as_ref()).ok())
        .collect::<Option<Vec<_>>>()?;
    Some(BlockAttributes {
        timestamp: attributes.timestamp,
        beneficiary: attributes.fee_recipient,
        gas_limit: Some(attributes.gas_limit),
        prev_randao: attributes.prev_randao,
        parent_beacon_block_root: attributes.parent_beacon_block_root,
        extra_data: Default::default(),
        withdrawals: Vec::new(),
        transactions,
        no_tx_pool: attributes.no_tx_pool,
        eip1559_params: attributes.eip1559_params.map(|params| params.0),
        min_base_fee: attributes.min_base_fee,
    })
}

/// Whether `block` is what `attributes` build (op-node's consolidation check): parent, time,
/// randomness, fee recipient, gas limit, beacon root, the EIP-1559 parameters of `extraData`, and
/// exactly the same transactions.
pub fn attributes_match(engine: &Engine, attributes: &L2Attributes, block: &Block) -> bool {
    let header = &block.header;
    let spec = engine.spec();
    let same_header = header.parent_hash == attributes.parent_hash
        && header.timestamp == attributes.timestamp
        && header.mix_hash == attributes.prev_randao
        && header.beneficiary == attributes.fee_recipient
        && header.gas_limit == attributes.gas_limit
        && header.parent_beacon_block_root
            == attributes
                .parent_beacon_block_root
                .filter(|_| spec.is_cancun_active_at_timestamp(header.timestamp));
    if !same_header || block.body.transactions.len() != attributes.transactions.len() {
        return false;
    }
    if let Some(params) = attributes.eip1559_params {
        let mut expected = spec.holocene_extra_data(params.0, header.timestamp);
        if spec.is_jovian_active_at_timestamp(header.timestamp) {
            expected.min_base_fee = attributes.min_base_fee;
        }
        if header.extra_data.as_ref() != expected.encode().as_slice() {
            return false;
        }
    }
    block
        .body
        .transactions
        .iter()
        .zip(&attributes.transactions)
        .all(|(tx, raw)| tx.encoded_2718() == raw.as_ref())
}
