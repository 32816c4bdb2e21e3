//! The derivation pipeline as a pure state machine ([`DerivationPipeline`]): fed one L1 block
//! at a time, it hands out the attributes of the block after the safe head, one at a time.
//!
//! Stages (Holocene, `holocene/derivation.md`): L1 traversal (the parent-hash check and the
//! system config's updates), the frame queue and channel assembly ([`super::channels`]), the
//! channel reader, the batch stage ([`super::validity`], with empty batches once a sequencing
//! window expires) and the attributes builder ([`super::build_attributes`]).

use super::{
    attributes::{L2Attributes, build_attributes, check_rollup_support},
    channels::{ChannelAssembler, ChannelBatch, prune_frames, read_channel},
    error::{BatchDropReason, DeriveError, DropReason, Dropped},
    refs::{L1BlockInput, L1BlockRef, L1Epoch, L2BlockRef},
    system_config::{ConfigUpdateOutcome, SystemConfig},
    validity::{Validity, check_singular, check_span_prefix, span_singulars},
};
use crate::{
    batch::{Frame, SingularBatch, frames_of_calldata},
    rollup::{BlockRef, RollupConfig},
};
use alloy_primitives::{Address, Bytes, Log};
use std::collections::VecDeque;

/// The most drop records kept for [`DerivationPipeline::take_dropped`]; older ones go first.
pub const MAX_DROP_RECORDS: usize = 1024;

/// The L1 transaction types whose data may be batcher data (`derivation.md`, "L1 Retrieval"):
/// legacy, EIP-2930, EIP-1559, EIP-4844, and deposits (batchers of nested OP chains).
pub const BATCHER_TX_TYPES: [u8; 5] = [0, 1, 2, 3, 0x7e];

/// Whether an L1 transaction is a batcher transaction: sent to the batch inbox, by the batcher
/// of the system config for its block (see [`DerivationPipeline::batcher_for`]), of an allowed
/// type. `from` is the recovered sender.
pub fn is_batcher_transaction(
    rollup: &RollupConfig,
    batcher: Address,
    tx_type: u8,
    to: Option<Address>,
    from: Address,
) -> bool {
    to == Some(rollup.batch_inbox_address) && from == batcher && BATCHER_TX_TYPES.contains(&tx_type)
}

/// Looks up safe L2 blocks by number, for span batches that overlap the safe chain.
pub trait SafeChain {
    /// The safe L2 block at `number`, if the caller has it.
    fn safe_block(&self, number: u64) -> Option<L2BlockRef>;
}

impl<F: Fn(u64) -> Option<L2BlockRef>> SafeChain for F {
    fn safe_block(&self, number: u64) -> Option<L2BlockRef> {
        self(number)
    }
}

/// Attributes the pipeline derived, for the block after the safe head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedAttributes {
    /// The attributes.
    pub attributes: L2Attributes,
    /// The L1 block being read when they were derived (the batch's inclusion block, or the
    /// block whose arrival expired the sequencing window).
    pub derived_from: L1BlockRef,
}

/// What the pipeline needs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Attributes to execute on the safe head; report the block with
    /// [`DerivationPipeline::on_safe_head`], or an invalid payload with
    /// [`DerivationPipeline::on_invalid_payload`].
    Attributes(Box<DerivedAttributes>),
    /// Every fed L1 block is used up: feed this block number next
    /// ([`DerivationPipeline::add_l1_block`]).
    NeedL1Block {
        /// The L1 block number to feed.
        number: u64,
    },
}

/// An L1 block held as a possible epoch.
#[derive(Debug, Clone)]
struct HeldEpoch {
    block: L1BlockRef,
    epoch: L1Epoch,
    /// The system config after this block's updates: the config of blocks in this epoch.
    config: SystemConfig,
}

impl AsRef<L1BlockRef> for HeldEpoch {
    fn as_ref(&self) -> &L1BlockRef {
        &self.block
    }
}

/// The Holocene derivation pipeline: a pure, deterministic state machine.
///
/// Use: [`Self::new`] from the safe head and a start L1 block, then loop on [`Self::next`]:
/// on [`Step::NeedL1Block`] feed that block ([`Self::add_l1_block`], which refuses a block not
/// asked for, or one whose parent is not the previous block: [`DeriveError::Reorg`]); on
/// [`Step::Attributes`] execute them and report the result. After a reorg or restart, build a
/// new pipeline ([`Self::new`]).
#[derive(Debug, Clone)]
pub struct DerivationPipeline {
    rollup: RollupConfig,
    start: BlockRef,
    safe_head: L2BlockRef,
    /// The last L1 block fed.
    origin: Option<L1BlockRef>,
    /// The traversal's config: after the updates of the last block fed.
    config: SystemConfig,
    /// The L1 blocks from the safe head's epoch (or the one after) to the origin.
    epochs: Vec<HeldEpoch>,
    /// The origin's batcher data not read yet.
    data: VecDeque<Bytes>,
    /// The frames of the batcher data item being read.
    frames: VecDeque<Frame>,
    assembler: ChannelAssembler,
    /// The batches of the channel being read.
    channel: VecDeque<ChannelBatch>,
    /// The blocks of the span batch being read.
    span: VecDeque<SingularBatch>,
    pending: Option<DerivedAttributes>,
    wants_l1: bool,
    dropped: VecDeque<Dropped>,
}

impl DerivationPipeline {
    /// A pipeline continuing from `safe_head`, reading L1 from block `start` on, with
    /// `config` the system config as of `start` (before or after `start`'s own updates: they
    /// overwrite, so re-applying them is harmless).
    ///
    /// `start` must be at or before the safe head's origin, far enough back that every channel
    /// holding batches after the safe head began in or after it: the L1 origin of the newest L2
    /// block at or below the safe head whose origin is at least the channel timeout (Granite's)
    /// older than the safe head's origin, or the genesis L1 block, as op-node's reset walks
    /// back. Starting further back is harmless (old batches are skipped), but `config` must be
    /// the config at `start` (e.g. that L2 block's, or the genesis config at the genesis L1
    /// block).
    pub fn new(
        rollup: RollupConfig,
        safe_head: L2BlockRef,
        start: BlockRef,
        config: SystemConfig,
    ) -> Result<Self, DeriveError> {
        check_rollup_support(&rollup)?;
        if start.number > safe_head.l1_origin.number {
            return Err(DeriveError::StartAfterSafeHeadOrigin {
                start: start.number,
                safe_origin: safe_head.l1_origin,
            });
        }
        Ok(Self {
            rollup,
            start,
            safe_head,
            origin: None,
            config,
            epochs: Vec::new(),
            data: VecDeque::new(),
            frames: VecDeque::new(),
            assembler: ChannelAssembler::default(),
            channel: VecDeque::new(),
            span: VecDeque::new(),
            pending: None,
            wants_l1: true,
            dropped: VecDeque::new(),
        })
    }

    /// The newest L1 block a restart from `safe_head` (whose origin has timestamp
    /// `origin_timestamp`) may start reading at: a channel timeout before the safe head's
    /// origin, not before the genesis L1 block. Any older start works too; pass [`Self::new`]
    /// the system config as of the block chosen.
    pub fn latest_restart_l1(
        rollup: &RollupConfig,
        safe_head: &L2BlockRef,
        origin_timestamp: u64,
    ) -> u64 {
        let timeout = rollup.channel_timeout_at(origin_timestamp);
        safe_head.l1_origin.number.saturating_sub(timeout).max(rollup.genesis.l1.number)
    }

    /// The rollup config.
    pub const fn rollup(&self) -> &RollupConfig {
        &self.rollup
    }

    /// The safe head the next attributes build on.
    pub const fn safe_head(&self) -> &L2BlockRef {
        &self.safe_head
    }

    /// The last L1 block fed.
    pub const fn origin(&self) -> Option<&L1BlockRef> {
        self.origin.as_ref()
    }

    /// The system config after the last L1 block fed.
    pub const fn system_config(&self) -> &SystemConfig {
        &self.config
    }

    /// The batcher whose transactions are the batcher data of the next L1 block, whose
    /// `ConfigUpdate` logs are `config_updates` (a block's updates apply to its own data).
    /// Malformed updates are skipped, as [`Self::add_l1_block`] skips them.
    pub fn batcher_for(&self, config_updates: &[Log], l1_timestamp: u64) -> Address {
        let mut config = self.config;
        let ecotone = self.ecotone_at(l1_timestamp);
        for log in config_updates {
            let _ = config.apply_update(log, ecotone);
        }
        config.batcher
    }

    /// Feeds the next L1 block, when [`Self::next`] asked for it. Its config updates are
    /// applied, then its batcher data queued for reading.
    pub fn add_l1_block(&mut self, input: L1BlockInput) -> Result<(), DeriveError> {
        if !self.wants_l1 {
            return Err(DeriveError::L1BlockNotExpected);
        }
        let block = input.epoch.header.block_ref();
        match self.origin {
            None if block.id() != self.start => {
                return Err(DeriveError::NotStartBlock { expected: self.start, got: block.id() });
            }
            None => {}
            Some(previous) if block.number != previous.number + 1 => {
                return Err(DeriveError::L1BlockOutOfOrder {
                    expected: previous.number + 1,
                    got: block.number,
                });
            }
            Some(previous) if block.parent_hash != previous.hash => {
                return Err(DeriveError::Reorg {
                    block: block.id(),
                    parent_hash: block.parent_hash,
                    previous: previous.id(),
                });
            }
            Some(_) => {}
        }
        let ecotone = self.ecotone_at(block.timestamp);
        for log in &input.config_updates {
            match self.config.apply_update(log, ecotone) {
                Ok(ConfigUpdateOutcome::Applied(_) | ConfigUpdateOutcome::Ignored(_)) => {}
                Err(error) => self.record(block.number, DropReason::ConfigUpdate(error)),
            }
        }
        // Blocks before the safe head's epoch only feed channels; they are no epochs.
        if block.number < self.safe_head.l1_origin.number {
            self.epochs.clear();
        } else {
            self.epochs.push(HeldEpoch { block, epoch: input.epoch, config: self.config });
        }
        self.origin = Some(block);
        self.data = input.batcher_data.into();
        self.wants_l1 = false;
        Ok(())
    }

    /// The next step: attributes for the block after the safe head, or the next L1 block to
    /// feed. Pending attributes are returned again until reported on. `safe_chain` answers for
    /// safe blocks a span batch overlapping the safe chain starts after.
    pub fn next(&mut self, safe_chain: &impl SafeChain) -> Result<Step, DeriveError> {
        if let Some(pending) = &self.pending {
            return Ok(Step::Attributes(Box::new(pending.clone())));
        }
        let Some(origin) = self.origin else {
            self.wants_l1 = true;
            return Ok(Step::NeedL1Block { number: self.start.number });
        };
        let need_l1 = |pipeline: &mut Self| -> Result<Step, DeriveError> {
            pipeline.wants_l1 = true;
            Ok(Step::NeedL1Block { number: origin.number + 1 })
        };
        loop {
            let parent = self.safe_head;
            self.prune_epochs();
            // A channel read in a block at or before the safe head's origin can only hold
            // batches at or before the safe head: read the data for its frames, skip batches.
            if origin.number <= parent.l1_origin.number {
                self.span.clear();
                while self.next_channel_batch(&origin).is_some() {}
                return need_l1(self);
            }
            self.check_epochs(&parent)?;

            let batch = if let Some(batch) = self.next_span_block(&parent) {
                batch
            } else {
                match self.next_channel_batch(&origin) {
                    Some(ChannelBatch::Singular(batch)) => batch,
                    Some(ChannelBatch::Span(span)) => {
                        let verdict = check_span_prefix(
                            &self.rollup,
                            &self.epochs,
                            &parent,
                            &span,
                            &origin,
                            |number| safe_chain.safe_block(number),
                        );
                        let timestamp = span.first().timestamp;
                        match verdict {
                            Err(number) => {
                                // Keep the batch for the call after the caller has the block.
                                self.channel.push_front(ChannelBatch::Span(span));
                                return Err(DeriveError::SafeBlockUnknown { number });
                            }
                            Ok(Validity::Accept) => {
                                match span_singulars(span, &self.epochs, &parent) {
                                    Ok(blocks) => self.span = blocks.into(),
                                    Err(reason) => self.invalid(&origin, timestamp, reason),
                                }
                            }
                            Ok(verdict) => self.skip(&origin, timestamp, verdict),
                        }
                        continue;
                    }
                    None => match self.next_empty_batch(&origin, &parent) {
                        Some(batch) => return self.derive(batch, origin),
                        None => return need_l1(self),
                    },
                }
            };
            match check_singular(&self.rollup, &self.epochs, &parent, &batch, &origin) {
                Validity::Accept => return self.derive(batch, origin),
                verdict => self.skip(&origin, batch.timestamp, verdict),
            }
        }
    }

    /// Reports that the pending attributes were executed into `block`, the new safe head.
    pub fn on_safe_head(&mut self, block: L2BlockRef) -> Result<(), DeriveError> {
        let Some(pending) = &self.pending else {
            return Err(DeriveError::NoPendingAttributes);
        };
        let attributes = &pending.attributes;
        let matches = block.parent_hash == self.safe_head.hash
            && block.number == self.safe_head.number + 1
            && block.timestamp == attributes.timestamp
            && block.l1_origin == attributes.l1_origin
            && block.sequence_number == attributes.sequence_number;
        if !matches {
            return Err(DeriveError::UnexpectedSafeHead {
                parent: self.safe_head.id(),
                got: block.id(),
            });
        }
        self.safe_head = block;
        self.pending = None;
        Ok(())
    }

    /// Reports that the engine found the pending attributes' payload invalid. Holocene replaces
    /// it by its deposits only, returned (and pending in its place), and drops the rest of the
    /// span batch and channel it came from. A deposit-only payload found invalid is critical.
    pub fn on_invalid_payload(&mut self) -> Result<DerivedAttributes, DeriveError> {
        let Some(pending) = &mut self.pending else {
            return Err(DeriveError::NoPendingAttributes);
        };
        let timestamp = pending.attributes.timestamp;
        if pending.attributes.is_deposit_only() {
            return Err(DeriveError::DepositOnlyPayloadInvalid { timestamp });
        }
        pending.attributes = pending.attributes.to_deposit_only();
        let replaced = pending.clone();
        self.flush_channel();
        self.record(replaced.derived_from.number, DropReason::InvalidPayload { timestamp });
        Ok(replaced)
    }

    /// The drop records since the last call, oldest first.
    pub fn take_dropped(&mut self) -> Vec<Dropped> {
        self.dropped.drain(..).collect()
    }

    fn ecotone_at(&self, l1_timestamp: u64) -> bool {
        self.rollup.forks.ecotone_time.is_some_and(|at| l1_timestamp >= at)
    }

    fn record(&mut self, l1_block: u64, reason: DropReason) {
        if self.dropped.len() == MAX_DROP_RECORDS {
            self.dropped.pop_front();
        }
        self.dropped.push_back(Dropped { l1_block, reason });
    }

    /// Holocene's fast channel invalidation: the rest of the span and channel go.
    fn flush_channel(&mut self) {
        self.span.clear();
        self.channel.clear();
    }

    fn invalid(&mut self, origin: &L1BlockRef, timestamp: u64, reason: BatchDropReason) {
        self.record(origin.number, DropReason::InvalidBatch { timestamp, reason });
        self.flush_channel();
    }

    fn skip(&mut self, origin: &L1BlockRef, timestamp: u64, verdict: Validity) {
        match verdict {
            Validity::Accept => {}
            Validity::Past => self.record(origin.number, DropReason::PastBatch { timestamp }),
            Validity::Drop(reason) => self.invalid(origin, timestamp, reason),
            Validity::Undecided => self.record(
                origin.number,
                DropReason::InvalidBatch { timestamp, reason: BatchDropReason::Undecided },
            ),
        }
    }

    /// Drops epochs before the safe head's (keeps all if it is not held).
    fn prune_epochs(&mut self) {
        let origin = self.safe_head.l1_origin.number;
        if self.epochs.first().is_some_and(|first| first.block.number < origin)
            && let Some(at) = self.epochs.iter().position(|held| held.block.number == origin)
        {
            self.epochs.drain(..at);
        }
    }

    /// The first epoch held must be the safe head's origin, or the block after it once empty
    /// batches have filled the safe head's epoch; with the origin past the safe head's, at
    /// least two are held (a sequencing window of at least 2 keeps it so).
    fn check_epochs(&self, parent: &L2BlockRef) -> Result<(), DeriveError> {
        let Some(first) = self.epochs.first() else {
            return Err(DeriveError::EpochMissing { number: parent.l1_origin.number });
        };
        if self.epochs.len() < 2 {
            return Err(DeriveError::EpochMissing { number: first.block.number + 1 });
        }
        if first.block.id() != parent.l1_origin && first.block.number != parent.l1_origin.number + 1
        {
            return Err(DeriveError::SafeHeadOriginMismatch {
                safe_head: parent.id(),
                origin: parent.l1_origin,
            });
        }
        Ok(())
    }

    /// The next block of the span batch being read, if it follows the safe head.
    fn next_span_block(&mut self, parent: &L2BlockRef) -> Option<SingularBatch> {
        let next = self.span.front()?;
        if next.timestamp != parent.timestamp + self.rollup.block_time {
            self.span.clear();
            return None;
        }
        let mut batch = self.span.pop_front()?;
        // The span's parent check covered its first block; each next builds on the last.
        batch.parent_hash = parent.hash;
        Some(batch)
    }

    /// The next batch of the channels in the origin's batcher data.
    fn next_channel_batch(&mut self, origin: &L1BlockRef) -> Option<ChannelBatch> {
        loop {
            if let Some(batch) = self.channel.pop_front() {
                return Some(batch);
            }
            if let Some(frame) = self.frames.pop_front() {
                let mut drops = Vec::new();
                let complete =
                    self.assembler
                        .add_frame(frame, origin, &self.rollup, &mut |reason| drops.push(reason));
                if let Some((id, data)) = complete {
                    self.channel = read_channel(id, &data, origin, &self.rollup, &mut |reason| {
                        drops.push(reason)
                    })
                    .into();
                }
                for reason in drops {
                    self.record(origin.number, reason);
                }
                continue;
            }
            let data = self.data.pop_front()?;
            match frames_of_calldata(&data) {
                Ok(frames) => {
                    let mut drops = Vec::new();
                    self.frames = prune_frames(frames, &mut |reason| drops.push(reason)).into();
                    for reason in drops {
                        self.record(origin.number, reason);
                    }
                }
                Err(error) => self.record(origin.number, DropReason::BatcherData(error)),
            }
        }
    }

    /// The empty batch for the block after `parent` once its epoch's sequencing window has
    /// expired with no batch for it: in the same epoch while the next epoch is newer than the
    /// block (or the block would be the epoch's first), otherwise moving to the next epoch.
    fn next_empty_batch(
        &mut self,
        origin: &L1BlockRef,
        parent: &L2BlockRef,
    ) -> Option<SingularBatch> {
        let timestamp = parent.timestamp + self.rollup.block_time;
        loop {
            let epoch = self.epochs.first()?.block;
            if epoch.number + self.rollup.seq_window_size > origin.number {
                return None;
            }
            let next_epoch = self.epochs.get(1)?.block;
            let first_of_epoch = epoch.number == parent.l1_origin.number + 1;
            if timestamp < next_epoch.timestamp || first_of_epoch {
                return Some(SingularBatch {
                    parent_hash: parent.hash,
                    epoch_num: epoch.number,
                    epoch_hash: epoch.hash,
                    timestamp,
                    transactions: Vec::new(),
                });
            }
            self.epochs.remove(0);
        }
    }

    /// Builds and holds the attributes of an accepted (or empty) batch.
    fn derive(&mut self, batch: SingularBatch, origin: L1BlockRef) -> Result<Step, DeriveError> {
        let held = self
            .epochs
            .iter()
            .find(|held| {
                held.block.number == batch.epoch_num && held.block.hash == batch.epoch_hash
            })
            .ok_or(DeriveError::EpochMissing { number: batch.epoch_num })?;
        let attributes = build_attributes(
            &self.rollup,
            &self.safe_head,
            &held.epoch,
            &held.config,
            batch.transactions,
        )?;
        let derived = DerivedAttributes { attributes, derived_from: origin };
        self.pending = Some(derived.clone());
        Ok(Step::Attributes(Box::new(derived)))
    }
}
