//! Why derivation refused an input or a call, and why it dropped data (the drop reasons are not
//! errors: the spec drops such data and goes on; they are kept for the caller to log).

use super::system_config::ConfigUpdateKind;
use crate::{
    batch::{BatchError, ChannelId},
    rollup::BlockRef,
};
use alloy_primitives::{B256, U256};

/// A `ConfigUpdate` log or genesis system config that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SystemConfigError {
    /// Not the three topics of the event.
    #[error("ConfigUpdate log has {count} topics, expected 3")]
    TopicCount {
        /// Number of topics.
        count: usize,
    },
    /// The first topic is not the `ConfigUpdate` signature hash.
    #[error("log topic {topic} is not the ConfigUpdate event")]
    NotConfigUpdate {
        /// The log's first topic.
        topic: B256,
    },
    /// The version topic is not 0.
    #[error("ConfigUpdate version {version} is not supported")]
    UnsupportedVersion {
        /// The version topic.
        version: B256,
    },
    /// The update type topic names no known update.
    #[error("unknown ConfigUpdate type {update_type}")]
    UnknownUpdateType {
        /// The update type topic.
        update_type: B256,
    },
    /// The log data is not the ABI `bytes` of the update's payload length.
    #[error("{kind:?} ConfigUpdate data is {len} bytes, expected {expected}")]
    DataLength {
        /// The update.
        kind: ConfigUpdateKind,
        /// Length of the log data.
        len: usize,
        /// The length required.
        expected: usize,
    },
    /// The ABI offset of the `bytes` is not 32.
    #[error("{kind:?} ConfigUpdate data offset is {offset}, expected 32")]
    DataOffset {
        /// The update.
        kind: ConfigUpdateKind,
        /// The offset word.
        offset: U256,
    },
    /// The ABI length of the `bytes` is not the update's payload length.
    #[error("{kind:?} ConfigUpdate payload length is {length}, expected {expected}")]
    PayloadLength {
        /// The update.
        kind: ConfigUpdateKind,
        /// The length word.
        length: U256,
        /// The length required.
        expected: usize,
    },
    /// A value does not fit its type (non-zero bytes in the ABI padding).
    #[error("{kind:?} ConfigUpdate value overflows its type")]
    ValuePadding {
        /// The update.
        kind: ConfigUpdateKind,
    },
    /// The fee scalar word has an unknown version.
    #[error("fee scalar version {version} is unknown")]
    UnknownScalarVersion {
        /// The version byte.
        version: u8,
    },
    /// The fee scalar word has non-zero padding.
    #[error("fee scalar of version {version} has non-zero padding")]
    ScalarPadding {
        /// The version byte.
        version: u8,
    },
    /// A genesis system config field has the wrong length.
    #[error("genesis {field} is {len} bytes, expected {expected}")]
    GenesisFieldLength {
        /// The field's `rollup.json` name.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The length required.
        expected: usize,
    },
    /// A genesis system config number does not fit its type.
    #[error("genesis {field} {value} does not fit in 32 bits")]
    GenesisFieldOverflow {
        /// The field's `rollup.json` name.
        field: &'static str,
        /// Its value.
        value: u64,
    },
}

/// A rollup config this derivation does not implement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RollupSupportError {
    /// A fork through Holocene is not active at the L2 genesis (only Holocene rules are
    /// implemented).
    #[error(
        "{fork} must be active at the L2 genesis (time {genesis_time}); it activates at {activation:?}"
    )]
    RequiredAtGenesis {
        /// The fork.
        fork: &'static str,
        /// Its activation time (`None`: not scheduled).
        activation: Option<u64>,
        /// The L2 genesis time.
        genesis_time: u64,
    },
    /// A fork activates after the L2 genesis: its activation block (upgrade transactions, the
    /// previous L1-info format) is not implemented.
    #[error("{fork} activates at {activation}, after the L2 genesis at {genesis_time}")]
    ScheduledAfterGenesis {
        /// The fork.
        fork: &'static str,
        /// Its activation time.
        activation: u64,
        /// The L2 genesis time.
        genesis_time: u64,
    },
    /// Interop is scheduled; its derivation is not implemented.
    #[error("interop (at {activation}) is not supported")]
    Interop {
        /// Its activation time.
        activation: u64,
    },
    /// A block time of zero.
    #[error("the rollup's block time is zero")]
    ZeroBlockTime,
    /// A sequencing window below 2 L1 blocks (empty batches could move the epoch to the
    /// block being read, with no next epoch to compare with).
    #[error("sequencing window of {size} L1 blocks is below 2")]
    SequencingWindowTooSmall {
        /// The configured size.
        size: u64,
    },
}

/// Why payload attributes could not be built on a parent with an epoch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttributesError {
    /// The rollup config is not supported.
    #[error(transparent)]
    Rollup(#[from] RollupSupportError),
    /// The epoch is neither the parent's origin nor the L1 block after it.
    #[error(
        "epoch {epoch:?} is neither the parent's origin {parent_origin:?} nor the next L1 block"
    )]
    EpochNotAdjacent {
        /// The epoch asked for.
        epoch: BlockRef,
        /// The parent's L1 origin.
        parent_origin: BlockRef,
    },
    /// The new epoch's parent hash is not the parent's origin (an L1 reorg).
    #[error("epoch {epoch:?} has parent {epoch_parent}, not the parent's origin {parent_origin:?}")]
    EpochNotChild {
        /// The epoch asked for.
        epoch: BlockRef,
        /// The epoch's parent hash.
        epoch_parent: B256,
        /// The parent's L1 origin.
        parent_origin: BlockRef,
    },
    /// The block would be older than its L1 origin.
    #[error("L2 time {l2_time} is before the L1 origin's time {l1_time}")]
    TimeBeforeOrigin {
        /// The new block's time.
        l2_time: u64,
        /// The origin's time.
        l1_time: u64,
    },
    /// The system config's fee scalar cannot be read.
    #[error(transparent)]
    SystemConfig(#[from] SystemConfigError),
}

/// Why the sequencer cannot pick an L1 origin for its next block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginSelectionError {
    /// The block would pass the sequencer drift on the current origin, and the next L1 block is
    /// not known: the sequencer must wait for it.
    #[error(
        "L2 time {next_l2_time} passes the drift of origin {current:?} and the next L1 block is unknown"
    )]
    NextOriginRequired {
        /// The current origin.
        current: BlockRef,
        /// The next L2 block's time.
        next_l2_time: u64,
    },
    /// The next L1 block given is not the current origin's child.
    #[error("L1 block {next:?} is not a child of the current origin {current:?}")]
    NextNotChild {
        /// The current origin.
        current: BlockRef,
        /// The block given as the next.
        next: BlockRef,
    },
    /// The next L2 block would be older than the current origin.
    #[error("L2 time {next_l2_time} is before the current origin's time {l1_time}")]
    TimeBeforeOrigin {
        /// The next L2 block's time.
        next_l2_time: u64,
        /// The current origin's time.
        l1_time: u64,
    },
}

/// A call the derivation pipeline refused; its state is unchanged unless said otherwise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeriveError {
    /// The rollup config is not supported.
    #[error(transparent)]
    Rollup(#[from] RollupSupportError),
    /// The start L1 block is after the safe head's origin: derivation could not see the
    /// batches after the safe head.
    #[error("start L1 block {start} is after the safe head's origin {safe_origin:?}")]
    StartAfterSafeHeadOrigin {
        /// The start block number.
        start: u64,
        /// The safe head's origin.
        safe_origin: BlockRef,
    },
    /// An L1 block was fed while the pipeline still has data or attributes to hand out.
    #[error("the pipeline did not ask for an L1 block")]
    L1BlockNotExpected,
    /// The first L1 block fed is not the start block.
    #[error("expected the start L1 block {expected:?}, got {got:?}")]
    NotStartBlock {
        /// The start block.
        expected: BlockRef,
        /// The block fed.
        got: BlockRef,
    },
    /// The L1 block fed does not follow the previous one by number.
    #[error("expected L1 block {expected}, got {got}")]
    L1BlockOutOfOrder {
        /// The number expected.
        expected: u64,
        /// The number fed.
        got: u64,
    },
    /// The L1 block fed is not the child of the previous one: L1 reorganised. Reset the
    /// pipeline from a safe head whose origin is canonical.
    #[error("L1 reorg: block {block:?} has parent {parent_hash}, previous block is {previous:?}")]
    Reorg {
        /// The block fed.
        block: BlockRef,
        /// Its parent hash.
        parent_hash: B256,
        /// The previous block fed.
        previous: BlockRef,
    },
    /// The L1 blocks fed do not hold the safe head's origin: reset from an older safe head.
    #[error("safe head {safe_head:?} has origin {origin:?}, which the L1 blocks fed do not hold")]
    SafeHeadOriginMismatch {
        /// The safe head.
        safe_head: BlockRef,
        /// Its L1 origin.
        origin: BlockRef,
    },
    /// A span batch overlaps the safe chain and the safe block at this number is unknown to
    /// the caller's [`super::SafeChain`]; the batch is kept, call again once it is.
    #[error("safe L2 block {number} is needed to check an overlapping span batch")]
    SafeBlockUnknown {
        /// The L2 block number needed.
        number: u64,
    },
    /// A safe head or payload result was reported with no attributes handed out.
    #[error("no attributes are pending")]
    NoPendingAttributes,
    /// The new safe head is not the block of the pending attributes.
    #[error("safe head {got:?} is not the block of the pending attributes on {parent:?}")]
    UnexpectedSafeHead {
        /// The parent the attributes were built on.
        parent: BlockRef,
        /// The block reported.
        got: BlockRef,
    },
    /// A deposit-only payload was reported invalid: a critical failure (deposits are always
    /// valid), nothing derivation can fix.
    #[error("deposit-only payload at L2 time {timestamp} is invalid")]
    DepositOnlyPayloadInvalid {
        /// The payload's timestamp.
        timestamp: u64,
    },
    /// Attributes could not be built.
    #[error(transparent)]
    Attributes(#[from] AttributesError),
    /// The epoch buffer lacks a block it must hold (a bug).
    #[error("L1 block {number} is missing from the epoch buffer")]
    EpochMissing {
        /// The block number.
        number: u64,
    },
}

/// Why a batch is invalid (the spec's `drop`), or undecided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchDropReason {
    /// It starts after the next L2 timestamp (Holocene drops future batches).
    FutureTimestamp,
    /// Its parent hash is not the safe head's.
    ParentHashMismatch,
    /// It was included after its epoch's sequencing window.
    IncludedTooLate,
    /// Its epoch is older than the safe head's.
    EpochTooOld,
    /// Its epoch is more than one L1 block after the safe head's.
    EpochTooFarAhead,
    /// Its epoch hash is not the canonical L1 block's.
    EpochHashMismatch,
    /// Its timestamp is before its L1 origin's.
    TimestampBeforeOrigin,
    /// It passes the sequencer drift and has transactions.
    DriftExceededWithTransactions,
    /// It passes the sequencer drift though it could have adopted the next origin.
    DriftExceededCouldAdoptNext,
    /// It carries an empty transaction.
    EmptyTransaction,
    /// It carries a deposit transaction.
    DepositTransaction,
    /// It carries an EIP-7702 transaction before Isthmus.
    SetCodeBeforeIsthmus,
    /// An overlapping span batch does not start on the safe chain's block times.
    SpanMisalignedTimestamp,
    /// A span batch would start at or before the L2 genesis.
    SpanParentBeforeGenesis,
    /// A span batch's parent check does not match its parent block.
    SpanParentCheckMismatch,
    /// A span batch's L1 origin check does not match the canonical L1 block.
    SpanOriginCheckMismatch,
    /// A block of a span batch names an L1 origin not among the epochs held.
    SpanOriginUnknown {
        /// The origin number.
        epoch: u64,
    },
    /// The epoch needed to decide is not known yet (op-node's `undecided`, dropped in Holocene
    /// without flushing the channel).
    Undecided,
}

/// Data derivation dropped, as the spec says, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropReason {
    /// A `ConfigUpdate` log that could not be applied (skipped).
    ConfigUpdate(SystemConfigError),
    /// Batcher data whose frames do not parse (the whole transaction is dropped).
    BatcherData(BatchError),
    /// A frame out of order (Holocene's frame queue and channel assembly).
    FrameOutOfOrder {
        /// The frame's channel.
        channel: ChannelId,
        /// The frame's number.
        number: u16,
    },
    /// An incomplete channel replaced by a new channel's first frame.
    ChannelReplaced {
        /// The dropped channel.
        channel: ChannelId,
    },
    /// A channel timed out before its last frame.
    ChannelTimedOut {
        /// The channel.
        channel: ChannelId,
        /// The L1 block its first frame came in.
        opened_in: u64,
    },
    /// A channel whose frames exceed `MAX_RLP_BYTES_PER_CHANNEL`.
    ChannelTooLarge {
        /// The channel.
        channel: ChannelId,
    },
    /// A complete channel whose data does not decompress, or the rest of a channel after a
    /// batch that does not decode.
    ChannelData {
        /// The channel.
        channel: ChannelId,
        /// Why.
        error: BatchError,
    },
    /// A span batch whose transactions cannot be rebuilt.
    SpanTransactions(BatchError),
    /// An invalid batch; the rest of its span batch and channel went with it.
    InvalidBatch {
        /// The batch's (or span's first) timestamp.
        timestamp: u64,
        /// Why.
        reason: BatchDropReason,
    },
    /// A batch at or before the safe head (Holocene's `past`), skipped.
    PastBatch {
        /// Its timestamp.
        timestamp: u64,
    },
    /// Attributes the engine found invalid, replaced by their deposits only; the rest of their
    /// span batch and channel went with them.
    InvalidPayload {
        /// The payload's timestamp.
        timestamp: u64,
    },
}

/// One dropped item and the L1 block being read when it was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// The L1 block (the pipeline's origin) it was read in.
    pub l1_block: u64,
    /// Why it was dropped.
    pub reason: DropReason,
}
