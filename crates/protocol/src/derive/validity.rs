//! Holocene's batch validity rules (`derivation.md` "Batch Queue", `delta/span-batches.md`,
//! `holocene/derivation.md` "Span Batches" and "Batch Queue"): a singular batch, and the
//! prefix of a span batch before its blocks are checked one by one as singular batches.
//!
//! `epochs` are the L1 blocks from the safe head's epoch (or the one after it, once empty
//! batches moved past it) to the block being read, in order.

use super::{
    attributes::op_spec_at,
    channels::ExpandedSpan,
    error::BatchDropReason,
    refs::{L1BlockRef, L2BlockRef},
};
use crate::{OpSpecId, batch::SingularBatch, rollup::RollupConfig};

/// The EIP-2718 type byte of a deposit.
const DEPOSIT_TX_TYPE: u8 = 0x7e;
/// The EIP-2718 type byte of an EIP-7702 (`SetCode`) transaction.
const SET_CODE_TX_TYPE: u8 = 0x04;

/// The verdict on a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Validity {
    /// Valid: it makes the next block.
    Accept,
    /// At or before the safe head: skipped, the rest of its span and channel stay.
    Past,
    /// Invalid: dropped with the rest of its span and channel.
    Drop(BatchDropReason),
    /// Not decidable with the L1 blocks known: Holocene drops it without flushing.
    Undecided,
}

/// The next L2 block after the safe head must come from a batch for which this says `Accept`.
pub(crate) fn check_singular(
    rollup: &RollupConfig,
    epochs: &[impl AsRef<L1BlockRef>],
    safe_head: &L2BlockRef,
    batch: &SingularBatch,
    inclusion: &L1BlockRef,
) -> Validity {
    use BatchDropReason::*;
    let Some(epoch) = epochs.first().map(AsRef::as_ref) else {
        return Validity::Undecided;
    };
    let next_epoch = epochs.get(1).map(AsRef::as_ref);
    let next_timestamp = safe_head.timestamp + rollup.block_time;
    if batch.timestamp > next_timestamp {
        return Validity::Drop(FutureTimestamp);
    }
    if batch.timestamp < next_timestamp {
        return Validity::Past;
    }
    if batch.parent_hash != safe_head.hash {
        return Validity::Drop(ParentHashMismatch);
    }
    if batch.epoch_num.saturating_add(rollup.seq_window_size) < inclusion.number {
        return Validity::Drop(IncludedTooLate);
    }
    let origin = if batch.epoch_num < epoch.number {
        return Validity::Drop(EpochTooOld);
    } else if batch.epoch_num == epoch.number {
        epoch
    } else if batch.epoch_num == epoch.number + 1 {
        match next_epoch {
            Some(next) => next,
            None => return Validity::Undecided,
        }
    } else {
        return Validity::Drop(EpochTooFarAhead);
    };
    if batch.epoch_hash != origin.hash {
        return Validity::Drop(EpochHashMismatch);
    }
    if batch.timestamp < origin.timestamp {
        return Validity::Drop(TimestampBeforeOrigin);
    }
    let drift_limit = origin.timestamp + rollup.max_sequencer_drift_at(origin.timestamp);
    if batch.timestamp > drift_limit {
        if !batch.transactions.is_empty() {
            return Validity::Drop(DriftExceededWithTransactions);
        }
        // An empty batch past the drift is only allowed while the next origin is still newer
        // than it (it had to keep this origin to keep L2 time >= L1 time).
        if origin.number == epoch.number {
            match next_epoch {
                None => return Validity::Undecided,
                Some(next) if batch.timestamp >= next.timestamp => {
                    return Validity::Drop(DriftExceededCouldAdoptNext);
                }
                Some(_) => {}
            }
        }
    }
    let isthmus = op_spec_at(rollup, batch.timestamp).is_enabled_in(OpSpecId::ISTHMUS);
    for tx in &batch.transactions {
        match tx.first() {
            None => return Validity::Drop(EmptyTransaction),
            Some(&DEPOSIT_TX_TYPE) => return Validity::Drop(DepositTransaction),
            Some(&SET_CODE_TX_TYPE) if !isthmus => return Validity::Drop(SetCodeBeforeIsthmus),
            Some(_) => {}
        }
    }
    Validity::Accept
}

/// The checks of a span batch before its blocks are read (Holocene: the prefix only, each block
/// then passes [`check_singular`]). A span overlapping the safe chain is checked against the
/// safe block before its first; `Err(number)` says that block is unknown to `safe_block`.
pub(crate) fn check_span_prefix(
    rollup: &RollupConfig,
    epochs: &[impl AsRef<L1BlockRef>],
    safe_head: &L2BlockRef,
    span: &ExpandedSpan,
    inclusion: &L1BlockRef,
    safe_block: impl FnOnce(u64) -> Option<L2BlockRef>,
) -> Result<Validity, u64> {
    use BatchDropReason::*;
    let Some(epoch) = epochs.first().map(AsRef::as_ref) else {
        return Ok(Validity::Undecided);
    };
    let start_epoch = span.first().epoch_num;
    if start_epoch == epoch.number + 1 && epochs.len() < 2 {
        return Ok(Validity::Undecided);
    }
    let next_timestamp = safe_head.timestamp + rollup.block_time;
    let start = span.first().timestamp;
    if start > next_timestamp {
        return Ok(Validity::Drop(FutureTimestamp));
    }
    if span.last().timestamp < next_timestamp {
        return Ok(Validity::Past);
    }
    let parent = if start < next_timestamp {
        // Overlapping the safe chain: it must start on a safe block's successor.
        if start > safe_head.timestamp
            || !(safe_head.timestamp - start).is_multiple_of(rollup.block_time)
        {
            return Ok(Validity::Drop(SpanMisalignedTimestamp));
        }
        let back = (safe_head.timestamp - start) / rollup.block_time + 1;
        let Some(number) = safe_head.number.checked_sub(back) else {
            return Ok(Validity::Drop(SpanParentBeforeGenesis));
        };
        safe_block(number).ok_or(number)?
    } else {
        *safe_head
    };
    if span.parent_check != parent.hash[..20] {
        return Ok(Validity::Drop(SpanParentCheckMismatch));
    }
    if start_epoch.saturating_add(rollup.seq_window_size) < inclusion.number {
        return Ok(Validity::Drop(IncludedTooLate));
    }
    if start_epoch > parent.l1_origin.number + 1 {
        return Ok(Validity::Drop(EpochTooFarAhead));
    }
    let end_epoch = span.last().epoch_num;
    match epochs.iter().map(AsRef::as_ref).find(|block| block.number == end_epoch) {
        Some(block) if span.l1_origin_check != block.hash[..20] => {
            return Ok(Validity::Drop(SpanOriginCheckMismatch));
        }
        Some(_) => {}
        None => return Ok(Validity::Undecided),
    }
    if start_epoch < parent.l1_origin.number {
        return Ok(Validity::Drop(EpochTooOld));
    }
    Ok(Validity::Accept)
}

/// The singular batches of an accepted span after the safe head, their epoch hashes from
/// `epochs`; the parent hash is filled in as each is used. An origin missing from `epochs`
/// makes the span invalid (the spec warns not to stall on it).
pub(crate) fn span_singulars(
    span: ExpandedSpan,
    epochs: &[impl AsRef<L1BlockRef>],
    safe_head: &L2BlockRef,
) -> Result<Vec<SingularBatch>, BatchDropReason> {
    let mut search_from = 0;
    let mut out = Vec::with_capacity(span.elements.len());
    for element in span.elements {
        if element.timestamp <= safe_head.timestamp {
            continue;
        }
        let found = epochs[search_from..]
            .iter()
            .position(|block| block.as_ref().number == element.epoch_num)
            .ok_or(BatchDropReason::SpanOriginUnknown { epoch: element.epoch_num })?;
        search_from += found;
        out.push(SingularBatch {
            parent_hash: Default::default(),
            epoch_num: element.epoch_num,
            epoch_hash: epochs[search_from].as_ref().hash,
            timestamp: element.timestamp,
            transactions: element.transactions,
        });
    }
    Ok(out)
}
